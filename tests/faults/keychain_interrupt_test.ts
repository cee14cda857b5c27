/**
 * Keychain writes that are cut off or refused part-way (SPEC §6.3 last two rules; ref §12 item
 * 5), on the macOS and Windows backends through their stand-in libraries: the process dies at
 * the start of, or right after, any write call, or its process group is killed; a call fails
 * with the platform's code. The next read gives the old value or the new one, whole, and a
 * failed call names the store and the code. Long form: `deno task soak`.
 *
 * (A call that never answers has no case here: the macOS and Windows calls are synchronous
 * library calls, and the Secret Service's timeout is tested in secret_service_test.ts.)
 */
import assert from "node:assert/strict";
import { StorageUnavailableError } from "../../lib/errors.ts";
import { CRASH_SITE, stateFor } from "../../scripts/soak/crash_payload.ts";
import { runKeychainCrashRuns } from "../../scripts/soak/keychain_crash.ts";
import {
  openKeychainStore,
  standinEnv,
  withStandin,
} from "../../scripts/soak/keychain_store_for.ts";

async function withDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "pup-kint-" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** Stores generation 0, makes `fail` (PUP_STANDIN_FAIL) true, then checks generation 0 is whole. */
async function failedCallKeepsOldValue(
  kind: "windows" | "macos",
  fail: string,
  check: (e: unknown) => void,
): Promise<void> {
  await withDir(async (dir) => {
    const env = await standinEnv(kind, `${dir}/standin-store.txt`);
    await withStandin(
      env,
      () => openKeychainStore(kind, dir, env).update(CRASH_SITE, () => stateFor(0, 2)),
    );
    await withStandin({ ...env, PUP_STANDIN_FAIL: fail }, async () => {
      await assert.rejects(
        openKeychainStore(kind, dir, env).update(CRASH_SITE, () => stateFor(1, 2)),
        (e) => {
          check(e);
          return true;
        },
      );
    });
    const after = await withStandin(env, () => openKeychainStore(kind, dir, env).read(CRASH_SITE));
    assert.deepEqual(after, stateFor(0, 2));
  });
}

const names = (what: string, pattern: RegExp) => (e: unknown) => {
  assert.ok(e instanceof StorageUnavailableError, `expected StorageUnavailableError, got ${e}`);
  assert.ok(e.message.includes(what), `the error names "${what}": ${e.message}`);
  assert.match(e.message, pattern);
};

Deno.test("keychain writes interrupted at any write call leave the old or the new value", async (t) => {
  await t.step("Windows chunks: every write point, then 10 seeded kills", async () => {
    const f = await runKeychainCrashRuns({ kind: "windows", runs: 10, seed: 0xc4a5 });
    assert.deepEqual(f.failures, []);
    // A four-chunk value: journal (4 + count), chunks (4 + count), then the journal's removal.
    assert.ok(f.writesPerUpdate >= 10, `only ${f.writesPerUpdate} write calls per update`);
    assert.ok(f.interrupted >= f.writesPerUpdate + 1, "every sweep step hit a write");
  });

  await t.step("macOS keychain: every write point, then 4 seeded kills", async () => {
    const f = await runKeychainCrashRuns({ kind: "macos", runs: 4, seed: 0xc4a5 });
    assert.deepEqual(f.failures, []);
    assert.ok(f.writesPerUpdate >= 1);
    assert.ok(f.interrupted >= 1);
  });
});

Deno.test("a keychain call that fails is named in the error with its code and changes nothing", async (t) => {
  await t.step(
    "CredWriteW failing with 1783 (blob too large) names the 2560-byte limit",
    () =>
      failedCallKeepsOldValue(
        "windows",
        "CredWriteW=1783",
        names("Credential Manager", /1783.*2560/),
      ),
  );
  await t.step(
    "CredReadW failing with 5 (access denied) names the call and the code",
    () => failedCallKeepsOldValue("windows", "CredReadW=5", names("CredReadW", /\b5\b/)),
  );
  await t.step(
    "a locked macOS keychain (-25308, e.g. over SSH) says how to unlock it",
    () =>
      failedCallKeepsOldValue(
        "macos",
        "SecKeychainFindGenericPassword=-25308",
        names("security unlock-keychain", /-25308/),
      ),
  );
  await t.step(
    "a denied macOS write (-25293) says to allow access",
    () =>
      failedCallKeepsOldValue(
        "macos",
        "SecKeychainItemModifyAttributesAndData=-25293",
        names("macOS keychain", /-25293/),
      ),
  );
});
