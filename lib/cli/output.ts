/**
 * Rendering results (SPEC §2; the Rust `pup`'s `-o json|table|yaml|csv|tsv` and `--jq`, ref
 * §9.1): data for scripts in the format asked for, a readable table or summary for people at a
 * terminal. The format comes from `-o`, else `DD_OUTPUT`, else `PUP_OUTPUT`, else config.yaml
 * `output`, else JSON when stdout is not a terminal and the table when it is. `--jq <expr>`
 * runs real jq (jq 1.7 compiled to WebAssembly, `npm:jq-wasm`, loaded only when asked for) over
 * the JSON result, and prints its output as jq would, or in the `-o` format asked for.
 *
 * @module
 */

import type { IO } from "../deps.ts";
import { PupError, UsageError } from "../errors.ts";
import { stripUnsafe } from "../sanitize.ts";
import { lazyImport } from "../lazy_import.ts";

/** Every output format. */
export const OUTPUT_FORMATS = ["json", "table", "yaml", "csv", "tsv"] as const;

/** One output format. */
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** What decides the output of one command. */
export interface OutputOptions {
  /** `-o`, when given. */
  output?: OutputFormat;
  /** `--jq`, when given. */
  jq?: string;
}

/**
 * The output part of a command's options, from its global flags (`jq` only when given, so
 * options objects stay comparable as they were).
 */
export function outputOptions(flags: { output?: OutputFormat; jq?: string }): OutputOptions {
  return flags.jq === undefined ? { output: flags.output } : { output: flags.output, jq: flags.jq };
}

function isFormat(v: string | undefined): v is OutputFormat {
  return (OUTPUT_FORMATS as readonly string[]).includes(v ?? "");
}

/**
 * Decides the format: `-o` > `DD_OUTPUT` > `PUP_OUTPUT` > config `output` > terminal or not.
 *
 * @param flag the `-o` flag
 * @param env the environment
 * @param io whether stdout is a terminal
 * @param configOutput config.yaml `output`
 * @returns the format
 * @throws {UsageError} when a variable names no format
 */
export function resolveFormat(
  flag: OutputFormat | undefined,
  env: Readonly<Record<string, string | undefined>>,
  io: IO,
  configOutput?: string,
): OutputFormat {
  if (flag) return flag;
  for (const name of ["DD_OUTPUT", "PUP_OUTPUT"] as const) {
    const v = env[name]?.trim().toLowerCase();
    if (!v) continue;
    if (isFormat(v)) return v;
    throw new UsageError(
      `${name} must be one of ${OUTPUT_FORMATS.join(", ")}, got "${env[name]}": fix or unset it`,
    );
  }
  if (isFormat(configOutput)) return configOutput;
  return io.isTerminal ? "table" : "json";
}

/**
 * Whether the result goes out as data (any format but the table) rather than for a person.
 * `--jq` always means data.
 *
 * @param opts `-o` and `--jq`
 * @param env the environment
 * @param io whether stdout is a terminal
 * @param configOutput config.yaml `output`
 */
export function wantsData(
  opts: OutputOptions,
  env: Readonly<Record<string, string | undefined>>,
  io: IO,
  configOutput?: string,
): boolean {
  return opts.jq !== undefined || resolveFormat(opts.output, env, io, configOutput) !== "table";
}

/**
 * Writes `value` as data: through `--jq` when given, then in the format asked for (JSON unless
 * `-o yaml|csv|tsv`; a table format falls back to JSON).
 *
 * @param io where to write
 * @param value the JSON-able result
 * @param opts `-o` and `--jq`
 * @param env the environment (for `DD_OUTPUT`/`PUP_OUTPUT`)
 * @param configOutput config.yaml `output`
 * @throws {UsageError} when the jq expression does not compile or fails on the value
 */
export async function writeData(
  io: IO,
  value: unknown,
  opts: OutputOptions,
  env: Readonly<Record<string, string | undefined>>,
  configOutput?: string,
): Promise<void> {
  const format = resolveFormat(opts.output, env, io, configOutput);
  if (opts.jq !== undefined) {
    const jq = await lazyImport<typeof import("./jq.ts")>("./jq.ts", import.meta.url);
    if (format === "json" || format === "table") {
      io.out.write(await jq.jqText(value, opts.jq));
      return;
    }
    const results = await jq.jqValues(value, opts.jq);
    value = results.length === 1 ? results[0] : results;
  }
  switch (format) {
    case "yaml": {
      const { stringify } = await import("yaml");
      io.out.write(stringify(value ?? null));
      return;
    }
    case "csv":
    case "tsv": {
      const { delimited } = await lazyImport<typeof import("./delimited.ts")>(
        "./delimited.ts",
        import.meta.url,
      );
      io.out.write(delimited(value, format));
      return;
    }
    default:
      writeJson(io, value);
  }
}

/**
 * Writes pretty JSON and a newline to stdout.
 *
 * @param io stdout
 * @param value the value
 * @throws {PupError} OUTPUT_TOO_DEEP for a value nested too deeply to serialize (the runtime's
 *   "Maximum call stack size exceeded" is never shown)
 */
export function writeJson(io: IO, value: unknown): void {
  io.out.write(`${stringifyOrExplain(value)}\n`);
}

/**
 * `JSON.stringify(value, null, 2)`, or a clear error when the value is nested too deeply.
 *
 * @param value the value
 * @returns the text
 */
export function stringifyOrExplain(value: unknown): string {
  try {
    return JSON.stringify(value, null, 2);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    throw new PupError(
      "OUTPUT_TOO_DEEP",
      "Cannot print the answer: it is nested too deeply (thousands of levels), which no Datadog API returns. Check the site and PUP_MOCK_SERVER; a proxy may be answering instead of Datadog",
    );
  }
}

/**
 * Renders rows as an aligned text table.
 *
 * @param headers column titles
 * @param rows cell text, one array per row
 */
export function renderTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  // Cells come from servers and stores: nothing in them may drive the terminal.
  rows = rows.map((r) => r.map((c) => stripUnsafe(c ?? "")));
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (c ?? "").padEnd(widths[i])).join("  ").trimEnd();
  return [line(headers), ...rows.map(line)].join("\n") + "\n";
}
