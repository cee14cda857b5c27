/**
 * `pup monitors get <id>`: `GET /api/v1/monitor/{id}`.
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

/** Options of `monitors get`. */
export interface MonitorsGetOptions extends DataCallOptions {
  id: string;
}

/**
 * Flags and the id → options (pure).
 *
 * @throws {UsageError} when the id is not a positive integer
 */
export function parseMonitorsGetArgs(flags: DataFlags, id: string): MonitorsGetOptions {
  if (!/^[1-9]\d{0,18}$/.test(id)) {
    throw new UsageError(
      `Monitor id "${id}" is not a number: give the numeric id, e.g. 'pup monitors get 1001'`,
    );
  }
  return { ...parseDataFlags(flags), id };
}

/** Renders one monitor as field/value rows; `undefined` when the answer is not an object. */
export function monitorTable(data: unknown): string | undefined {
  if (!data || typeof data !== "object" || Array.isArray(data)) return undefined;
  return renderTable(
    ["FIELD", "VALUE"],
    Object.entries(data as Record<string, unknown>).map(([k, v]) => [
      k,
      tableCell(Array.isArray(v) && v.every((x) => typeof x === "string") ? v.join(",") : v),
    ]),
  );
}

/** Gets one monitor. */
export async function runMonitorsGet(opts: MonitorsGetOptions, deps: Deps): Promise<number> {
  return await runDataCall(
    deps,
    opts,
    { method: "GET", path: `/api/v1/monitor/${opts.id}` },
    monitorTable,
  );
}

/** The stricli entry point. */
export default async function monitorsGet(this: PupContext, flags: DataFlags, id: string) {
  this.exitCode = await runMonitorsGet(parseMonitorsGetArgs(flags, id), this.deps);
}
