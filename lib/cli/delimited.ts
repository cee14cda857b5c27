/**
 * `-o csv` and `-o tsv`: a JSON result as rows. A list of objects (or a JSON:API `data` list,
 * attributes lifted next to `id`) gives one row each, with every key seen as a column in order
 * of first appearance; one object gives one row; anything else a `value` column. Nested values
 * are JSON text. CSV quotes as RFC 4180; TSV escapes tab, newline, carriage return and
 * backslash as jq's `@tsv` does, so every record stays on one line.
 *
 * @see https://www.rfc-editor.org/rfc/rfc4180
 * @module
 */

function rowsOf(value: unknown): Record<string, unknown>[] {
  let rows = value;
  if (rows && typeof rows === "object" && !Array.isArray(rows) && "data" in rows) {
    rows = (rows as Record<string, unknown>).data;
  }
  const isObject = (v: unknown): v is Record<string, unknown> =>
    v !== null && typeof v === "object" && !Array.isArray(v);
  if (isObject(rows)) rows = [rows];
  if (!Array.isArray(rows)) return [{ value: rows }];
  return rows.map((r) => {
    if (!isObject(r)) return { value: r };
    const attrs = r.attributes;
    return isObject(attrs) ? { id: r.id, ...attrs } : r;
  });
}

function text(v: unknown): string {
  if (v === null || v === undefined) return "";
  return typeof v === "object" ? JSON.stringify(v) : String(v);
}

function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

function tsvField(s: string): string {
  return s.replace(
    /[\\\t\n\r]/g,
    (c) => ({ "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" })[c]!,
  );
}

/**
 * Renders `value` as CSV or TSV with a header line.
 *
 * @param value the JSON result
 * @param format `csv` or `tsv`
 * @returns the text, each record ending in a newline (CRLF for CSV, as RFC 4180 says)
 */
export function delimited(value: unknown, format: "csv" | "tsv"): string {
  const rows = rowsOf(value);
  const columns: string[] = [];
  for (const r of rows) for (const k of Object.keys(r)) if (!columns.includes(k)) columns.push(k);
  const [field, sep, eol] = format === "csv" ? [csvField, ",", "\r\n"] : [tsvField, "\t", "\n"];
  const line = (cells: string[]) => cells.map(field).join(sep) + eol;
  return line(columns) + rows.map((r) => line(columns.map((c) => text(r[c])))).join("");
}
