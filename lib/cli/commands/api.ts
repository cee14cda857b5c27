/**
 * `pup api <path> [-X METHOD] [-f key=value]... [--header 'Name: value']... [--input FILE|-]`: any
 * Datadog API call with the resolved credential; prints the JSON answer.
 *
 * Where `-f` fields go: for GET, HEAD, DELETE and OPTIONS, and whenever `--input` gives the
 * body, they are query parameters; for other methods they form a JSON object body of string
 * values (`-f name=cpu -f count=3` sends `{"name":"cpu","count":"3"}`; for numbers, booleans
 * or nesting, use `--input`). The method defaults to GET, or POST with `--input`.
 *
 * @module
 */

import { isReservedHeader } from "../../api/client.ts";
import type { Deps } from "../../deps.ts";
import { UsageError } from "../../errors.ts";
import type { PupContext } from "../context.ts";
import {
  type DataCallOptions,
  type DataFlags,
  jsonTable,
  parseDataFlags,
  runDataCall,
} from "../data_call.ts";

/** Flags of `pup api`. */
export interface ApiFlags extends DataFlags {
  readonly method?: string;
  readonly field?: readonly string[];
  readonly header?: readonly string[];
  readonly input?: string;
}

/** Options of `pup api`. */
export interface ApiOptions extends DataCallOptions {
  path: string;
  method: string;
  query: [string, string][];
  /** A JSON object built from `-f`, when the fields form the body. */
  fieldsBody?: Record<string, string>;
  headers: Record<string, string>;
  /** `--input`: a file path, or `-` for stdin. */
  input?: string;
}

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
const QUERY_METHODS = new Set(["GET", "HEAD", "DELETE", "OPTIONS"]);

/**
 * Flags and the path → options (pure).
 *
 * @param flags the parsed flags
 * @param path the API path, starting with `/api/`
 * @returns the options
 * @throws {UsageError} for a bad path, method, field or header
 */
export function parseApiArgs(flags: ApiFlags, path: string): ApiOptions {
  // `pup api api/v1/monitor`: the leading slash people leave out.
  if (path.startsWith("api/")) path = `/${path}`;
  // deno-lint-ignore no-control-regex
  if (!path.startsWith("/api/") || /[\u0000-\u0020\\#]/.test(path)) {
    throw new UsageError(
      `Cannot call "${path}": the path must start with /api/ and contain no spaces, e.g. 'pup api /api/v1/validate'`,
    );
  }
  const method = (flags.method ?? (flags.input !== undefined ? "POST" : "GET")).toUpperCase();
  if (!METHODS.includes(method)) {
    throw new UsageError(`Unknown method "${flags.method}": use one of ${METHODS.join(", ")}`);
  }
  if (flags.input !== undefined && (method === "GET" || method === "HEAD")) {
    throw new UsageError(`A ${method} request has no body: drop --input or pick -X POST/PUT/PATCH`);
  }
  const fields: [string, string][] = (flags.field ?? []).map((f) => {
    const eq = f.indexOf("=");
    if (eq <= 0) {
      throw new UsageError(`Cannot use -f "${f}": write it as key=value, e.g. -f name=cpu`);
    }
    return [f.slice(0, eq), f.slice(eq + 1)];
  });
  const headers: Record<string, string> = {};
  for (const h of flags.header ?? []) {
    const colon = h.indexOf(":");
    const name = colon > 0 ? h.slice(0, colon).trim() : "";
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
      throw new UsageError(`Cannot use --header "${h}": write it as 'Name: value'`);
    }
    if (isReservedHeader(name)) {
      throw new UsageError(
        `Cannot set the header "${name}": pup sets credentials itself; use DD_ACCESS_TOKEN, 'pup auth login', or DD_API_KEY and DD_APP_KEY`,
      );
    }
    headers[name] = h.slice(colon + 1).trim();
  }
  const asQuery = QUERY_METHODS.has(method) || flags.input !== undefined;
  const opts: ApiOptions = {
    ...parseDataFlags(flags),
    path,
    method,
    query: asQuery ? fields : [],
    headers,
  };
  if (!asQuery && fields.length > 0) opts.fieldsBody = Object.fromEntries(fields);
  if (flags.input !== undefined) opts.input = flags.input;
  return opts;
}

/** The largest `--input` body pup sends (Datadog's API limits bodies to a few MB). */
export const MAX_INPUT_BYTES = 10 * 1024 * 1024;

/**
 * Reads the `--input` body as bytes, byte for byte (CRs and the final newline kept), capped at
 * {@link MAX_INPUT_BYTES}, and checks that it is one JSON document in UTF-8.
 */
async function readInput(input: string, deps: Deps): Promise<string> {
  const where = input === "-" ? "(stdin)" : `"${input}"`;
  let bytes: Uint8Array;
  if (input === "-") {
    try {
      bytes = await deps.io.stdin.readAll(MAX_INPUT_BYTES);
    } catch (e) {
      throw new UsageError(`--input ${where} is too large: ${(e as Error).message}`);
    }
  } else {
    try {
      const info = await Deno.stat(input);
      if (!info.isFile) throw new UsageError(`--input ${where} is not a regular file`);
      if (info.size > MAX_INPUT_BYTES) {
        throw new UsageError(
          `--input ${where} is ${info.size} bytes; pup sends at most ${MAX_INPUT_BYTES}`,
        );
      }
      bytes = await Deno.readFile(input);
    } catch (e) {
      if (e instanceof UsageError) throw e;
      throw new UsageError(
        `Cannot read --input ${where}: ${
          e instanceof Deno.errors.NotFound ? "no such file" : (e as Error).message
        }`,
      );
    }
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    JSON.parse(text);
  } catch {
    throw new UsageError(`--input ${where} is not valid JSON: the body must be a JSON document`);
  }
  return text;
}

/**
 * Sends the request and prints the answer.
 *
 * @param opts the options
 * @param deps the seams
 * @returns 0 (failures throw)
 */
export async function runApi(opts: ApiOptions, deps: Deps): Promise<number> {
  const body = opts.input !== undefined
    ? await readInput(opts.input, deps)
    : opts.fieldsBody !== undefined
    ? JSON.stringify(opts.fieldsBody)
    : undefined;
  return await runDataCall(deps, opts, {
    method: opts.method,
    path: opts.path,
    query: opts.query,
    body,
    headers: opts.headers,
  }, jsonTable);
}

/** The stricli entry point. */
export default async function api(this: PupContext, flags: ApiFlags, path: string) {
  this.exitCode = await runApi(parseApiArgs(flags, path), this.deps);
}
