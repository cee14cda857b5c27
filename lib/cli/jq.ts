/**
 * `--jq <expr>` through real jq: jq 1.7 compiled to WebAssembly (`npm:jq-wasm`, MIT, by the
 * author of jqplay), so every filter behaves exactly as in the jq people know. Loaded only when
 * `--jq` is given: the WebAssembly module costs about 60 ms to instantiate.
 *
 * @see https://jqlang.github.io/jq/manual/
 * @module
 */

import { UsageError } from "../errors.ts";

/** jq's own error text, cut to its first lines, without the wrapper's prefix. */
function jqProblem(e: unknown, expr: string): UsageError {
  const text = e instanceof Error ? e.message : String(e);
  const detail = text.replace(/^Failed to execute JSON query:\s*/, "").split("\n")
    .filter((l) => l.trim() !== "").slice(0, 3).join("; ");
  return new UsageError(`--jq "${expr}" failed: ${detail}`);
}

/**
 * Runs `expr` over `value` and returns jq's output text, as `jq` prints it (pretty JSON, one
 * result after the other, each followed by a newline).
 *
 * @param value the JSON-able input
 * @param expr the filter
 * @throws {UsageError} naming the filter and jq's message
 */
export async function jqText(value: unknown, expr: string): Promise<string> {
  const { raw } = await import("jq-wasm");
  try {
    const out = await raw(JSON.stringify(value ?? null), expr);
    return out === "" || out.endsWith("\n") ? out : `${out}\n`;
  } catch (e) {
    throw jqProblem(e, expr);
  }
}

/**
 * Runs `expr` over `value` and returns its results as values (for `-o yaml|csv|tsv`).
 *
 * @param value the JSON-able input
 * @param expr the filter
 * @returns every result, in order
 * @throws {UsageError} naming the filter and jq's message
 */
export async function jqValues(value: unknown, expr: string): Promise<unknown[]> {
  const { raw } = await import("jq-wasm");
  let out: string;
  try {
    out = await raw(JSON.stringify(value ?? null), expr, ["-c"]);
  } catch (e) {
    throw jqProblem(e, expr);
  }
  return out.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l));
}
