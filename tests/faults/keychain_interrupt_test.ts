/**
 * Keychain calls that hang or fail part-way (SPEC §6.3 last two rules; ref §12 item 5): the
 * emulators die after any record write, the writer's process group is killed, a tool never
 * answers or fails with a platform error. The next read gives the old value or the new one,
 * whole, and the failed call names the tool. Long form: `deno task soak`.
 */
import assert from "node:assert/strict";
import { StorageUnavailableError } from "../../lib/errors.ts";
import { CRASH_SITE, stateFor } from "../../scripts/soak/crash_payload.ts";
import { runKeychainCrashRuns } from "../../scripts/soak/keychain_crash.ts";
import {
  FAKE_POWERSHELL,
  FAKE_SECURITY,
  type KeychainKind,
  openKeychainStore,
} from "../../scripts/soak/keychain_store_for.ts";

async function withDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "pup-kint-" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

function vaultEnv(kind: "windows" | "macos", dir: string): Record<string, string> {
  return kind === "windows"
    ? { FAKE_PS_VAULT: `${dir}/vault.json` }
    : { FAKE_SECURITY_VAULT: `${dir}/vault.json` };
}

/** Stores generation 0, runs `attempt` with `knobs`, and checks generation 0 is still whole. */
async function failedCallKeepsOldValue(
  kind: KeychainKind,
  env: Record<string, string>,
  knobs: Record<string, string>,
  check: (e: unknown) => void,
): Promise<void> {
  // The real Secret Service is shared with tests running in parallel: a site of its own.
  const site = kind === "secret-service"
    ? `faults-${crypto.randomUUID().slice(0, 8)}.datadoghq.com`
    : CRASH_SITE;
  await withDir(async (dir) => {
    const base = { ...(kind === "secret-service" ? {} : vaultEnv(kind, dir)), ...env };
    await openKeychainStore(kind, dir, base).update(site, () => stateFor(0, 2));
    try {
      const failing = openKeychainStore(kind, dir, { ...base, ...knobs }, 500);
      await assert.rejects(failing.update(site, () => stateFor(1, 2)), (e) => {
        check(e);
        return true;
      });
      const after = await openKeychainStore(kind, dir, base).read(site);
      assert.deepEqual(after, stateFor(0, 2));
    } finally {
      if (kind === "secret-service") {
        await openKeychainStore(kind, dir, base).update(site, () => ({ tokens: {}, client: null }));
      }
    }
  });
}

const namesTool = (tool: string, pattern: RegExp) => (e: unknown) => {
  assert.ok(e instanceof StorageUnavailableError, `expected StorageUnavailableError, got ${e}`);
  assert.ok(e.message.includes(tool), `the error names "${tool}": ${e.message}`);
  assert.match(e.message, pattern);
};

Deno.test("keychain writes interrupted at any record leave the old or the new value", async (t) => {
  await t.step("Windows chunks (emulated): every write point, then 10 seeded kills", async () => {
    const f = await runKeychainCrashRuns({ kind: "windows", runs: 10, seed: 0xc4a5 });
    assert.deepEqual(f.failures, []);
    // A four-chunk value: journal (4 + count), chunks (4 + count), then the journal's removal.
    assert.ok(f.writesPerUpdate >= 10, `only ${f.writesPerUpdate} record writes per update`);
    assert.ok(f.failedCalls >= f.writesPerUpdate, "every interrupted call reported a failure");
    assert.equal(f.errorsNamingTool, f.failedCalls);
  });

  await t.step("macOS keychain (emulated): every write point, then 4 seeded kills", async () => {
    const f = await runKeychainCrashRuns({ kind: "macos", runs: 4, seed: 0xc4a5 });
    assert.deepEqual(f.failures, []);
    assert.equal(f.errorsNamingTool, f.failedCalls);
    assert.ok(f.failedCalls >= 1);
  });
});

Deno.test("a keychain tool that hangs or fails is named in the error and changes nothing", async (t) => {
  await t.step(
    "PowerShell that never answers: stopped after the timeout",
    () =>
      failedCallKeepsOldValue(
        "windows",
        {},
        { FAKE_PS_HANG: "1" },
        namesTool(FAKE_POWERSHELL, /did not answer within 500 ms/),
      ),
  );

  await t.step(
    "security that never answers: stopped after the timeout",
    () =>
      failedCallKeepsOldValue(
        "macos",
        {},
        { FAKE_SECURITY_HANG: "1" },
        namesTool(FAKE_SECURITY, /did not answer within 500 ms/),
      ),
  );

  await t.step(
    "CredWriteW failing with 1783 (blob too large) names the 2560-byte limit",
    () =>
      failedCallKeepsOldValue(
        "windows",
        {},
        { FAKE_PS_FAIL_CODE: "1783" },
        namesTool("Credential Manager", /1783.*2560/),
      ),
  );

  await t.step(
    "a locked macOS keychain (exit 36, e.g. over SSH) says what to do",
    () =>
      failedCallKeepsOldValue(
        "macos",
        {},
        { FAKE_SECURITY_LOCKED: "36" },
        namesTool(FAKE_SECURITY, /36/),
      ),
  );

  // CI sets PUP_TEST_REQUIRE_SECRET_SERVICE=1: then a missing Secret Service fails, not skips.
  const bus = Deno.env.get("DBUS_SESSION_BUS_ADDRESS") ||
    Deno.env.get("PUP_TEST_REQUIRE_SECRET_SERVICE") === "1";
  await t.step({
    name: "secret-tool that never answers (real Secret Service holds the old value)",
    ignore: !bus,
    fn: async () => {
      await withDir(async (scratch) => {
        const hang = `${scratch}/secret-tool-hang`;
        await Deno.writeTextFile(hang, "#!/bin/sh\nexec sleep 600\n", { mode: 0o755 });
        await failedCallKeepsOldValue(
          "secret-service",
          {},
          { PUP_SECRET_TOOL_BIN: hang },
          namesTool(hang, /did not answer within 500 ms/),
        );
      });
    },
  });
});
