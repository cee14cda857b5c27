/**
 * The macOS backend's real `Deno.dlopen` code against the stand-in Security framework
 * (`tests/_fakes/native/security_framework.c`): the shared contract, the 50 KB state, the exact
 * SecKeychain call sequences keyring-rs makes, OSStatus messages, a missing library, leaks and
 * crashes at every write point. The stand-in reads its files from the environment at every
 * call, so the tests in this file set them with `Deno.env.set` and run one after another.
 *
 * @module
 */

import assert from "node:assert/strict";
import { DEFAULT_SCOPES } from "../../lib/auth/scopes.ts";
import { StorageCorruptError, StorageUnavailableError } from "../../lib/errors.ts";
import { cString, pointerSlot, slotPointer } from "../../lib/platform/native.ts";
import { serializeSiteData } from "../../lib/storage/codec.ts";
import { MacosKeychain, SECURITY_SYMBOLS } from "../../lib/storage/macos_keychain.ts";
import { StoreAbsentError } from "../../lib/storage/secret_store.ts";
import type { SiteState } from "../../lib/storage/types.ts";
import { standinLibrary } from "../_fakes/native/standin.ts";
import { contract } from "./_secret_store_contract.ts";

const ACCOUNT = "state_datadoghq_com";
const CHILD = new URL("../_fakes/_macos_keychain_child.ts", import.meta.url).pathname;
const VARS = ["STORE", "LOG", "FAIL", "ABORT_AT", "ABORT_AFTER"].map((v) => `PUP_STANDIN_${v}`);
const hex = (text: string) => new TextEncoder().encode(text).toHex();

/** One stand-in keychain: its files, the backend over it, and the call log. */
interface Standin {
  library: string;
  store: string;
  log: string;
  keychain: MacosKeychain;
  /** The log's lines since the last call, then clears it. */
  calls(): Promise<string[]>;
  /** Fails the test when the stand-in saw a call macOS would reject or crash on. */
  assertNoUnexpected(): Promise<void>;
  cleanup(): Promise<void>;
}

async function openStandin(): Promise<Standin> {
  const library = await standinLibrary("security_framework");
  const dir = await Deno.makeTempDir({ prefix: "pup-macos-" });
  const store = `${dir}/keychain.txt`;
  const log = `${dir}/calls.log`;
  for (const v of VARS) Deno.env.delete(v);
  Deno.env.set("PUP_STANDIN_STORE", store);
  Deno.env.set("PUP_STANDIN_LOG", log);
  const read = () => Deno.readTextFile(log).catch(() => "");
  const assertNoUnexpected = async () => assert.doesNotMatch(await read(), /UNEXPECTED/);
  return {
    library,
    store,
    log,
    keychain: new MacosKeychain({ library }),
    async calls() {
      const lines = (await read()).split("\n").filter((l) => l !== "");
      await Deno.writeTextFile(log, "");
      return lines;
    },
    assertNoUnexpected,
    async cleanup() {
      await assertNoUnexpected();
      for (const v of VARS) Deno.env.delete(v);
      await Deno.remove(dir, { recursive: true });
    },
  };
}

async function withStandin(fn: (s: Standin) => Promise<void>): Promise<void> {
  const s = await openStandin();
  try {
    await fn(s);
  } finally {
    await s.cleanup();
  }
}

/** A default session and 10 named ones, 110 scopes and 1 KB tokens each (SPEC §6.2). */
function bigState(): SiteState {
  const tokens: SiteState["tokens"] = {};
  for (const org of ["__default__", ...Array.from({ length: 10 }, (_, i) => `org-${i}`)]) {
    tokens[org] = {
      access_token: `a${org}`.padEnd(1024, "x"),
      refresh_token: `r${org}`.padEnd(1024, "y"),
      token_type: "Bearer",
      expires_in: 3600,
      issued_at: 1_770_000_000,
      scope: DEFAULT_SCOPES.join(" "),
      client_id: "0f3c6d2e-client",
    };
  }
  const client = {
    client_id: "0f3c6d2e-client",
    client_name: "pup",
    redirect_uris: ["http://127.0.0.1:8000/oauth/callback"],
    registered_at: 1_770_000_000,
    site: "datadoghq.com",
  };
  return { tokens, client };
}

Deno.test("the macOS backend passes the secret-store contract against the stand-in", async (t) => {
  await contract(t, async () => {
    const s = await openStandin();
    return { store: s.keychain, cleanup: () => s.cleanup() };
  });
});

Deno.test("a 50 KB state (default + 10 named sessions, 110 scopes) round-trips as its UTF-8 bytes", async () => {
  await withStandin(async (s) => {
    const value = serializeSiteData(bigState());
    assert.ok(new TextEncoder().encode(value).length >= 50_000, `${value.length} bytes`);
    await s.keychain.set(ACCOUNT, value);
    assert.equal(await s.keychain.get(ACCOUNT), value);
    assert.equal(await Deno.readTextFile(s.store), `${hex("pup")} ${hex(ACCOUNT)} ${hex(value)}\n`);
    const bigger = value.replace('"org-9"', '"org-9-é"');
    await s.keychain.set(ACCOUNT, bigger);
    assert.equal(await s.keychain.get(ACCOUNT), bigger);
  });
});

Deno.test("get, set (new), set (existing) and delete make keyring-rs's exact call sequences", async () => {
  await withStandin(async (s) => {
    const k = s.keychain;
    const find = `SecKeychainFindGenericPassword ${ACCOUNT}`;
    const free = `SecKeychainItemFreeContent ${ACCOUNT}`;
    const release = `CFRelease ${ACCOUNT}`;
    assert.equal(await k.get(ACCOUNT), undefined);
    assert.deepEqual(await s.calls(), [find]);
    await k.set(ACCOUNT, '{"v":1}');
    assert.deepEqual(await s.calls(), [
      find,
      `SecKeychainAddGenericPassword ${ACCOUNT}`,
      find, // read back
      free,
    ]);
    await k.set(ACCOUNT, '{"v":2}');
    assert.deepEqual(await s.calls(), [
      find,
      `SecKeychainItemModifyAttributesAndData ${ACCOUNT}`,
      release,
      find,
      free,
    ]);
    assert.equal(await k.get(ACCOUNT), '{"v":2}');
    assert.deepEqual(await s.calls(), [find, free]);
    assert.equal(await k.delete(ACCOUNT), true);
    assert.deepEqual(await s.calls(), [find, `SecKeychainItemDelete ${ACCOUNT}`, release]);
    assert.equal(await k.delete(ACCOUNT), false);
    assert.deepEqual(await s.calls(), [find]);
  });
});

Deno.test("each OSStatus says what failed, the call, its code and what to do; the old value stays", async () => {
  const cases: [string, "get" | "set" | "delete", RegExp[]][] = [
    ["SecKeychainFindGenericPassword=-25308", "get", [
      /Reading macOS keychain item "pup\/state_datadoghq_com" failed/,
      /SecKeychainFindGenericPassword returned OSStatus -25308/,
      /'security unlock-keychain'/,
      /DD_TOKEN_STORAGE=file/,
    ]],
    ["SecKeychainItemModifyAttributesAndData=-25293", "set", [
      /Writing .* failed: access was denied/,
      /SecKeychainItemModifyAttributesAndData returned OSStatus -25293/,
      /Allow access when macOS asks/,
    ]],
    ["SecKeychainItemModifyAttributesAndData=-128", "set", [/cancelled/, /OSStatus -128/]],
    ["SecKeychainFindGenericPassword=-25307", "get", [/'security default-keychain/, /-25307/]],
    ["SecKeychainFindGenericPassword=-25294", "set", [/no default keychain/, /-25294/]],
    ["SecKeychainItemDelete=-12345", "delete", [
      /Deleting .* failed: SecKeychainItemDelete returned OSStatus -12345/,
      /DD_TOKEN_STORAGE=file/,
    ]],
  ];
  await withStandin(async (s) => {
    await s.keychain.set(ACCOUNT, '{"old":1}');
    for (const [fail, op, patterns] of cases) {
      Deno.env.set("PUP_STANDIN_FAIL", fail);
      const call = op === "set" ? s.keychain.set(ACCOUNT, '{"new":1}') : s.keychain[op](ACCOUNT);
      await assert.rejects(call, (e: Error) => {
        assert.ok(e instanceof StorageUnavailableError, `${fail}: ${e}`);
        for (const p of patterns) assert.match(e.message, p, fail);
        return true;
      });
      Deno.env.delete("PUP_STANDIN_FAIL");
      assert.equal(await s.keychain.get(ACCOUNT), '{"old":1}', fail);
    }
    Deno.env.set("PUP_STANDIN_FAIL", "SecKeychainAddGenericPassword=-25293");
    await assert.rejects(
      s.keychain.set("state_other", "{}"),
      /SecKeychainAddGenericPassword.*-25293/,
    );
  });
});

Deno.test("a Security framework that cannot be loaded is a StoreAbsentError naming the path", async () => {
  const k = new MacosKeychain({ library: "/nonexistent/Security.framework/Security" });
  for (const call of [k.get(ACCOUNT), k.set(ACCOUNT, "{}"), k.delete(ACCOUNT)]) {
    await assert.rejects(
      call,
      (e: Error) =>
        e instanceof StoreAbsentError &&
        e.message.includes('"/nonexistent/Security.framework/Security"') &&
        e.message.includes("DD_TOKEN_STORAGE=file"),
    );
  }
});

Deno.test("a password that is not UTF-8 is a StorageCorruptError naming the item, left in place", async () => {
  await withStandin(async (s) => {
    const line = `${hex("pup")} ${hex(ACCOUNT)} 7bfffe7d\n`;
    await Deno.writeTextFile(s.store, line);
    await assert.rejects(
      s.keychain.get(ACCOUNT),
      (e: Error) =>
        e instanceof StorageCorruptError && e.location === `macOS keychain item "pup/${ACCOUNT}"` &&
        e.message.includes("security delete-generic-password -a state_datadoghq_com -s pup"),
    );
    assert.equal(await Deno.readTextFile(s.store), line);
  });
});

async function child(
  s: Standin,
  mode: string,
  env: Record<string, string> = {},
  stdin = "",
): Promise<Deno.CommandOutput> {
  const p = new Deno.Command(Deno.execPath(), {
    args: ["run", "-P=test", "--quiet", CHILD, mode, ACCOUNT],
    env: { PUP_SECURITY_FRAMEWORK_LIB: s.library, ...env },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = p.stdin.getWriter();
  await w.write(new TextEncoder().encode(stdin));
  await w.close();
  return await p.output();
}

Deno.test("a process using the backend frees every password and item ref it was given", async () => {
  await withStandin(async (s) => {
    const out = await child(s, "cycle");
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const log = await Deno.readTextFile(s.log);
    assert.match(log, /SecKeychainItemDelete/);
    assert.doesNotMatch(log, /LEAK/);
  });
});

Deno.test("the stand-in reports a password never freed as a LEAK at exit (it can fail)", async () => {
  await withStandin(async (s) => {
    await s.keychain.set(ACCOUNT, "{}");
    const out = await child(s, "leak");
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.match(await Deno.readTextFile(s.log), /^LEAK 1$/m);
  });
});

Deno.test("a writer killed at any mutating call leaves exactly the old or the new value", async () => {
  await withStandin(async (s) => {
    const setter = new MacosKeychain({ library: s.library });
    const NEW = serializeSiteData(bigState());
    for (const old of ['{"old":1}', undefined]) {
      for (const knob of ["PUP_STANDIN_ABORT_AT", "PUP_STANDIN_ABORT_AFTER"]) {
        let finished = false;
        for (let n = 1; !finished; n++) {
          assert.ok(n < 10, "the writer never finished");
          await setter.delete(ACCOUNT);
          if (old !== undefined) await setter.set(ACCOUNT, old);
          const out = await child(s, "set", { [knob]: String(n) }, NEW);
          finished = out.success;
          if (!finished) assert.equal(out.signal, "SIGABRT", new TextDecoder().decode(out.stderr));
          const after = await setter.get(ACCOUNT);
          const what = `${knob}=${n}, old ${old === undefined ? "absent" : "present"}`;
          if (finished || knob === "PUP_STANDIN_ABORT_AFTER") assert.equal(after, NEW, what);
          else assert.equal(after, old, what);
        }
      }
    }
  });
});

Deno.test("the stand-in logs calls macOS would reject as UNEXPECTED and answers errSecParam", async () => {
  await withStandin(async (s) => {
    await s.keychain.set(ACCOUNT, "{}");
    const lib = Deno.dlopen(s.library, SECURITY_SYMBOLS);
    try {
      const sym = lib.symbols;
      const pup = cString("pup");
      const acct = cString(ACCOUNT);
      const len = acct.length - 1;
      const someKeychain = Deno.UnsafePointer.create(0x1000n);
      assert.equal(
        sym.SecKeychainFindGenericPassword(someKeychain, 3, pup, len, acct, null, null, null),
        -50,
      );
      assert.equal(
        sym.SecKeychainFindGenericPassword(null, 4, pup, len, acct, null, null, null),
        -50,
      );
      const other = cString("other");
      assert.equal(
        sym.SecKeychainAddGenericPassword(null, 5, other, len, acct, 0, null, null),
        -50,
      );
      const log = await Deno.readTextFile(s.log);
      assert.match(log, /^UNEXPECTED SecKeychainFindGenericPassword keychainOrArray is not NULL$/m);
      assert.match(log, /^UNEXPECTED SecKeychainFindGenericPassword service length 4/m);
      assert.match(log, /^UNEXPECTED SecKeychainAddGenericPassword service is not pup$/m);
      await Deno.writeTextFile(s.log, ""); // these were on purpose
      // Documented codes: not found leaves outputs alone, duplicate add, modify after delete.
      const gone = cString("state_gone");
      const untouched = new Uint32Array([7]);
      assert.equal(
        sym.SecKeychainFindGenericPassword(null, 3, pup, 10, gone, untouched, null, null),
        -25300,
      );
      assert.equal(untouched[0], 7);
      assert.equal(
        sym.SecKeychainAddGenericPassword(null, 3, pup, len, acct, 0, null, null),
        -25299,
      );
      const slot = pointerSlot();
      assert.equal(
        sym.SecKeychainFindGenericPassword(null, 3, pup, len, acct, null, null, slot),
        0,
      );
      const item = slotPointer(slot);
      assert.equal(await s.keychain.delete(ACCOUNT), true);
      const data = new Uint8Array([1]);
      assert.equal(sym.SecKeychainItemModifyAttributesAndData(item, null, 1, data), -25300);
      sym.CFRelease(item);
    } finally {
      lib.close();
    }
  });
});
