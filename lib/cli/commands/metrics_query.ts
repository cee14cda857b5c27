/**
 * `pup metrics query --query Q [--from 1h] [--to now]`: `GET /api/v1/query` with unix seconds.
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

/** Flags of `metrics query`. */
export interface MetricsQueryFlags extends DataFlags {
  readonly query: string;
  readonly from?: string;
  readonly to?: string;
}

/** Options of `metrics query`; times stay text until the clock is read. */
export interface MetricsQueryOptions extends DataCallOptions {
  query: string;
  from: string;
  to: string;
}

/**
 * Flags → options (pure).
 *
 * @throws {UsageError} for an empty query
 */
export function parseMetricsQueryArgs(flags: MetricsQueryFlags): MetricsQueryOptions {
  if (flags.query.trim() === "") {
    throw new UsageError(`--query must not be empty: e.g. --query 'avg:system.cpu.user{*}'`);
  }
  return {
    ...parseDataFlags(flags),
    query: flags.query,
    from: flags.from ?? "1h",
    to: flags.to ?? "now",
  };
}

/**
 * The query parameters: `from` and `to` in unix seconds, and the query.
 *
 * @throws {UsageError} for bad times
 */
export function metricsQueryParams(opts: MetricsQueryOptions, nowMs: number): [string, string][] {
  const { fromMs, toMs } = parseTimeRange(opts.from, opts.to, nowMs);
  return [
    ["from", String(Math.floor(fromMs / 1000))],
    ["to", String(Math.floor(toMs / 1000))],
    ["query", opts.query],
  ];
}

/** Renders series as a table; `undefined` when the answer has no `series` list. */
export function seriesTable(data: unknown): string | undefined {
  const series = (data as { series?: unknown } | null)?.series;
  if (!Array.isArray(series)) return undefined;
  if (series.length === 0) return "No series match.\n";
  return renderTable(
    ["METRIC", "SCOPE", "POINTS", "LAST"],
    series.map((s: Record<string, unknown>) => {
      const points = Array.isArray(s.pointlist) ? s.pointlist : [];
      const last = points.length > 0 ? (points[points.length - 1] as unknown[])?.[1] : undefined;
      return [tableCell(s.metric), tableCell(s.scope), String(points.length), tableCell(last)];
    }),
  );
}

/** Queries metrics. */
export async function runMetricsQuery(opts: MetricsQueryOptions, deps: Deps): Promise<number> {
  const query = metricsQueryParams(opts, deps.clock.now());
  return await runDataCall(
    deps,
    opts,
    { method: "GET", path: "/api/v1/query", query },
    seriesTable,
  );
}

/** The stricli entry point. */
export default async function metricsQuery(this: PupContext, flags: MetricsQueryFlags) {
  this.exitCode = await runMetricsQuery(parseMetricsQueryArgs(flags), this.deps);
}
