/**
 * The Windows chunked layout (ref §2.2), made crash-safe with a journal (SPEC §6.3), as pure
 * functions over named records so it can be property-tested without Windows.
 *
 * Layout the Rust `pup` reads: records `<acct>_0 … <acct>_{n-1}` of at most 1000 bytes of
 * UTF-8 each and a count record `<acct>_c` (decimal); with no count, the legacy single record
 * `<acct>`. We add a journal under names no site can produce (sanitized accounts never hold
 * `-`), so the Rust `pup` ignores it: `<acct>-j0 … <acct>-j{n-1}` and its count `<acct>-jc`,
 * written last.
 *
 * A write first copies the new value into the journal, then rewrites the chunks in place, then
 * the count, then removes stale chunks and the journal. Which copy a reader trusts:
 * - a journal is *complete* when `-jc` parses and all its records exist;
 * - a complete journal is *active* when the count record is missing or not newer than `-jc`
 *   (its LastWritten): its writer died before switching the count. An active journal is the
 *   newest intended value. A count written after the journal (a finished write, or the Rust
 *   `pup` writing after we crashed) wins over it, so a stale journal never hides newer data;
 * - chunks that are broken (missing chunk, bad count, not JSON) fall back to any complete
 *   journal that parses, and say so.
 * When a read relied on the journal, the next write must not overwrite the journal before the
 * chunks are whole again (`keepJournal`), so the only good copy survives every crash point.
 *
 * @module
 */

/** Most UTF-8 bytes per chunk, as the Rust `pup` (WinCred's 2560-byte blob is 1280 UTF-16 units). */
export const CHUNK_MAX_BYTES = 1000;

/** A primitive of a batch, on record names (the backend maps a name to its target). */
export type RecordOp =
  | { op: "read"; name: string }
  | { op: "write"; name: string; value: string }
  | { op: "delete"; name: string }
  /** Reads `<prefix><start>`, `<prefix><start+1>`, … up to the first missing one. */
  | { op: "readSeq"; prefix: string; start: number }
  /** Deletes the run `<prefix><start>…` that `readSeq` would find, highest index first. */
  | { op: "deleteSeq"; prefix: string; start: number };

/** A stored record: its value and when it was last written (Windows FILETIME). */
export interface StoredRecord {
  /** The record's text. */
  value: string;
  /** FILETIME (100 ns ticks since 1601) of its last write. */
  lastWritten: bigint;
}

/** What one primitive answered, in batch order. */
export type RecordResult =
  | { kind: "read"; record: StoredRecord | null }
  | { kind: "readSeq"; records: StoredRecord[] }
  | { kind: "write" }
  | { kind: "delete"; found: boolean }
  | { kind: "deleteSeq"; deleted: number };

/** The outcome of interpreting a read batch. */
export type ChunkedRead =
  | {
    ok: true;
    /** The value, or `undefined` when nothing is stored. */
    value: string | undefined;
    source: "none" | "legacy" | "chunks" | "journal";
    /** The value came from the journal of an interrupted write: tell the user. */
    recovered: boolean;
    /** The journal is the only good copy: the next write must rewrite chunks before it. */
    keepJournal: boolean;
  }
  | { ok: false; problem: string };

/** The count record's name. */
export function countName(account: string): string {
  return `${account}_c`;
}

/** The name of chunk `i`. */
export function chunkName(account: string, i: number): string {
  return `${account}_${i}`;
}

/** The journal count record's name. */
export function journalCountName(account: string): string {
  return `${account}-jc`;
}

/** The name of journal chunk `i`. */
export function journalChunkName(account: string, i: number): string {
  return `${account}-j${i}`;
}

/**
 * Splits `value` into pieces of at most `maxBytes` UTF-8 bytes, never inside a character.
 *
 * @param value well-formed Unicode text
 * @param maxBytes byte budget per piece (at least 4, the longest UTF-8 character)
 * @returns the pieces in order; `[]` for `""`
 */
export function splitUtf8Chunks(value: string, maxBytes = CHUNK_MAX_BYTES): string[] {
  if (maxBytes < 4) throw new RangeError(`Chunk size ${maxBytes} cannot hold every character`);
  const chunks: string[] = [];
  let current = "";
  let bytes = 0;
  for (const ch of value) {
    const cp = ch.codePointAt(0)!;
    const size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (bytes + size > maxBytes) {
      chunks.push(current);
      current = "";
      bytes = 0;
    }
    current += ch;
    bytes += size;
  }
  if (current !== "") chunks.push(current);
  return chunks;
}

/** Parses a count record as the Rust `pup` does (`usize`), or `undefined` when it is not one. */
export function parseCount(text: string): number | undefined {
  if (!/^\+?[0-9]{1,9}$/.test(text)) return undefined;
  return Number(text);
}

/**
 * The batch that reads everything a value may live in, in one process.
 *
 * @param account e.g. `state_datadoghq_com`
 * @returns five primitives; pass their results to `interpretRead`
 */
export function readBatch(account: string): RecordOp[] {
  return [
    { op: "read", name: countName(account) },
    { op: "read", name: account },
    { op: "read", name: journalCountName(account) },
    { op: "readSeq", prefix: `${account}_`, start: 0 },
    { op: "readSeq", prefix: `${account}-j`, start: 0 },
  ];
}

type Assembled =
  | { kind: "none" }
  | { kind: "ok"; value: string; source: "legacy" | "chunks" }
  | { kind: "broken"; problem: string };

function assembleChunks(
  account: string,
  count: StoredRecord | null,
  legacy: StoredRecord | null,
  records: StoredRecord[],
): Assembled {
  if (count === null) {
    return legacy ? { kind: "ok", value: legacy.value, source: "legacy" } : { kind: "none" };
  }
  const n = parseCount(count.value);
  if (n === undefined) {
    const shown = count.value.length > 20 ? `${count.value.slice(0, 20)}…` : count.value;
    return {
      kind: "broken",
      problem: `its count record "${countName(account)}" holds "${shown}", not a number`,
    };
  }
  if (n === 0) return { kind: "none" };
  if (records.length < n) {
    return {
      kind: "broken",
      problem: `chunk "${chunkName(account, records.length)}" of ${n} is missing`,
    };
  }
  return { kind: "ok", value: records.slice(0, n).map((r) => r.value).join(""), source: "chunks" };
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Decides which copy holds the value (see the module notes).
 *
 * @param account the account read
 * @param results the results of `readBatch(account)`, in order
 * @returns the value and where it came from, or the problem with a broken store
 */
export function interpretRead(account: string, results: readonly RecordResult[]): ChunkedRead {
  const [count, legacy, jc, chunks, journal] = results;
  if (
    count?.kind !== "read" || legacy?.kind !== "read" || jc?.kind !== "read" ||
    chunks?.kind !== "readSeq" || journal?.kind !== "readSeq"
  ) {
    throw new TypeError("interpretRead() needs the results of readBatch()");
  }
  const assembled = assembleChunks(account, count.record, legacy.record, chunks.records);
  const journalN = jc.record ? parseCount(jc.record.value) : undefined;
  const journalValue = jc.record && journalN && journal.records.length >= journalN
    ? journal.records.slice(0, journalN).map((r) => r.value).join("")
    : undefined;
  const fromJournal: ChunkedRead = {
    ok: true,
    value: journalValue,
    source: "journal",
    recovered: true,
    keepJournal: true,
  };
  if (journalValue !== undefined) {
    const active = count.record === null || jc.record!.lastWritten >= count.record.lastWritten;
    if (active) {
      if (assembled.kind === "ok" && assembled.value === journalValue) {
        return {
          ok: true,
          value: journalValue,
          source: assembled.source,
          recovered: false,
          keepJournal: false,
        };
      }
      // A journal that does not parse is damaged: chunks that parse are the better copy.
      const journalDamaged = !isJson(journalValue) && assembled.kind === "ok" &&
        isJson(assembled.value);
      if (!journalDamaged) return fromJournal;
    }
    const chunksBad = assembled.kind === "broken" ||
      (assembled.kind === "ok" && !isJson(assembled.value) && isJson(journalValue));
    if (chunksBad) return fromJournal;
  }
  if (assembled.kind === "broken") return { ok: false, problem: assembled.problem };
  if (assembled.kind === "none") {
    return { ok: true, value: undefined, source: "none", recovered: false, keepJournal: false };
  }
  return {
    ok: true,
    value: assembled.value,
    source: assembled.source,
    recovered: false,
    keepJournal: false,
  };
}
