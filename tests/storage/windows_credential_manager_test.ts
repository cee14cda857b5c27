/**
 * The Windows backend against the PowerShell + Credential Manager emulator
 * (`tests/_fakes/fake_powershell`); no Windows needed.
 *
 * @module
 */

import assert from "node:assert/strict";
import { StorageCorruptError, StorageUnavailableError } from "../../lib/errors.ts";
import { createCommandRunner } from "../../lib/platform/command_runner.ts";
import { splitUtf8Chunks } from "../../lib/storage/chunking.ts";
import { KeychainStore } from "../../lib/storage/keychain_store.ts";
import { StoreAbsentError } from "../../lib/storage/run_tool.ts";
import {
  decodeBlob,
  encodeBlob,
  WindowsCredentialManager,
} from "../../lib/storage/windows_credential_manager.ts";
import { encodePowerShellCommand, WINDOWS_SCRIPT } from "../../lib/storage/windows_script.ts";
import { RecordingRunner } from "../_fakes/_recording_runner.ts";
import { fakePath } from "../_fakes/_store_gates.ts";
import type { Vault } from "../_fakes/fake_powershell.ts";

const ACCOUNT = "state_datadoghq_com";

interface Setup {
  dir: string;
  vaultPath: string;
  recorder: RecordingRunner;
  backend: WindowsCredentialManager;
  notices: string[];
  /** A backend whose emulator gets extra knobs. */
  with(env: Record<string, string>, timeoutMs?: number): WindowsCredentialManager;
  vault(): Promise<Vault>;
  seed(records: Record<string, string>): Promise<void>;
}

async function withEmulator(fn: (s: Setup) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "pup-win-" });
  const vaultPath = `${dir}/vault.json`;
  const notices: string[] = [];
  const make = (env: Record<string, string>, timeoutMs?: number) => {
    const recorder = new RecordingRunner(createCommandRunner(), {
      FAKE_PS_VAULT: vaultPath,
      ...env,
    });
    const backend = new WindowsCredentialManager({
      runner: recorder,
      powershell: fakePath("fake_powershell"),
      onNotice: (m) => notices.push(m),
      timeoutMs,
    });
    return { recorder, backend };
  };
  const { recorder, backend } = make({});
  try {
    await fn({
      dir,
      vaultPath,
      recorder,
      backend,
      notices,
      with: (env, timeoutMs) => make(env, timeoutMs).backend,
      vault: async () => JSON.parse(await Deno.readTextFile(vaultPath)),
      seed: async (records) => {
        const creds: Vault["creds"] = {};
        for (const [name, value] of Object.entries(records)) {
          const target = `${name}.pup`;
          creds[target.toLowerCase()] = {
            target,
            type: 1,
            persist: 3,
            userName: name,
            comment: "keyring v3.6.3",
            targetAlias: "",
            blob: encodeBlob(value),
            lastWritten: "133000000000000000",
          };
        }
        await Deno.writeTextFile(vaultPath, JSON.stringify({ creds }));
      },
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The Rust pup's layout for `value` (ref §2.2): chunks and a count, nothing else. */
function rustLayout(value: string): Record<string, string> {
  const pieces = splitUtf8Chunks(value);
  const records: Record<string, string> = { [`${ACCOUNT}_c`]: String(pieces.length) };
  pieces.forEach((p, i) => (records[`${ACCOUNT}_${i}`] = p));
  return records;
}

const BIG = JSON.stringify({ tokens: { a: "x".repeat(1200), b: "é日本🚀".repeat(200) } });

Deno.test("powershell.exe runs with exactly -NoProfile -NonInteractive -EncodedCommand <script>", async () => {
  await withEmulator(async (s) => {
    await s.backend.get(ACCOUNT);
    assert.equal(s.recorder.calls.length, 1);
    const [call] = s.recorder.calls;
    assert.deepEqual(call.args, [
      "-NoProfile",
      "-NonInteractive",
      "-EncodedCommand",
      encodePowerShellCommand(WINDOWS_SCRIPT),
    ]);
    assert.equal(call.cmd, fakePath("fake_powershell"));
  });
});

Deno.test("every operation is one PowerShell process; a bare set() reads first", async () => {
  await withEmulator(async (s) => {
    await s.backend.set(ACCOUNT, BIG); // never read before: read + write
    assert.equal(s.recorder.calls.length, 2);
    assert.equal(await s.backend.get(ACCOUNT), BIG);
    await s.backend.set(ACCOUNT, `${BIG} `);
    assert.equal(await s.backend.delete(ACCOUNT), true);
    assert.equal(s.recorder.calls.length, 5);
    s.recorder.assertNoSecretInArgv([BIG.slice(0, 40), encodeBlob(BIG).slice(0, 40)]);
  });
});

Deno.test("records carry keyring 3.6.3's fields: target <name>.pup, UserName, Comment, Persist", async () => {
  await withEmulator(async (s) => {
    await s.backend.set(ACCOUNT, BIG);
    const vault = await s.vault();
    const count = vault.creds[`${ACCOUNT}_c.pup`];
    assert.deepEqual(
      { ...count, lastWritten: "" },
      {
        target: `${ACCOUNT}_c.pup`,
        type: 1,
        persist: 3,
        userName: `${ACCOUNT}_c`,
        comment: "keyring v3.6.3",
        targetAlias: "",
        blob: encodeBlob(String(splitUtf8Chunks(BIG).length)),
        lastWritten: "",
      },
    );
    assert.deepEqual(
      Object.keys(vault.creds).sort(),
      Object.keys(rustLayout(BIG)).map((n) => `${n}.pup`).sort(),
    );
  });
});

Deno.test("1000-byte chunk boundaries never split a multi-byte character", async () => {
  await withEmulator(async (s) => {
    const value = `{"v":"${"a".repeat(992)}日本🚀"}`; // "日" straddles byte 1000
    await s.backend.set(ACCOUNT, value);
    const vault = await s.vault();
    const chunk0 = decodeBlob(vault.creds[`${ACCOUNT}_0.pup`].blob);
    const chunk1 = decodeBlob(vault.creds[`${ACCOUNT}_1.pup`].blob);
    assert.equal(new TextEncoder().encode(chunk0).length, 998);
    assert.ok(chunk1.startsWith("日本🚀"));
    assert.equal(chunk0 + chunk1, value);
    assert.equal(await s.backend.get(ACCOUNT), value);
  });
});

Deno.test("reads the chunks the Rust pup wrote, and the legacy single record when no count exists", async () => {
  await withEmulator(async (s) => {
    await s.seed({ [ACCOUNT]: '{"legacy":1}' });
    assert.equal(await s.backend.get(ACCOUNT), '{"legacy":1}');
    await s.seed(rustLayout(BIG));
    assert.equal(await s.backend.get(ACCOUNT), BIG);
  });
});

Deno.test("a chunk missing is a StorageCorruptError naming it, and an update overwrites nothing", async () => {
  await withEmulator(async (s) => {
    const records = rustLayout(BIG);
    delete records[`${ACCOUNT}_1`];
    await s.seed(records);
    const before = await Deno.readTextFile(s.vaultPath);
    await assert.rejects(
      s.backend.get(ACCOUNT),
      (e: Error) =>
        e instanceof StorageCorruptError &&
        /chunk "state_datadoghq_com_1" of \d+ is missing/.test(e.message),
    );
    const store = new KeychainStore({ secrets: s.backend, configDir: s.dir });
    await assert.rejects(store.update("datadoghq.com", (st) => st), StorageCorruptError);
    assert.equal(await Deno.readTextFile(s.vaultPath), before);
  });
});

Deno.test("a count that is not a number is a StorageCorruptError naming the count record", async () => {
  await withEmulator(async (s) => {
    await s.seed({ ...rustLayout(BIG), [`${ACCOUNT}_c`]: "three" });
    await assert.rejects(
      s.backend.get(ACCOUNT),
      (e: Error) =>
        e instanceof StorageCorruptError &&
        e.message.includes(`"${ACCOUNT}_c" holds "three", not a number`) &&
        e.message.includes("cmdkey"),
    );
  });
});

Deno.test("a blob that is not UTF-16 (odd length) is a StorageCorruptError naming the target", async () => {
  await withEmulator(async (s) => {
    await s.seed({ [ACCOUNT]: "x" });
    const vault = await s.vault();
    vault.creds[`${ACCOUNT}.pup`].blob = new Uint8Array([0x7b, 0x00, 0x22]).toBase64();
    await Deno.writeTextFile(s.vaultPath, JSON.stringify(vault));
    await assert.rejects(
      s.backend.get(ACCOUNT),
      (e: Error) => e instanceof StorageCorruptError && e.message.includes(`"${ACCOUNT}.pup"`),
    );
  });
});

Deno.test("a journal left by a writer killed after N writes, for every N, reads as the old or new value", async () => {
  const cases: Array<[string, string]> = [
    [BIG, JSON.stringify({ tokens: { n: "y".repeat(3100) } })], // grows: 3 → 4 chunks
    [JSON.stringify({ tokens: { n: "z".repeat(3100) } }), '{"tokens":{},"client":null}'], // shrinks
  ];
  for (const [oldValue, newValue] of cases) {
    let completed = false;
    for (let n = 0; !completed; n++) {
      assert.ok(n < 40, "the write never completed");
      await withEmulator(async (s) => {
        await s.backend.set(ACCOUNT, oldValue);
        const dying = s.with({ FAKE_PS_DIE_AFTER_WRITES: String(n) });
        await dying.get(ACCOUNT);
        completed = await dying.set(ACCOUNT, newValue).then(() => true, (e) => {
          assert.ok(e instanceof StorageUnavailableError, String(e));
          return false;
        });
        const fresh = s.with({});
        const seen = await fresh.get(ACCOUNT);
        assert.ok(seen === oldValue || seen === newValue, `after ${n} writes the value was lost`);
        // The next write wins and leaves only the Rust layout behind.
        await fresh.set(ACCOUNT, BIG);
        assert.equal(await s.with({}).get(ACCOUNT), BIG);
        assert.deepEqual(
          Object.keys((await s.vault()).creds).sort(),
          Object.keys(rustLayout(BIG)).map((k) => `${k}.pup`).sort(),
        );
      });
    }
  }
});

Deno.test("a read that recovers from the journal says so through onNotice", async () => {
  await withEmulator(async (s) => {
    await s.backend.set(ACCOUNT, BIG);
    const next = JSON.stringify({ tokens: { n: "w".repeat(2500) } });
    // Killed after the journal (3 records + its count) and one rewritten chunk.
    const dying = s.with({ FAKE_PS_DIE_AFTER_WRITES: "5" });
    await dying.get(ACCOUNT);
    await assert.rejects(dying.set(ACCOUNT, next), StorageUnavailableError);
    assert.deepEqual(s.notices, []);
    const r = await s.backend.readDetailed(ACCOUNT);
    assert.equal(r.value, next);
    assert.equal(r.source, "journal");
    assert.equal(s.notices.length, 1);
    assert.match(
      s.notices[0],
      /Recovered Windows credentials "state_datadoghq_com_\*\.pup" from the copy an interrupted pup write left/,
    );
  });
});

Deno.test("no credential set in this logon session (error 1312) is a StoreAbsentError", async () => {
  await withEmulator(async (s) => {
    await assert.rejects(
      s.with({ FAKE_PS_FAIL_CODE: "1312" }).get(ACCOUNT),
      (e: Error) =>
        e instanceof StoreAbsentError && /error 1312/.test(e.message) &&
        /DD_TOKEN_STORAGE=file/.test(e.message),
    );
  });
});

Deno.test("another Win32 error names the call, the code and the target", async () => {
  await withEmulator(async (s) => {
    await assert.rejects(
      s.with({ FAKE_PS_FAIL_CODE: "5" }).get(ACCOUNT),
      (e: Error) =>
        e instanceof StorageUnavailableError && !(e instanceof StoreAbsentError) &&
        e.message.includes("CredReadW failed with error 5") &&
        e.message.includes(`"${ACCOUNT}_c.pup"`),
    );
  });
});

Deno.test("a missing powershell.exe is a StoreAbsentError naming it", async () => {
  const backend = new WindowsCredentialManager({
    runner: createCommandRunner(),
    powershell: "/nonexistent/powershell.exe",
  });
  await assert.rejects(
    backend.get(ACCOUNT),
    (e: Error) =>
      e instanceof StoreAbsentError && e.message.includes('"/nonexistent/powershell.exe"'),
  );
});

Deno.test("a hung powershell.exe is stopped at the timeout, which the error names", async () => {
  await withEmulator(async (s) => {
    await assert.rejects(
      s.with({ FAKE_PS_HANG: "1" }, 1500).get(ACCOUNT),
      (e: Error) =>
        e instanceof StorageUnavailableError && e.message.includes("fake_powershell") &&
        e.message.includes("did not answer within 1500 ms"),
    );
  });
});

Deno.test("the emulator refuses a blob over 2560 bytes with error 1783, as WinCred does", async () => {
  await withEmulator(async (s) => {
    const batch = (blob: string) => ({
      ops: [{ op: "write", target: "big.pup", user: "big", blob }],
    });
    const run = (value: string) =>
      createCommandRunner().run(fakePath("fake_powershell"), [
        "-NoProfile",
        "-NonInteractive",
        "-EncodedCommand",
        encodePowerShellCommand(WINDOWS_SCRIPT),
      ], {
        stdin: new TextEncoder().encode(JSON.stringify(batch(encodeBlob(value)))).toBase64(),
        env: { FAKE_PS_VAULT: s.vaultPath },
      });
    assert.equal(JSON.parse((await run("x".repeat(1280))).stdout).error, null);
    assert.deepEqual(JSON.parse((await run("x".repeat(1281))).stdout).error, {
      index: 0,
      fn: "CredWriteW",
      code: 1783,
    });
  });
});

Deno.test("encodeBlob() and decodeBlob() are keyring's UTF-16LE without a NUL", () => {
  assert.equal(
    encodeBlob("{é🚀"),
    new Uint8Array([0x7b, 0, 0xe9, 0, 0x3d, 0xd8, 0x80, 0xde]).toBase64(),
  );
  assert.equal(decodeBlob(encodeBlob('{"a":"日本"}')), '{"a":"日本"}');
  assert.throws(() => decodeBlob(new Uint8Array([0x00, 0xd8]).toBase64()), TypeError); // lone surrogate
});

Deno.test("set() refuses an empty value and text that is not well-formed Unicode", async () => {
  const backend = new WindowsCredentialManager({
    runner: createCommandRunner(),
    powershell: "/nonexistent",
  });
  await assert.rejects(backend.set(ACCOUNT, ""), RangeError);
  await assert.rejects(backend.set(ACCOUNT, "a\ud800b"), RangeError);
});
