/**
 * The bench's result rows and their Markdown table. Pure.
 *
 * @module
 */

/** `pass` is a verdict against a SPEC §8 target; `info` has no target; `skipped` could not run. */
export type Verdict = "pass" | "fail" | "info" | "skipped";

/** One line of the results table. */
export interface BenchRow {
  /** What was measured, e.g. "start-up `pup --help` / hello world". */
  metric: string;
  /** The figure, as printed, e.g. "1.23x (18.1 ms / 14.7 ms)". */
  value: string;
  /** The target as printed, e.g. "≤ 1.50x"; "-" when there is none. */
  target: string;
  verdict: Verdict;
  /** Why a row was skipped or failed, shown after the verdict. */
  note?: string;
}

const VERDICT_TEXT: Record<Verdict, string> = {
  pass: "PASS",
  fail: "FAIL",
  info: "info",
  skipped: "skipped",
};

/** A table cell: pipes escaped and line breaks flattened so one row stays one line. */
function cell(text: string): string {
  return text.replace(/\r?\n/g, " ").replace(/\|/g, "\\|");
}

/**
 * Renders rows as a GitHub-flavoured Markdown table.
 *
 * @param rows the results, in order
 * @returns the table, ending with a newline
 */
export function renderTable(rows: readonly BenchRow[]): string {
  const lines = [
    "| metric | value | target | result |",
    "|---|---|---|---|",
    ...rows.map((r) => {
      const result = VERDICT_TEXT[r.verdict] + (r.note ? ` (${r.note})` : "");
      return `| ${cell(r.metric)} | ${cell(r.value)} | ${cell(r.target)} | ${cell(result)} |`;
    }),
  ];
  return lines.join("\n") + "\n";
}

/**
 * The rows that missed their target.
 *
 * @param rows the results
 * @returns the failed rows, in order
 */
export function failedRows(rows: readonly BenchRow[]): BenchRow[] {
  return rows.filter((r) => r.verdict === "fail");
}

/**
 * The closing line: which targets were missed, if any.
 *
 * @param rows the results
 * @returns a one-line summary naming every missed target
 */
export function summaryLine(rows: readonly BenchRow[]): string {
  const failed = failedRows(rows);
  const checked = rows.filter((r) => r.verdict === "pass" || r.verdict === "fail").length;
  const skipped = rows.filter((r) => r.verdict === "skipped").length;
  const skippedText = skipped > 0 ? `, ${skipped} skipped` : "";
  if (failed.length === 0) return `All ${checked} targets met${skippedText}.`;
  return `${failed.length} of ${checked} targets missed${skippedText}: ${
    failed.map((r) => `${r.metric} = ${r.value} (target ${r.target})`).join("; ")
  }.`;
}
