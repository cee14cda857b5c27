/**
 * The shared body of the data commands (`api`, `monitors`, `logs`, `metrics`): load the setup,
 * pass the trust gate, call the API with the resolved credential, and print the answer as
 * pretty JSON (scripts) or a table (a person at a terminal).
 *
 * @module
 */

import { type ApiRequest, callApi } from "../api/client.ts";
import { DEFAULT_TIMEOUT_MS } from "../api/http.ts";
import type { Deps } from "../deps.ts";
import { UsageError } from "../errors.ts";
import { stripUnsafe } from "../sanitize.ts";
import type { GlobalFlags } from "./context.ts";
import {
  type OutputOptions,
  outputOptions,
  renderTable,
  stringifyOrExplain,
  wantsData,
  writeData,
} from "./output.ts";
import { sessionTarget } from "./session_target.ts";
import { withSpinner } from "./spinner.ts";
import { loadSetup } from "./setup.ts";

/** Flags every data command has. */
export interface DataFlags extends GlobalFlags {
  readonly trustSite?: boolean;
}

/** Options every data command has. */
export interface DataCallOptions extends OutputOptions {
  org?: string;
  trustSite: boolean;
  /** `--read-only`: refuse calls that change data. */
  readOnly?: boolean;
  /** `-v`: request lines and rate-limit headers on stderr. */
  verbose?: boolean;
}

/** Flags → the shared options (pure); the optional switches appear only when given. */
export function parseDataFlags(flags: DataFlags): DataCallOptions {
  return {
    org: flags.org,
    ...outputOptions(flags),
    trustSite: flags.trustSite ?? false,
    ...(flags.readOnly ? { readOnly: true } : {}),
    ...(flags.verbose ? { verbose: true } : {}),
  };
}

/** Methods that never change data. */
const READ_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Refuses, in read-only mode (`--read-only` or config `read_only: true`), a call that may change
 * data: any method but GET/HEAD/OPTIONS, unless the command marked the request as a read (the
 * search endpoints take POST).
 *
 * @param readOnly whether read-only mode is on
 * @param request the request
 * @param readSafe the command knows this POST only reads
 * @throws {UsageError} naming the call and how to do it anyway
 */
export function checkReadOnly(readOnly: boolean, request: ApiRequest, readSafe = false): void {
  if (!readOnly || readSafe || READ_METHODS.has(request.method.toUpperCase())) return;
  throw new UsageError(
    `Read-only mode refuses ${request.method.toUpperCase()} ${
      request.path.split("?")[0]
    }: it may change data. Run it without --read-only (and without read_only: true in config.yaml)`,
  );
}

/**
 * The per-attempt HTTP timeout: `PUP_HTTP_TIMEOUT_MS` (a test seam) or 30 s.
 *
 * @param env the environment
 * @returns milliseconds
 * @throws {UsageError} when the variable is not a positive integer
 */
export function httpTimeoutMs(env: Readonly<Record<string, string | undefined>>): number {
  const raw = env.PUP_HTTP_TIMEOUT_MS;
  if (!raw) return DEFAULT_TIMEOUT_MS;
  if (!/^\d{1,9}$/.test(raw) || Number(raw) === 0) {
    throw new UsageError(
      `PUP_HTTP_TIMEOUT_MS must be a positive number of milliseconds, got "${raw}": fix or unset it`,
    );
  }
  return Number(raw);
}

/**
 * Runs one API call and prints its answer.
 *
 * @param deps the seams
 * @param opts org, output format and `--trust-site`
 * @param request the request, built once the clock can be read
 * @param table renders the answer for a terminal; `undefined` falls back to JSON
 * @returns exit code 0 (failures throw)
 */
export async function runDataCall(
  deps: Deps,
  opts: DataCallOptions,
  request: ApiRequest,
  table: (data: unknown) => string | undefined,
  readSafe = false,
): Promise<number> {
  const timeoutMs = httpTimeoutMs(deps.env);
  const setup = await loadSetup(deps, { org: opts.org });
  checkReadOnly(opts.readOnly === true || setup.config.read_only === true, request, readSafe);
  const target = sessionTarget(deps, setup, { trustSite: opts.trustSite });
  const trace = opts.verbose ? (line: string) => deps.io.err.write(`${line}\n`) : undefined;
  const { data } = await withSpinner(
    deps,
    `Waiting for ${new URL(target.endpoints.apiBase).host}`,
    callApi(deps, {
      target,
      sources: { config: setup.config, store: setup.store },
      http: { timeoutMs, trace },
    }, request),
  );
  let rendered: string | undefined;
  if (!wantsData(opts, deps.env, deps.io, setup.config.output)) {
    stringifyOrExplain(data); // a table's cells serialize nested values: refuse a too-deep one first
    rendered = table(data);
  }
  if (rendered === undefined) await writeData(deps.io, data, opts, deps.env, setup.config.output);
  else deps.io.out.write(rendered);
  return 0;
}

function cell(v: unknown): string {
  const s = v === null || v === undefined
    ? "-"
    : typeof v === "object"
    ? JSON.stringify(v)
    : String(v);
  const one = stripUnsafe(s);
  return one.length > 60 ? `${one.slice(0, 59)}…` : one;
}

/**
 * A generic table for any JSON answer: a list of objects (or a JSON:API `data` list) becomes
 * rows with their scalar fields as columns; anything else is left to JSON.
 *
 * @param data the parsed answer
 * @returns the table text, or `undefined` when the shape does not fit a table
 */
export function jsonTable(data: unknown): string | undefined {
  let rows: unknown = data;
  if (rows && typeof rows === "object" && !Array.isArray(rows)) {
    rows = (rows as Record<string, unknown>).data;
  }
  if (!Array.isArray(rows) || rows.length === 0) return undefined;
  if (!rows.every((r) => r && typeof r === "object" && !Array.isArray(r))) return undefined;
  const flat = (rows as Record<string, unknown>[]).map((r) => {
    const attrs = r.attributes;
    return attrs && typeof attrs === "object" && !Array.isArray(attrs)
      ? { id: r.id, ...(attrs as Record<string, unknown>) }
      : r;
  });
  const columns: string[] = [];
  for (const r of flat.slice(0, 50)) {
    for (const [k, v] of Object.entries(r)) {
      if (columns.length >= 8) break;
      if (!columns.includes(k) && (v === null || typeof v !== "object")) columns.push(k);
    }
  }
  if (columns.length === 0) return undefined;
  return renderTable(
    columns.map((c) => c.toUpperCase()),
    flat.map((r) => columns.map((c) => cell(r[c]))),
  );
}

/** Formats a table cell the way `jsonTable` does (control characters removed, capped). */
export const tableCell = cell;
