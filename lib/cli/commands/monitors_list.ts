/**
 * `pup monitors list [--name N] [--tags a,b] [--limit N]`: `GET /api/v1/monitor`, filtered by
 * name and monitor tags, one page of at most `--limit` monitors.
 *
 * @module
 */

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

/** Flags of `monitors list`. */
export interface MonitorsListFlags extends DataFlags {
  readonly name?: string;
  readonly tags?: string;
  readonly limit?: number;
}

/** Options of `monitors list`. */
export interface MonitorsListOptions extends DataCallOptions {
  name?: string;
  tags: string[];
  limit?: number;
}

/** The largest page `GET /api/v1/monitor` serves. */
export const MAX_MONITORS_PAGE = 1000;

/**
 * Flags → options (pure).
 *
 * @throws {UsageError} for a limit outside 1-1000
 */
export function parseMonitorsListArgs(flags: MonitorsListFlags): MonitorsListOptions {
  const limit = flags.limit;
  if (
    limit !== undefined && !(Number.isInteger(limit) && limit >= 1 && limit <= MAX_MONITORS_PAGE)
  ) {
    throw new UsageError(`--limit must be an integer from 1 to ${MAX_MONITORS_PAGE}, got ${limit}`);
  }
  const tags = (flags.tags ?? "").split(",").map((t) => t.trim()).filter((t) => t !== "");
  const opts: MonitorsListOptions = { ...parseDataFlags(flags), tags };
  if (flags.name !== undefined) opts.name = flags.name;
  if (limit !== undefined) opts.limit = limit;
  return opts;
}

/** The query parameters of the request. */
export function monitorsListQuery(opts: MonitorsListOptions): [string, string][] {
  const q: [string, string][] = [];
  if (opts.name !== undefined) q.push(["name", opts.name]);
  if (opts.tags.length > 0) q.push(["monitor_tags", opts.tags.join(",")]);
  if (opts.limit !== undefined) q.push(["page", "0"], ["page_size", String(opts.limit)]);
  return q;
}

/** Renders monitors as a table; `undefined` when the answer is not a list. */
export function monitorsTable(data: unknown): string | undefined {
  if (!Array.isArray(data)) return undefined;
  if (data.length === 0) return "No monitors match.\n";
  return renderTable(
    ["ID", "STATE", "TYPE", "NAME", "TAGS"],
    data.map((m: Record<string, unknown>) => [
      tableCell(m.id),
      tableCell(m.overall_state),
      tableCell(m.type),
      tableCell(m.name),
      tableCell(Array.isArray(m.tags) ? m.tags.join(",") : m.tags),
    ]),
  );
}

/** Lists monitors. */
export async function runMonitorsList(opts: MonitorsListOptions, deps: Deps): Promise<number> {
  return await runDataCall(
    deps,
    opts,
    { method: "GET", path: "/api/v1/monitor", query: monitorsListQuery(opts) },
    monitorsTable,
  );
}

/** The stricli entry point. */
export default async function monitorsList(this: PupContext, flags: MonitorsListFlags) {
  this.exitCode = await runMonitorsList(parseMonitorsListArgs(flags), this.deps);
}
