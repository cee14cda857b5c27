/**
 * Property tests (fast-check, fixed seed, bounded runs) for the Windows chunked layout
 * (ref §2.2, SPEC §6.2, §6.3): splitting never loses or breaks a character, and a write or a
 * delete interrupted after any record leaves the old value or the new one, never a mix, also
 * when a second write is interrupted after a first one was.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  CHUNK_MAX_BYTES,
  interpretRead,
  readBatch,
  type RecordOp,
  type RecordResult,
  splitUtf8Chunks,
  type StoredRecord,
} from "../../lib/storage/chunking.ts";
import { planDelete, planWrite } from "../../lib/storage/chunk_writes.ts";

/** `deno task soak` raises the run count (PUP_PROPERTY_SCALE=10); the seed stays fixed. */
const SCALE = Number(Deno.env.get("PUP_PROPERTY_SCALE") ?? "1") || 1;
// endOnFailure: shrinking multi-kilobyte counterexamples takes minutes; the seed replays them.
const params = { seed: 77001, numRuns: 250 * SCALE, endOnFailure: true };
const ACCOUNT = "state_datadoghq_com";
const utf8 = (s: string) => new TextEncoder().encode(s).length;

/** Text with every UTF-8 width: ASCII, 2-, 3- and 4-byte (astral) characters. */
// size "large": fast-check's default keeps strings near 10 characters, below one chunk.
const mixedText = fc.oneof(
  fc.string({ unit: "binary", maxLength: 3000, size: "large" }),
  fc.string({
    unit: fc.constantFrom("a", "é", "€", "😀", '"', "\\"),
    maxLength: 2500,
    size: "large",
  }),
);

/** A value as a store holds it: compact JSON of a few token-like strings (some non-ASCII). */
const storedValue = fc.tuple(
  fc.array(fc.string({ unit: "binary", maxLength: 400, size: "large" }), {
    minLength: 1,
    maxLength: 6,
  }),
  fc.nat(),
).map(([parts, n]) => JSON.stringify({ tokens: { __default__: { access_token: parts } }, n }));

/**
 * WinCred as the Windows backend sees it: each record write or delete is atomic, and every
 * record carries a LastWritten time that only moves forward.
 */
class Records {
  readonly map = new Map<string, StoredRecord>();
  #clock = 1000n;

  apply(op: RecordOp): RecordResult {
    switch (op.op) {
      case "read":
        return { kind: "read", record: this.map.get(op.name) ?? null };
      case "write":
        this.map.set(op.name, { value: op.value, lastWritten: ++this.#clock });
        return { kind: "write" };
      case "delete":
        return { kind: "delete", found: this.map.delete(op.name) };
      case "readSeq": {
        const records: StoredRecord[] = [];
        for (let i = op.start; this.map.has(`${op.prefix}${i}`); i++) {
          records.push(this.map.get(`${op.prefix}${i}`)!);
        }
        return { kind: "readSeq", records };
      }
      case "deleteSeq": {
        let end = op.start;
        while (this.map.has(`${op.prefix}${end}`)) end++;
        for (let i = end - 1; i >= op.start; i--) this.map.delete(`${op.prefix}${i}`);
        return { kind: "deleteSeq", deleted: end - op.start };
      }
    }
  }

  /** Runs the first `limit` operations of a batch, as a process killed after them would. */
  run(ops: readonly RecordOp[], limit = ops.length): RecordResult[] {
    return ops.slice(0, limit).map((op) => this.apply(op));
  }

  read(): { value: string | undefined; keepJournal: boolean } {
    const r = interpretRead(ACCOUNT, this.run(readBatch(ACCOUNT)));
    assert.ok(r.ok, r.ok ? "" : r.problem);
    return { value: r.value, keepJournal: r.keepJournal };
  }

  /** What the Rust `pup` reads: the count and chunks in place, else the legacy record. */
  rustView(): string | undefined {
    const count = this.map.get(`${ACCOUNT}_c`);
    if (!count) return this.map.get(ACCOUNT)?.value;
    const parts: string[] = [];
    for (let i = 0; i < Number(count.value); i++) {
      const rec = this.map.get(`${ACCOUNT}_${i}`);
      if (!rec) return undefined;
      parts.push(rec.value);
    }
    return parts.join("");
  }
}

/** Where the old value starts: nothing, a legacy single record (Rust before chunking), chunks. */
const startArb = fc.constantFrom("empty", "legacy", "chunks");

function seed(start: string, old: string): Records {
  const r = new Records();
  if (start === "legacy") r.apply({ op: "write", name: ACCOUNT, value: old });
  if (start === "chunks") r.run(planWrite(ACCOUNT, old, false));
  return r;
}

Deno.test("chunk split/join and interrupted chunked writes hold for generated values (fast-check, fixed seed)", async (t) => {
  await t.step("join(split(s)) == s, no chunk over 1000 UTF-8 bytes, no character split", () => {
    let multiChunk = 0;
    fc.assert(
      fc.property(mixedText, (s) => {
        const chunks = splitUtf8Chunks(s);
        if (chunks.length > 1) multiChunk++;
        assert.equal(chunks.join(""), s);
        if (s === "") assert.deepEqual(chunks, []);
        for (const [i, c] of chunks.entries()) {
          assert.ok(c.length > 0, `chunk ${i} is empty`);
          assert.ok(utf8(c) <= CHUNK_MAX_BYTES, `chunk ${i} is ${utf8(c)} bytes`);
          assert.ok(c.isWellFormed(), `chunk ${i} splits a surrogate pair`);
          // Greedy: a chunk ends early only where the next character would not fit.
          if (i < chunks.length - 1) {
            const next = String.fromCodePoint(chunks[i + 1].codePointAt(0)!);
            assert.ok(utf8(c) + utf8(next) > CHUNK_MAX_BYTES, `chunk ${i} ended early`);
          }
        }
      }),
      params,
    );
    assert.ok(multiChunk > params.numRuns / 4, `only ${multiChunk} values needed two chunks`);
  });

  await t.step("small budgets (4-16 bytes) still never split a character", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "binary", maxLength: 200, size: "large" }),
        fc.integer({ min: 4, max: 16 }),
        (s, max) => {
          const chunks = splitUtf8Chunks(s, max);
          assert.equal(chunks.join(""), s);
          for (const c of chunks) assert.ok(utf8(c) <= max && c.isWellFormed());
        },
      ),
      params,
    );
  });

  await t.step("a write killed after any record leaves the old or the new value", () => {
    fc.assert(
      fc.property(startArb, storedValue, storedValue, fc.nat(), (start, old, next, cutAt) => {
        const oldValue = start === "empty" ? undefined : old;
        const probe = seed(start, old);
        const before = probe.read();
        assert.equal(before.value, oldValue);
        const ops = planWrite(ACCOUNT, next, before.keepJournal);
        const limit = cutAt % (ops.length + 1);
        const r = seed(start, old);
        r.run(ops, limit);
        const after = r.read().value;
        assert.ok(after === oldValue || after === next, `mixed value after ${limit}/${ops.length}`);
        if (limit === ops.length) {
          assert.equal(after, next);
          assert.equal(r.rustView(), next, "a finished write is what the Rust pup reads");
          assert.deepEqual(
            [...r.map.keys()].filter((k) => k.includes("-j")),
            [],
            "journal removed",
          );
        }
      }),
      params,
    );
  });

  await t.step(
    "a second write killed after any record, following a killed first write, loses nothing",
    () => {
      fc.assert(
        fc.property(
          startArb,
          fc.tuple(storedValue, storedValue, storedValue),
          fc.nat(),
          fc.nat(),
          (start, [old, first, second], cut1, cut2) => {
            const r = seed(start, old);
            const ops1 = planWrite(ACCOUNT, first, r.read().keepJournal);
            r.run(ops1, cut1 % (ops1.length + 1));
            const mid = r.read();
            assert.ok(mid.value === (start === "empty" ? undefined : old) || mid.value === first);
            const ops2 = planWrite(ACCOUNT, second, mid.keepJournal);
            const limit = cut2 % (ops2.length + 1);
            r.run(ops2, limit);
            const end = r.read().value;
            assert.ok(end === mid.value || end === second, `lost ${JSON.stringify(mid.value)}`);
            if (limit === ops2.length) assert.equal(end, second);
          },
        ),
        params,
      );
    },
  );

  await t.step("a delete killed after any record leaves the old value or nothing", () => {
    fc.assert(
      fc.property(startArb, storedValue, fc.nat(), (start, old, cutAt) => {
        const r = seed(start, old);
        const ops = planDelete(ACCOUNT);
        const limit = cutAt % (ops.length + 1);
        r.run(ops, limit);
        const after = r.read().value;
        assert.ok(after === undefined || after === old);
        if (limit === ops.length) assert.equal(r.map.size, 0);
      }),
      params,
    );
  });
});
