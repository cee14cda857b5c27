/**
 * The Windows backend's real `Deno.dlopen` code against the advapi32 stand-in
 * (`tests/_fakes/native/advapi32.c`), which follows the documented API, codes and limits; the
 * store file it keeps is inspected with `advapi32_store.ts`. Tests run one after another: the
 * stand-in reads `PUP_STANDIN_*` from this process's environment.
 *
 * @module
 */

import assert from "node:assert/strict";
import { DEFAULT_SCOPES } from "../../lib/auth/scopes.ts";
import { StorageCorruptError, StorageUnavailableError } from "../../lib/errors.ts";
import { splitUtf8Chunks } from "../../lib/storage/chunking.ts";
import { KeychainStore } from "../../lib/storage/keychain_store.ts";
import { StoreAbsentError } from "../../lib/storage/secret_store.ts";
import { WinCredApi } from "../../lib/storage/wincred.ts";
import {
  decodeBlob,
  encodeBlob,
  WindowsCredentialManager,
} from "../../lib/storage/windows_credential_manager.ts";
import {
  keyringRecord,
  readStandinStore,
  type StandinRecord,
  writeStandinStore,
} from "../_fakes/native/advapi32_store.ts";
import { standinLibrary } from "../_fakes/native/standin.ts";
import { contract } from "./_secret_store_contract.ts";

const LIB = await standinLibrary("advapi32");
const ACCOUNT = "state_x";
const WRITER = new URL("../_fakes/_wincred_writer.ts", import.meta.url).pathname;
const KNOBS = ["STORE", "LOG", "FAIL", "ABORT_AT", "ABORT_AFTER"].map((k) => `PUP_STANDIN_${k}`);

interface Setup {
  dir: string;
  store: string;
  log: string;
  notices: string[];
  backend: WindowsCredentialManager;
  /** A fresh backend (no cached journal decision), same libraries. */
  fresh(): WindowsCredentialManager;
  records(): Promise<StandinRecord[]>;
  logLines(): Promise<string[]>;
}

async function withStandin(fn: (s: Setup) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "pup-wincred-" });
  const store = `${dir}/store`;
  const log = `${dir}/log`;
  Deno.env.set("PUP_STANDIN_STORE", store);
  Deno.env.set("PUP_STANDIN_LOG", log);
  const notices: string[] = [];
  const fresh = () =>
    new WindowsCredentialManager({
      advapi32: LIB,
      kernel32: LIB,
      onNotice: (m) => notices.push(m),
    });
  try {
    await fn({
      dir,
      store,
      log,
      notices,
      backend: fresh(),
      fresh,
      records: () => readStandinStore(store),
      logLines: async () =>
        (await Deno.readTextFile(log).catch(() => "")).split("\n").filter((l) => l !== ""),
    });
    const unexpected = (await Deno.readTextFile(log).catch(() => "")).match(/^UNEXPECTED.*/m);
    assert.equal(unexpected, null, "the stand-in saw a call pup must never make");
  } finally {
    for (const k of KNOBS) Deno.env.delete(k);
    await Deno.remove(dir, { recursive: true });
  }
}

/** The Rust pup's records for `value` (ref §2.2): chunks and a count, nothing else. */
function rustLayout(account: string, value: string): StandinRecord[] {
  const pieces = splitUtf8Chunks(value);
  return [
    keyringRecord(`${account}_c`, String(pieces.length)),
    ...pieces.map((p, i) => keyringRecord(`${account}_${i}`, p)),
  ];
}

function targets(records: StandinRecord[]): string[] {
  return records.map((r) => r.target).sort();
}

/** A default session and 10 named ones with the 110 default scopes and 1 KB tokens. */
function bigState(): string {
  const tokens: Record<string, unknown> = {};
  for (const org of ["__default__", ...Array.from({ length: 10 }, (_, i) => `org-${i}`)]) {
    tokens[org] = {
      access_token: `a${org}`.padEnd(1024, "A"),
      refresh_token: `r${org}`.padEnd(1024, "R"),
      token_type: "Bearer",
      expires_in: 3600,
      issued_at: 1_770_000_000,
      scope: DEFAULT_SCOPES.join(" "),
      client_id: "client-1",
    };
  }
  return JSON.stringify({ tokens, client: null });
}

const MEDIUM = JSON.stringify({ tokens: { a: "x".repeat(1200), b: "é日本🚀".repeat(200) } });

Deno.test("the Windows backend passes the SecretStore contract through the stand-in", async (t) => {
  await withStandin((s) =>
    contract(t, () => Promise.resolve({ store: s.backend, cleanup: () => Promise.resolve() }))
  );
});

Deno.test("a 50 KB multi-session value is stored as keyring 3.6.3 records of at most 2560 bytes", async () => {
  await withStandin(async (s) => {
    const value = bigState();
    assert.ok(value.length >= 48_000, `only ${value.length} bytes`);
    await s.backend.set(ACCOUNT, value);
    assert.equal(await s.fresh().get(ACCOUNT), value);
    const records = await s.records();
    const n = splitUtf8Chunks(value).length;
    assert.ok(n >= 50, `only ${n} chunks`);
    assert.deepEqual(targets(records), targets(rustLayout(ACCOUNT, value)));
    for (const r of records) {
      const name = r.target.slice(0, -".pup".length);
      assert.deepEqual(
        { type: r.type, user: r.userName, comment: r.comment, alias: r.alias, persist: r.persist },
        { type: 1, user: name, comment: "keyring v3.6.3", alias: "", persist: 3 },
      );
      assert.ok(r.blob.length <= 2560 && r.blob.length % 2 === 0, r.target);
    }
    const count = records.find((r) => r.target === `${ACCOUNT}_c.pup`)!;
    assert.equal(decodeBlob(count.blob), String(n));
    const joined = Array.from({ length: n }, (_, i) => `${ACCOUNT}_${i}.pup`)
      .map((t) => decodeBlob(records.find((r) => r.target === t)!.blob)).join("");
    assert.equal(joined, value);
  });
});

Deno.test("chunk boundaries never split a multi-byte character", async () => {
  await withStandin(async (s) => {
    const value = `{"v":"${"a".repeat(992)}日本🚀"}`; // "日" straddles byte 1000
    await s.backend.set(ACCOUNT, value);
    const blob = async (i: number) =>
      decodeBlob((await s.records()).find((r) => r.target === `${ACCOUNT}_${i}.pup`)!.blob);
    assert.equal(new TextEncoder().encode(await blob(0)).length, 998);
    assert.ok((await blob(1)).startsWith("日本🚀"));
  });
});

Deno.test("records the Rust pup wrote by hand are read, and the legacy record when no count exists", async () => {
  await withStandin(async (s) => {
    await writeStandinStore(s.store, [keyringRecord(ACCOUNT, '{"legacy":1}')]);
    assert.equal(await s.backend.get(ACCOUNT), '{"legacy":1}');
    await writeStandinStore(s.store, rustLayout(ACCOUNT, MEDIUM));
    assert.equal(await s.fresh().get(ACCOUNT), MEDIUM);
    const upper = rustLayout(ACCOUNT, MEDIUM).map((r) => ({
      ...r,
      target: r.target.toUpperCase(),
    }));
    await writeStandinStore(s.store, upper); // target names are case-insensitive
    assert.equal(await s.fresh().get(ACCOUNT), MEDIUM);
  });
});

Deno.test("a read of an existing value makes exactly the expected CredReadW and CredFree calls", async () => {
  await withStandin(async (s) => {
    await writeStandinStore(s.store, rustLayout(ACCOUNT, `{"v":"${"a".repeat(1500)}"}`));
    await s.backend.get(ACCOUNT);
    assert.deepEqual(await s.logLines(), [
      "CredReadW state_x_c.pup",
      "CredFree state_x_c.pup",
      "CredReadW state_x.pup",
      "CredReadW state_x-jc.pup",
      "CredReadW state_x_0.pup",
      "CredFree state_x_0.pup",
      "CredReadW state_x_1.pup",
      "CredFree state_x_1.pup",
      "CredReadW state_x_2.pup",
      "CredReadW state_x-j0.pup",
    ]);
  });
});

Deno.test("a missing chunk is a StorageCorruptError naming it, and an update overwrites nothing", async () => {
  await withStandin(async (s) => {
    await writeStandinStore(
      s.store,
      rustLayout(ACCOUNT, MEDIUM).filter((r) => r.target !== `${ACCOUNT}_1.pup`),
    );
    const before = await Deno.readTextFile(s.store);
    await assert.rejects(
      s.backend.get(ACCOUNT),
      (e: Error) =>
        e instanceof StorageCorruptError && /chunk "state_x_1" of \d+ is missing/.test(e.message) &&
        e.message.includes("cmdkey"),
    );
    const store = new KeychainStore({ secrets: s.fresh(), configDir: s.dir });
    await assert.rejects(store.update("x", (st) => st), StorageCorruptError);
    assert.equal(await Deno.readTextFile(s.store), before);
  });
});

Deno.test("a blob that is not UTF-16 (odd length) is a StorageCorruptError naming the target", async () => {
  await withStandin(async (s) => {
    const odd = { ...keyringRecord(ACCOUNT, "x"), blob: new Uint8Array([0x7b, 0x00, 0x22]) };
    await writeStandinStore(s.store, [odd]);
    await assert.rejects(
      s.backend.get(ACCOUNT),
      (e: Error) => e instanceof StorageCorruptError && e.message.includes(`"${ACCOUNT}.pup"`),
    );
  });
});

Deno.test("each Win32 error code maps to a message naming the call, the target and what to do", async () => {
  await withStandin(async (s) => {
    const failing = (spec: string) => {
      Deno.env.set("PUP_STANDIN_FAIL", spec);
      return s.fresh();
    };
    await assert.rejects(
      failing("CredReadW=1312").get(ACCOUNT),
      (e: Error) =>
        e instanceof StoreAbsentError && e.message.includes("CredReadW error 1312") &&
        /logon session/.test(e.message) && /DD_TOKEN_STORAGE=file/.test(e.message),
    );
    await assert.rejects(
      failing("CredWriteW=1783").set(ACCOUNT, "{}"),
      (e: Error) =>
        e instanceof StorageUnavailableError && !(e instanceof StoreAbsentError) &&
        e.message.includes("CredWriteW error 1783") && e.message.includes("2560 bytes"),
    );
    await assert.rejects(
      failing("CredReadW=87").get(ACCOUNT),
      (e: Error) =>
        e instanceof StorageUnavailableError && !(e instanceof StoreAbsentError) &&
        e.message.includes("CredReadW failed with error 87") &&
        e.message.includes(`"${ACCOUNT}_c.pup"`),
    );
    await assert.rejects(
      failing("CredDeleteW=5").delete(ACCOUNT),
      (e: Error) =>
        e.message.includes("CredDeleteW failed with error 5") &&
        e.message.includes(`"${ACCOUNT}.pup"`),
    );
  });
});

Deno.test("a library that cannot be loaded is a StoreAbsentError naming its path", async () => {
  for (const opts of [{ advapi32: "/nonexistent/advapi32.dll" }, { kernel32: "/nope/k32.so" }]) {
    const backend = new WindowsCredentialManager({ advapi32: LIB, kernel32: LIB, ...opts });
    const path = Object.values(opts)[0];
    for (let i = 0; i < 2; i++) {
      await assert.rejects(
        backend.get(ACCOUNT),
        (e: Error) => e instanceof StoreAbsentError && e.message.includes(`"${path}"`),
      );
    }
  }
});

Deno.test("set() refuses an empty value and text that is not well-formed Unicode", async () => {
  const backend = new WindowsCredentialManager({ advapi32: "/nonexistent" });
  await assert.rejects(backend.set(ACCOUNT, ""), RangeError);
  await assert.rejects(backend.set(ACCOUNT, "a\ud800b"), RangeError);
});

Deno.test("encodeBlob() and decodeBlob() are keyring's UTF-16LE without a NUL", () => {
  assert.deepEqual(encodeBlob("{é🚀"), new Uint8Array([0x7b, 0, 0xe9, 0, 0x3d, 0xd8, 0x80, 0xde]));
  assert.equal(decodeBlob(encodeBlob('{"a":"日本"}')), '{"a":"日本"}');
  assert.throws(() => decodeBlob(new Uint8Array([0x00, 0xd8])), TypeError); // lone surrogate
  assert.throws(() => decodeBlob(new Uint8Array([0x41])), TypeError);
});

/** Runs `code` (or the writer) in a child Deno with the stand-in's knobs in its environment. */
async function child(args: string[], env: Record<string, string>) {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    env: Object.fromEntries([...KNOBS.map((k) => [k, ""]), ...Object.entries(env)]),
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { ...out, stderrText: new TextDecoder().decode(out.stderr) };
}

function writer(store: string, valueFile: string, env: Record<string, string> = {}) {
  return child(["run", "-A", WRITER, LIB, ACCOUNT, valueFile], {
    PUP_STANDIN_STORE: store,
    ...env,
  });
}

const FFI_PRELUDE = `
const lib = Deno.dlopen(${JSON.stringify(LIB)}, {
  CredReadW: { parameters: ["buffer", "u32", "u32", "buffer"], result: "i32" },
  CredFree: { parameters: ["pointer"], result: "void" },
  GetLastError: { parameters: [], result: "u32" },
}).symbols;
const wide = (s) => new Uint8Array([...s, "\\0"].flatMap((c) => [c.charCodeAt(0), 0]));
const slot = new BigUint64Array(1);
`;

Deno.test("a process that ran the backend exits with no CredReadW block left unfreed", async () => {
  await withStandin(async (s) => {
    await s.backend.set(ACCOUNT, MEDIUM);
    const valueFile = `${s.dir}/value`;
    await Deno.writeTextFile(valueFile, bigState());
    const run = await writer(s.store, valueFile, { PUP_STANDIN_LOG: `${s.dir}/child.log` });
    assert.ok(run.success, run.stderrText);
    const lines = (await Deno.readTextFile(`${s.dir}/child.log`)).split("\n");
    assert.ok(lines.filter((l) => l.startsWith("CredFree ")).length > 50);
    assert.deepEqual(lines.filter((l) => /^(LEAK|UNEXPECTED)/.test(l)), []);
    // The control: a block never freed is reported when the process exits.
    const leak = await child([
      "eval",
      `${FFI_PRELUDE} lib.CredReadW(wide("state_x_c.pup"), 1, 0, slot);`,
    ], {
      PUP_STANDIN_STORE: s.store,
      PUP_STANDIN_LOG: `${s.dir}/leak.log`,
    });
    assert.ok(leak.success, leak.stderrText);
    assert.match(await Deno.readTextFile(`${s.dir}/leak.log`), /^LEAK 1$/m);
  });
});

Deno.test("the stand-in logs and refuses calls pup must never make, and enforces the 2560-byte limit", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pup-wincred-self-" });
  try {
    const env = { PUP_STANDIN_STORE: `${dir}/store`, PUP_STANDIN_LOG: `${dir}/log` };
    const probe = await child([
      "eval",
      `${FFI_PRELUDE}
      const ok = lib.CredReadW(wide("x.pup"), 2, 0, slot);
      const code = lib.GetLastError();
      if (ok !== 0 || code !== 87) throw new Error("Type 2 was accepted: " + ok + " " + code);`,
    ], env);
    assert.ok(probe.success, probe.stderrText);
    assert.match(await Deno.readTextFile(`${dir}/log`), /^UNEXPECTED CredReadW Type 2$/m);
    for (const k of Object.keys(env)) Deno.env.set(k, env[k as keyof typeof env]);
    const api = WinCredApi.open(LIB, LIB);
    assert.ok(api instanceof WinCredApi);
    const cred = { target: "big.pup", userName: "big", comment: "", alias: "" };
    api.write({ ...cred, blob: new Uint8Array(2560) });
    assert.equal(api.read("BIG.PUP")?.blob.length, 2560);
    assert.throws(() => api.write({ ...cred, blob: new Uint8Array(2561) }), /error 1783/);
    assert.match(await Deno.readTextFile(`${dir}/log`), /^LIMIT CredWriteW blob of 2561 bytes/m);
    const doubleFree = await child([
      "eval",
      `${FFI_PRELUDE} lib.CredReadW(wide("big.pup"), 1, 0, slot);
      const p = Deno.UnsafePointer.create(slot[0]); lib.CredFree(p); lib.CredFree(p);`,
    ], env);
    assert.equal(doubleFree.signal, "SIGABRT");
    assert.match(await Deno.readTextFile(`${dir}/log`), /^UNEXPECTED CredFree .*freed twice$/m);
  } finally {
    for (const k of KNOBS) Deno.env.delete(k);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a read that recovers from the journal of a killed writer says so through onNotice", async () => {
  await withStandin(async (s) => {
    await s.backend.set(ACCOUNT, MEDIUM);
    const next = JSON.stringify({ tokens: { n: "w".repeat(2500) } });
    await Deno.writeTextFile(`${s.dir}/value`, next);
    // Killed as it starts chunk 1: journal (delete -jc, chunks, -jc) and chunk 0 are written.
    const at = 1 + splitUtf8Chunks(next).length + 1 + 2;
    const run = await writer(s.store, `${s.dir}/value`, { PUP_STANDIN_ABORT_AT: String(at) });
    assert.equal(run.signal, "SIGABRT", run.stderrText);
    assert.deepEqual(s.notices, []);
    const r = await s.fresh().readDetailed(ACCOUNT);
    assert.deepEqual([r.value, r.source, s.notices.length], [next, "journal", 1]);
    assert.match(
      s.notices[0],
      /Recovered Windows credentials "state_x_\*\.pup" from the copy an interrupted pup write left/,
    );
  });
});

async function pool<T>(items: T[], width: number, fn: (item: T) => Promise<void>) {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: width }, lane));
}

Deno.test("a writer aborted before or after any of its CredWriteW/CredDeleteW calls leaves the old or the new value", async () => {
  const cases: Array<[string, string]> = [
    [MEDIUM, JSON.stringify({ tokens: { n: "y".repeat(4100) } })], // grows: 4 → 5 chunks
    [JSON.stringify({ tokens: { n: "z".repeat(3100) } }), '{"tokens":{},"client":null}'], // shrinks
  ];
  for (const [oldValue, newValue] of cases) {
    await withStandin(async (s) => {
      await s.backend.set(ACCOUNT, oldValue);
      const base = await Deno.readFile(s.store);
      const valueFile = `${s.dir}/value`;
      await Deno.writeTextFile(valueFile, newValue);
      await Deno.writeFile(`${s.dir}/full`, base);
      const full = await writer(`${s.dir}/full`, valueFile, { PUP_STANDIN_LOG: `${s.dir}/calls` });
      assert.ok(full.success, full.stderrText);
      const calls = (await Deno.readTextFile(`${s.dir}/calls`)).split("\n")
        .filter((l) => /^Cred(Write|Delete)W /.test(l)).length;
      assert.ok(calls >= 10, `only ${calls} mutating calls`);
      const runs = Array.from({ length: calls }, (_, i) => i + 1)
        .flatMap((n) => [`AT-${n}`, `AFTER-${n}`]);
      await pool(runs, 6, async (run) => {
        const [mode, n] = run.split("-");
        await Deno.writeFile(`${s.dir}/${run}`, base);
        const out = await writer(`${s.dir}/${run}`, valueFile, {
          [`PUP_STANDIN_ABORT_${mode}`]: n,
        });
        assert.equal(out.signal, "SIGABRT", `${run}: ${out.stderrText}`);
      });
      const seen = new Set<string>();
      for (const run of runs) {
        Deno.env.set("PUP_STANDIN_STORE", `${s.dir}/${run}`);
        const value = await s.fresh().get(ACCOUNT);
        assert.ok(value === oldValue || value === newValue, `${run}: the value was lost`);
        seen.add(value === oldValue ? "old" : "new");
        // The next write wins and leaves only the Rust layout behind.
        await s.fresh().set(ACCOUNT, MEDIUM);
        assert.equal(await s.fresh().get(ACCOUNT), MEDIUM);
        assert.deepEqual(
          targets(await readStandinStore(`${s.dir}/${run}`)),
          targets(rustLayout(ACCOUNT, MEDIUM)),
          run,
        );
      }
      assert.deepEqual([...seen].sort(), ["new", "old"]);
    });
  }
});
