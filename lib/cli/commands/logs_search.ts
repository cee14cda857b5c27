/**
 * `pup logs search --query Q [--from 1h] [--to now] [--limit 50]`:
 * `POST /api/v2/logs/events/search`, newest first.
 *
 * @module
 */

import { parseTimeRange } from "../../api/time_spec.ts";
import type { Deps } from "../../deps.ts";
import { UsageError } from "../../errors.ts";
import type { PupContext } from "../context.ts";
import {
  type DataCallOptions,
  type DataFlags,
  parseDataFlags,
  runDataCall,
  tableCell,
} from "../data_call.ts";
import { renderTable } from "../output.ts";

/** Flags of `logs search`. */
export interface LogsSearchFlags extends DataFlags {
  readonly query: string;
  readonly from?: string;
  readonly to?: string;
  readonly limit?: number;
}

/** Options of `logs search`; times stay text until the clock is read. */
export interface LogsSearchOptions extends DataCallOptions {
  query: string;
  from: string;
  to: string;
  limit: number;
}

/** The largest page the logs search serves. */
export const MAX_LOGS_LIMIT = 1000;

/**
 * Flags → options (pure).
 *
 * @throws {UsageError} for an empty query or a limit outside 1-1000
 */
export function parseLogsSearchArgs(flags: LogsSearchFlags): LogsSearchOptions {
  if (flags.query.trim() === "") {
    throw new UsageError(`--query must not be empty: use "*" for every log`);
  }
  const limit = flags.limit ?? 50;
  if (!(Number.isInteger(limit) && limit >= 1 && limit <= MAX_LOGS_LIMIT)) {
    throw new UsageError(`--limit must be an integer from 1 to ${MAX_LOGS_LIMIT}, got ${limit}`);
  }
  return {
    ...parseDataFlags(flags),
    query: flags.query,
    from: flags.from ?? "1h",
    to: flags.to ?? "now",
    limit,
  };
}

/**
 * The request body.
 *
 * @param opts the options
 * @param nowMs the current time, for relative times
 * @returns the JSON text
 * @throws {UsageError} for bad times
 */
export function logsSearchBody(opts: LogsSearchOptions, nowMs: number): string {
  const { fromMs, toMs } = parseTimeRange(opts.from, opts.to, nowMs);
  return JSON.stringify({
    filter: {
      query: opts.query,
      from: new Date(fromMs).toISOString(),
      to: new Date(toMs).toISOString(),
    },
    sort: "-timestamp",
    page: { limit: opts.limit },
  });
}

/** Renders log events as a table; `undefined` when the answer has no `data` list. */
export function logsTable(data: unknown): string | undefined {
  const events = (data as { data?: unknown } | null)?.data;
  if (!Array.isArray(events)) return undefined;
  if (events.length === 0) return "No logs match.\n";
  return renderTable(
    ["TIMESTAMP", "STATUS", "SERVICE", "MESSAGE"],
    events.map((e: { attributes?: Record<string, unknown> }) => {
      const a = e.attributes ?? {};
      return [
        tableCell(a.timestamp),
        tableCell(a.status),
        tableCell(a.service),
        tableCell(a.message),
      ];
    }),
  );
}

/** Searches logs. */
export async function runLogsSearch(opts: LogsSearchOptions, deps: Deps): Promise<number> {
  const body = logsSearchBody(opts, deps.clock.now());
  return await runDataCall(
    deps,
    opts,
    { method: "POST", path: "/api/v2/logs/events/search", body },
    logsTable,
    true, // a search: POST, but it only reads
  );
}

/** The stricli entry point. */
export default async function logsSearch(this: PupContext, flags: LogsSearchFlags) {
  this.exitCode = await runLogsSearch(parseLogsSearchArgs(flags), this.deps);
}
