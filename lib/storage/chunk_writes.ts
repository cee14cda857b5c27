/**
 * The write and delete batches of the Windows chunked layout (see `chunking.ts` for the layout,
 * the journal and how a read decides which copy to trust): pure plans of record operations, in
 * an order where a crash at any point leaves the old value or the new one.
 *
 * @module
 */

import {
  chunkName,
  countName,
  journalChunkName,
  journalCountName,
  parseCount,
  type RecordOp,
  type RecordResult,
  splitUtf8Chunks,
} from "./chunking.ts";

/**
 * The batch that writes `value` crash-safely, then reads it back for verification.
 *
 * @param account e.g. `state_datadoghq_com`
 * @param value non-empty, well-formed Unicode
 * @param keepJournal what the last read said: the journal is the only good copy
 * @returns the primitives; the last two (`read` count, `readSeq` chunks) verify the write
 */
export function planWrite(account: string, value: string, keepJournal: boolean): RecordOp[] {
  const pieces = splitUtf8Chunks(value);
  if (pieces.length === 0) throw new RangeError("An empty value cannot be stored in chunks");
  const ops: RecordOp[] = [];
  if (!keepJournal) {
    // An old "-jc" next to half-rewritten journal records would look complete: drop it first.
    ops.push({ op: "delete", name: journalCountName(account) });
    pieces.forEach((p, i) =>
      ops.push({ op: "write", name: journalChunkName(account, i), value: p })
    );
    ops.push({ op: "write", name: journalCountName(account), value: String(pieces.length) });
  }
  pieces.forEach((p, i) => ops.push({ op: "write", name: chunkName(account, i), value: p }));
  ops.push({ op: "write", name: countName(account), value: String(pieces.length) });
  ops.push({ op: "delete", name: account });
  ops.push({ op: "deleteSeq", prefix: `${account}_`, start: pieces.length });
  ops.push({ op: "delete", name: journalCountName(account) });
  ops.push({ op: "deleteSeq", prefix: `${account}-j`, start: 0 });
  ops.push({ op: "read", name: countName(account) });
  ops.push({ op: "readSeq", prefix: `${account}_`, start: 0 });
  return ops;
}

/**
 * Checks the two verification results at the end of a `planWrite` batch.
 *
 * @param value what was written
 * @param results all results of the write batch
 * @returns `undefined` when the read-back equals `value`, else what differs
 */
export function verifyWrite(value: string, results: readonly RecordResult[]): string | undefined {
  const count = results.at(-2);
  const chunks = results.at(-1);
  if (count?.kind !== "read" || chunks?.kind !== "readSeq") return "the read-back is missing";
  const n = count.record ? parseCount(count.record.value) : undefined;
  if (n === undefined) return "the count record did not read back";
  if (chunks.records.length < n) return `only ${chunks.records.length} of ${n} chunks read back`;
  const back = chunks.records.slice(0, n).map((r) => r.value).join("");
  return back === value ? undefined : "the value read back differs from the one written";
}

/**
 * The batch that removes every record of `account`, in an order where a crash leaves the old
 * value or nothing: legacy first (so it cannot resurface), then the count, then the journal.
 *
 * @param account e.g. `state_datadoghq_com`
 * @returns the primitives; anything found means something was removed
 */
export function planDelete(account: string): RecordOp[] {
  return [
    { op: "delete", name: account },
    { op: "delete", name: countName(account) },
    { op: "delete", name: journalCountName(account) },
    { op: "deleteSeq", prefix: `${account}_`, start: 0 },
    { op: "deleteSeq", prefix: `${account}-j`, start: 0 },
  ];
}

/**
 * Whether a delete batch removed anything.
 *
 * @param results the results of `planDelete`
 */
export function deletedAnything(results: readonly RecordResult[]): boolean {
  return results.some((r) =>
    (r.kind === "delete" && r.found) || (r.kind === "deleteSeq" && r.deleted > 0)
  );
}
