/**
 * Rendering results: JSON for scripts (and whenever stdout is not a terminal), a readable table
 * or summary for people at a terminal (SPEC §2).
 *
 * @module
 */

import type { IO } from "../deps.ts";
import { PupError } from "../errors.ts";
import { stripUnsafe } from "../sanitize.ts";

/**
 * Decides the format.
 *
 * @param output the `-o` flag
 * @param io whether stdout is a terminal
 * @param configOutput config.yaml `output`, when it is json or table
 */
export function wantsJson(
  output: "json" | "table" | undefined,
  io: IO,
  configOutput?: string,
): boolean {
  const chosen = output ??
    (configOutput === "json" || configOutput === "table" ? configOutput : undefined);
  if (chosen) return chosen === "json";
  return !io.isTerminal;
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
