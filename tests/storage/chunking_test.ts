import assert from "node:assert/strict";
import fc from "fast-check";
import {
  chunkName,
  countName,
  interpretRead,
  journalChunkName,
  journalCountName,
  readBatch,
  type RecordOp,
  type RecordResult,
  splitUtf8Chunks,
} from "../../lib/storage/chunking.ts";
import { planDelete, planWrite, verifyWrite } from "../../lib/storage/chunk_writes.ts";

const ACCOUNT = "state_datadoghq_com";
const utf8 = (s: string) => new TextEncoder().encode(s).length;

/**
 * A credential store in memory that runs batches as the PowerShell script does, and can stop
 * after `budget` writes/deletes, as a killed process would. One clock tick per batch, so
 * records written in one batch share a timestamp (the worst case for the journal rule).
 */
class SimVault {
  readonly records = new Map<string, { value: string; lastWritten: bigint }>();
  clock = 1n;

  run(ops: RecordOp[], budget = Infinity): { results: RecordResult[]; killed: boolean } {
    this.clock++;
    const results: RecordResult[] = [];
    const seq = (prefix: string, start: number) => {
      const found = [];
      for (let i = start; this.records.has(`${prefix}${i}`); i++) {
        found.push(this.records.get(`${prefix}${i}`)!);
      }
      return found;
    };
    const mutate = (fn: () => void) => {
      if (budget <= 0) throw new Killed();
      fn();
      budget--;
    };
    try {
      for (const op of ops) {
        if (op.op === "read") {
          results.push({ kind: "read", record: this.records.get(op.name) ?? null });
        } else if (op.op === "readSeq") {
          results.push({ kind: "readSeq", records: seq(op.prefix, op.start) });
        } else if (op.op === "write") {
          mutate(() => this.records.set(op.name, { value: op.value, lastWritten: this.clock }));
          results.push({ kind: "write" });
        } else if (op.op === "delete") {
          const found = this.records.has(op.name);
          if (found) mutate(() => this.records.delete(op.name));
          results.push({ kind: "delete", found });
        } else {
          const n = seq(op.prefix, op.start).length;
          for (let i = op.start + n - 1; i >= op.start; i--) {
            mutate(() => this.records.delete(`${op.prefix}${i}`));
          }
          results.push({ kind: "deleteSeq", deleted: n });
        }
      }
      return { results, killed: false };
    } catch (e) {
      if (e instanceof Killed) return { results, killed: true };
      throw e;
    }
  }

  read() {
    return interpretRead(ACCOUNT, this.run(readBatch(ACCOUNT)).results);
  }

  /** The Rust `pup`'s write (ref §2.2): chunks in place, then the count, then stale chunks. */
  rustWrite(value: string): void {
    this.clock++;
    const old = Number(this.records.get(countName(ACCOUNT))?.value ?? "0") || 0;
    const pieces = splitUtf8Chunks(value);
    pieces.forEach((p, i) =>
      this.records.set(chunkName(ACCOUNT, i), { value: p, lastWritten: this.clock })
    );
    this.records.set(countName(ACCOUNT), { value: String(pieces.length), lastWritten: this.clock });
    for (let i = pieces.length; i < old; i++) this.records.delete(chunkName(ACCOUNT, i));
  }

  /** Writes `value` as pup does: read, then the planned batch. */
  write(value: string, budget = Infinity): boolean {
    const before = this.read();
    const keep = before.ok ? before.keepJournal : false;
    return !this.run(planWrite(ACCOUNT, value, keep), budget).killed;
  }
}

class Killed extends Error {}

function readValue(vault: SimVault): string | undefined {
  const r = vault.read();
  assert.ok(r.ok, `read failed: ${r.ok ? "" : r.problem}`);
  return r.value;
}

/**
 * JSON values of one to about 16 chunks, with characters of every UTF-8 length. Long ones start
 * at 1000 characters: fast-check's bias favours minimum lengths and ASCII.
 */
const jsonValue = fc.tuple(
  fc.boolean(),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: "binary", minLength: 1000, maxLength: 4000 }),
).map(([long, short, longer]) => JSON.stringify({ v: long ? longer : short }));

Deno.test("splitUtf8Chunks() keeps every piece within 1000 bytes and never splits a character", () => {
  fc.assert(
    fc.property(fc.string({ unit: "binary", maxLength: 4000 }), (s) => {
      const pieces = splitUtf8Chunks(s);
      assert.equal(pieces.join(""), s);
      for (const [i, p] of pieces.entries()) {
        assert.ok(p.length > 0 && p.isWellFormed(), "a piece cut a surrogate pair");
        assert.ok(utf8(p) <= 1000);
        const next = pieces[i + 1];
        // Greedy: a piece ends only where the next character would not fit.
        if (next !== undefined) {
          assert.ok(utf8(p) + utf8(String.fromCodePoint(next.codePointAt(0)!)) > 1000);
        }
      }
    }),
  );
});

Deno.test("splitUtf8Chunks() moves a multi-byte character that straddles byte 1000 to the next piece", () => {
  const value = "a".repeat(998) + "日" + "b";
  const pieces = splitUtf8Chunks(value);
  assert.deepEqual(pieces.map(utf8), [998, 4]);
  assert.equal(pieces[1], "日b");
  const emoji = "a".repeat(997) + "🚀";
  assert.deepEqual(splitUtf8Chunks(emoji).map(utf8), [997, 4]);
  assert.deepEqual(splitUtf8Chunks("x".repeat(1000)).map(utf8), [1000]);
  assert.deepEqual(splitUtf8Chunks(""), []);
});

Deno.test("a written value reads back, and the write batch verifies it", () => {
  fc.assert(
    fc.property(jsonValue, (value) => {
      const vault = new SimVault();
      const { results } = vault.run(planWrite(ACCOUNT, value, false));
      assert.equal(verifyWrite(value, results), undefined);
      assert.equal(readValue(vault), value);
      assert.deepEqual(
        [...vault.records.keys()].filter((k) => k.includes("-j")),
        [],
        "the journal was left behind",
      );
    }),
    { endOnFailure: true },
  );
});

Deno.test("a writer killed after any number of writes leaves the old or the new value, never a mix", () => {
  fc.assert(
    fc.property(jsonValue, jsonValue, jsonValue, fc.nat(), fc.nat(), (a, b, c, cut1, cut2) => {
      const vault = new SimVault();
      vault.write(a);
      const steps = (v: string, keep: boolean) =>
        planWrite(ACCOUNT, v, keep).filter((op) => op.op !== "read" && op.op !== "readSeq").length;
      vault.write(b, cut1 % (steps(b, false) * 2 + 2));
      const afterFirst = readValue(vault);
      assert.ok(afterFirst === a || afterFirst === b, "first crash lost the value");
      // A second crash, on top of whatever the first left.
      vault.write(c, cut2 % (steps(c, false) * 2 + 2));
      const afterSecond = readValue(vault);
      assert.ok(afterSecond === afterFirst || afterSecond === c, "second crash lost the value");
      // The next complete write wins and tidies up.
      vault.write(a);
      assert.equal(readValue(vault), a);
      const n = splitUtf8Chunks(a).length;
      assert.deepEqual(
        [...vault.records.keys()].sort(),
        [countName(ACCOUNT), ...Array.from({ length: n }, (_, i) => chunkName(ACCOUNT, i))].sort(),
        "journal or stale chunks left behind",
      );
    }),
    { numRuns: 300, endOnFailure: true },
  );
});

Deno.test("a complete journal never hides a value the Rust pup wrote after the crash", () => {
  fc.assert(
    fc.property(jsonValue, jsonValue, jsonValue, fc.nat(), (a, b, rust, cut) => {
      const vault = new SimVault();
      vault.write(a);
      vault.write(b, cut % 40);
      vault.rustWrite(rust);
      assert.equal(readValue(vault), rust);
    }),
    { endOnFailure: true },
  );
});

Deno.test("delete killed at any point leaves the old value or nothing", () => {
  fc.assert(
    fc.property(jsonValue, jsonValue, fc.nat(), fc.nat(), (a, b, cut1, cut2) => {
      const vault = new SimVault();
      vault.write(a);
      vault.write(b, cut1 % 30);
      const before = readValue(vault);
      vault.run(planDelete(ACCOUNT), cut2 % 30);
      const after = readValue(vault);
      assert.ok(after === before || after === undefined);
    }),
    { endOnFailure: true },
  );
});

Deno.test("interpretRead() reads the legacy single record when no count exists", () => {
  const vault = new SimVault();
  vault.records.set(ACCOUNT, { value: '{"legacy":true}', lastWritten: 1n });
  assert.deepEqual(vault.read(), {
    ok: true,
    value: '{"legacy":true}',
    source: "legacy",
    recovered: false,
    keepJournal: false,
  });
  // Once a count exists, the legacy record is ignored, as in the Rust pup.
  vault.rustWrite('{"new":1}');
  assert.equal(readValue(vault), '{"new":1}');
});

Deno.test("interpretRead() reports a missing chunk, naming it", () => {
  const vault = new SimVault();
  vault.rustWrite(JSON.stringify({ v: "x".repeat(2500) }));
  vault.records.delete(chunkName(ACCOUNT, 1));
  const r = vault.read();
  assert.equal(r.ok, false);
  assert.match(r.ok ? "" : r.problem, /chunk "state_datadoghq_com_1" of 3 is missing/);
});

Deno.test("interpretRead() reports a missing last chunk (the count says 3, chunks 0 and 1 are there)", () => {
  const vault = new SimVault();
  vault.rustWrite(JSON.stringify({ v: "x".repeat(2500) }));
  vault.records.delete(chunkName(ACCOUNT, 2));
  const r = vault.read();
  assert.equal(r.ok, false, "a value cut short is never handed back");
  assert.match(r.ok ? "" : r.problem, /chunk "state_datadoghq_com_2" of 3 is missing/);
});

Deno.test("interpretRead() reports a count that is not a number", () => {
  const vault = new SimVault();
  vault.rustWrite('{"a":1}');
  vault.records.set(countName(ACCOUNT), { value: "two", lastWritten: 9n });
  const r = vault.read();
  assert.equal(r.ok, false);
  assert.match(
    r.ok ? "" : r.problem,
    /count record "state_datadoghq_com_c" holds "two", not a number/,
  );
});

Deno.test("interpretRead() treats a zero count as nothing stored", () => {
  const vault = new SimVault();
  vault.records.set(countName(ACCOUNT), { value: "0", lastWritten: 1n });
  assert.equal(readValue(vault), undefined);
});

Deno.test("interpretRead() restores from a complete journal when the chunks are broken, and says so", () => {
  const vault = new SimVault();
  vault.write('{"good":1}');
  vault.records.set(journalChunkName(ACCOUNT, 0), { value: '{"good":2}', lastWritten: 1n });
  vault.records.set(journalCountName(ACCOUNT), { value: "1", lastWritten: 1n });
  // Chunks newer than the journal win while they parse ...
  assert.equal(readValue(vault), '{"good":1}');
  // ... and the journal stands in when they do not.
  vault.records.set(chunkName(ACCOUNT, 0), { value: '{"goo', lastWritten: 99n });
  const r = vault.read();
  assert.ok(r.ok && r.recovered && r.source === "journal" && r.value === '{"good":2}');
});

Deno.test("interpretRead() prefers chunks that parse over a newer journal that does not", () => {
  const vault = new SimVault();
  vault.write('{"good":1}');
  vault.records.set(journalChunkName(ACCOUNT, 0), { value: '{"torn', lastWritten: 99n });
  vault.records.set(journalCountName(ACCOUNT), { value: "1", lastWritten: 99n });
  const r = vault.read();
  assert.ok(r.ok && !r.recovered && r.value === '{"good":1}', JSON.stringify(r));
});

Deno.test("interpretRead() ignores a journal without its count record", () => {
  const vault = new SimVault();
  vault.write('{"a":1}');
  vault.records.set(journalChunkName(ACCOUNT, 0), { value: '{"half', lastWritten: 99n });
  const r = vault.read();
  assert.ok(r.ok && !r.recovered && r.value === '{"a":1}');
});

Deno.test("planWrite() refuses an empty value", () => {
  assert.throws(() => planWrite(ACCOUNT, "", false), RangeError);
});
