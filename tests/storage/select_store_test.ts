import assert from "node:assert/strict";
import type { Deps } from "../../lib/deps.ts";
import { StorageUnavailableError } from "../../lib/errors.ts";
import { CommandNotFoundError } from "../../lib/platform/command_runner.ts";
import { keyDescription } from "../../lib/storage/kernel_keyring.ts";
import { selectStore } from "../../lib/storage/select_store.ts";
import type { SiteState, SiteStateStore } from "../../lib/storage/types.ts";
import { makeDeps, withTempDir } from "../_fakes/fake_deps.ts";
import { FakeRunner } from "../_fakes/fake_runner.ts";
import { standinLibrary } from "../_fakes/native/standin.ts";

const ADVAPI32 = await standinLibrary("advapi32");
/** The Secret Service made absent for real: the loader cannot open this path. */
const NO_BUS = { DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent/bus" };

// Inside a fresh temp dir and never created by these tests, so nothing is remembered between
// them (warnings are recorded only in a config dir that exists).
const CONFIG_DIR = `${await Deno.makeTempDir({ prefix: "pup-select-" })}/home/.config/pup`;
const SITE = "datadoghq.com";
const ACCOUNT = "state_datadoghq_com";
const STORED =
  '{"tokens":{},"client":{"client_id":"c","client_name":"datadog-pup-cli","redirect_uris":[],"registered_at":1,"site":"datadoghq.com"}}';

/** A file store stand-in that counts how often it was built. */
function fileStores() {
  const made: SiteStateStore[] = [];
  const make = (): SiteStateStore => {
    const store: SiteStateStore = {
      backend: "file",
      location: CONFIG_DIR,
      read: () => Promise.resolve({ tokens: {}, client: null }),
      readLatest: () => Promise.resolve({ tokens: {}, client: null }),
      update: (_site: string, mutate: (s: SiteState) => SiteState) =>
        Promise.resolve(mutate({ tokens: {}, client: null })),
    };
    made.push(store);
    return store;
  };
  return { made, make };
}

function deps(
  env: Record<string, string | undefined>,
  runner: FakeRunner,
  os: Deps["os"] = "linux",
) {
  // The helper defaults DD_TOKEN_STORAGE to "file"; these tests set it themselves.
  return makeDeps({
    env: { DD_TOKEN_STORAGE: undefined, ...env },
    runner,
    os,
    configDir: CONFIG_DIR,
  });
}

const notFound = (cmd: string) => new CommandNotFoundError(cmd);

Deno.test("DD_TOKEN_STORAGE=file selects the file store and runs nothing", async () => {
  const runner = new FakeRunner();
  const files = fileStores();
  const { store, warnings } = await selectStore(deps({ DD_TOKEN_STORAGE: "file" }, runner), {
    configTokenStorage: "keychain",
    fileStore: files.make,
  });
  assert.equal(store, files.made[0]);
  assert.deepEqual(warnings, []);
  runner.verify();
});

Deno.test("config token_storage applies when DD_TOKEN_STORAGE is empty", async () => {
  const files = fileStores();
  const { store } = await selectStore(deps({ DD_TOKEN_STORAGE: "" }, new FakeRunner()), {
    configTokenStorage: "file",
    fileStore: files.make,
  });
  assert.equal(store.backend, "file");
});

/**
 * Runs `fn` with the Windows stand-in library behind `PUP_KEYCHAIN_BACKEND=windows`, its store
 * in a temp dir (`PUP_STANDIN_STORE` is read by the stand-in from the process environment, so
 * this file runs on its own in scripts/test, never beside another stand-in user).
 */
async function withWindowsStandin(
  fn: (env: Record<string, string>, configDir: string) => Promise<void>,
  fail?: string,
): Promise<void> {
  await withTempDir(async (dir) => {
    Deno.env.set("PUP_STANDIN_STORE", `${dir}/wincred.txt`);
    if (fail) Deno.env.set("PUP_STANDIN_FAIL", fail);
    try {
      await fn({
        PUP_KEYCHAIN_BACKEND: "windows",
        PUP_ADVAPI32_LIB: ADVAPI32,
        PUP_KERNEL32_LIB: ADVAPI32,
      }, dir);
    } finally {
      Deno.env.delete("PUP_STANDIN_STORE");
      Deno.env.delete("PUP_STANDIN_FAIL");
    }
  });
}

/** Writes `STORED` for `SITE` through a store of its own, as an earlier pup run would. */
async function seed(env: Record<string, string>, configDir: string): Promise<void> {
  const d = makeDeps({ env: { ...env, DD_TOKEN_STORAGE: "keychain" }, configDir });
  const { store } = await selectStore(d, { fileStore: fileStores().make });
  await store.update(SITE, () => JSON.parse(STORED));
}

Deno.test("an unknown value warns with the Rust pup's text and auto-detects", async () => {
  await withWindowsStandin(async (env, configDir) => {
    await seed(env, configDir);
    const files = fileStores();
    const d = makeDeps({ env: { ...env, DD_TOKEN_STORAGE: undefined }, configDir });
    const { store, warnings } = await selectStore(d, {
      configTokenStorage: "vault",
      fileStore: files.make,
    });
    assert.deepEqual(warnings, [
      'Warning: unknown token storage backend "vault" (set via DD_TOKEN_STORAGE or config token_storage; valid: "file", "keychain"), auto-detecting',
    ]);
    assert.equal((await store.read(SITE)).client?.client_id, "c");
    assert.equal(store.backend, "windows-credential-manager");
    assert.equal(d.err.text, "");
    assert.equal(files.made.length, 0);
  });
});

Deno.test("a present store in a bad state is reported, never skipped for another store", async () => {
  await withWindowsStandin(async (env, configDir) => {
    const files = fileStores();
    const d = makeDeps({ env: { ...env, DD_TOKEN_STORAGE: undefined }, configDir });
    const { store } = await selectStore(d, { fileStore: files.make });
    await assert.rejects(store.read(SITE), /CredReadW failed with error 5/);
    assert.equal(store.backend, "windows-credential-manager");
    assert.equal(files.made.length, 0);
  }, "CredReadW=5");
});

Deno.test("auto-detect on Linux without D-Bus uses the kernel keyring, with one warning", async () => {
  const runner = new FakeRunner()
    .expect({
      cmd: "keyctl",
      args: ["pipe", `%user:${keyDescription(ACCOUNT)}`],
      result: { stdout: STORED },
    });
  const d = deps(NO_BUS, runner);
  const { store, warnings } = await selectStore(d, { fileStore: fileStores().make });
  assert.deepEqual(warnings, []);
  assert.equal((await store.read(SITE)).client?.client_id, "c");
  assert.equal(store.backend, "kernel-keyring");
  assert.match(store.location, /do not survive a reboot/);
  assert.match(
    d.err.text,
    /^Warning: Secret Service not available \(No Secret Service is available \(cannot connect to the session bus at \/nonexistent\/bus: .*\), trying kernel keyring\n$/,
  );
  runner.verify();
});

Deno.test("auto-detect with no secure store uses files, warning with the real config dir", async () => {
  const runner = new FakeRunner().expect({ cmd: "keyctl", result: notFound("keyctl") });
  const files = fileStores();
  const d = deps(NO_BUS, runner);
  const { store } = await selectStore(d, { fileStore: files.make });
  await store.read(SITE);
  await store.update(SITE, (s) => s);
  assert.equal(store.backend, "file");
  assert.equal(files.made.length, 1);
  const lines = d.err.text.trimEnd().split("\n");
  assert.equal(lines.length, 2);
  assert.match(
    lines[0],
    /^Warning: Secret Service not available \(No Secret Service is available \(cannot connect.*\), trying kernel keyring$/,
  );
  assert.match(
    lines[1],
    /^Warning: kernel keyring also unavailable \(Cannot run "keyctl".*\), using file storage \(\/.*\/home\/\.config\/pup\)$/,
  );
  runner.verify();
});

Deno.test("DD_TOKEN_STORAGE=keychain with no secure store is a clean error naming DD_TOKEN_STORAGE=file", async () => {
  const runner = new FakeRunner().expect({
    cmd: "keyctl",
    result: { code: 1, stderr: "keyctl_read_alloc: Operation not permitted\n" },
  });
  const files = fileStores();
  const { store } = await selectStore(
    deps({ DD_TOKEN_STORAGE: "keychain", ...NO_BUS }, runner),
    {
      fileStore: files.make,
    },
  );
  const clean = (e: Error) =>
    e instanceof StorageUnavailableError &&
    e.message.startsWith(
      'DD_TOKEN_STORAGE asks for "keychain", but no OS secure store is available',
    ) &&
    e.message.includes("Secret Service: No Secret Service is available (cannot connect") &&
    e.message.includes("kernel keyring: The kernel keyring is not usable here") &&
    e.message.includes("Set DD_TOKEN_STORAGE=file");
  await assert.rejects(store.read(SITE), clean);
  await assert.rejects(store.update(SITE, (s) => s), clean);
  assert.equal(files.made.length, 0);
  runner.verify();
});

Deno.test("PUP_KEYCHAIN_BACKEND=windows on Linux uses the Credential Manager library at PUP_ADVAPI32_LIB", async () => {
  await withWindowsStandin(async (env, configDir) => {
    const d = makeDeps({ env: { ...env, DD_TOKEN_STORAGE: undefined }, configDir });
    const { store, warnings } = await selectStore(d, { fileStore: fileStores().make });
    assert.deepEqual(await store.read(SITE), { tokens: {}, client: null });
    assert.equal(store.backend, "windows-credential-manager");
    assert.deepEqual(warnings, []);
  });
});

Deno.test("a Credential Manager library that cannot be loaded falls back to files with one warning", async () => {
  const d = deps(
    { PUP_KEYCHAIN_BACKEND: "windows", PUP_ADVAPI32_LIB: "/nonexistent/advapi32.dll" },
    new FakeRunner(),
  );
  const files = fileStores();
  const { store } = await selectStore(d, { fileStore: files.make });
  await store.read(SITE);
  assert.equal(store.backend, "file");
  assert.match(
    d.err.text,
    /^Warning: OS keychain not available \(.*\/nonexistent\/advapi32\.dll.*\), using file storage/,
  );
  assert.equal(d.err.text.trimEnd().split("\n").length, 1);
});

Deno.test("an unknown PUP_KEYCHAIN_BACKEND warns and keeps this system's keychain", async () => {
  const { store, warnings } = await selectStore(
    deps({ PUP_KEYCHAIN_BACKEND: "amiga", ...NO_BUS }, new FakeRunner()),
    {
      fileStore: fileStores().make,
    },
  );
  assert.equal(store.backend, "secret-service");
  assert.match(warnings[0], /unknown PUP_KEYCHAIN_BACKEND "amiga"/);
});

Deno.test("a keychain that reads but fails its test write is skipped for files, remembered, and not probed or warned about again", async () => {
  await withWindowsStandin(async (env, configDir) => {
    const d = makeDeps({ env: { ...env, DD_TOKEN_STORAGE: undefined }, configDir });
    const files = fileStores();
    const { store } = await selectStore(d, { fileStore: files.make });
    await store.prepareWrite!(SITE, 3000);
    assert.equal(store.backend, "file");
    assert.match(
      d.err.text,
      /^Warning: OS keychain not available \(.*test write failed.*CredWriteW failed with error 5.*\), using file storage/,
    );
    const marker = JSON.parse(await Deno.readTextFile(`${configDir}/storage_fallback.json`));
    assert.deepEqual(marker.skip, ["windows-credential-manager"]);

    const again = makeDeps({ env: { ...env, DD_TOKEN_STORAGE: undefined }, configDir });
    const next = await selectStore(again, { fileStore: files.make });
    await next.store.read(SITE);
    assert.equal(next.store.backend, "file");
    assert.equal(again.err.text, "", "warned once, when it was found");
    assert.match(
      next.store.location,
      /failed a test write on \d{4}-\d\d-\d\d .*storage_fallback\.json" to try it again/,
    );
  }, "CredWriteW=5");
});

Deno.test("a keychain that already holds the site and fails its test write is an error: sessions are never split", async () => {
  await withWindowsStandin(async (env, configDir) => {
    await seed(env, configDir);
    Deno.env.set("PUP_STANDIN_FAIL", "CredWriteW=5");
    const d = makeDeps({ env: { ...env, DD_TOKEN_STORAGE: undefined }, configDir });
    const files = fileStores();
    const { store } = await selectStore(d, { fileStore: files.make });
    await assert.rejects(store.prepareWrite!(SITE, 3000), /answered reads but a test write failed/);
    assert.equal(files.made.length, 0);
    await assert.rejects(Deno.stat(`${configDir}/storage_fallback.json`), Deno.errors.NotFound);
  });
});

Deno.test("DD_TOKEN_STORAGE=keychain: a failing test write is an error, never files", async () => {
  await withWindowsStandin(async (env, configDir) => {
    const d = makeDeps({ env: { ...env, DD_TOKEN_STORAGE: "keychain" }, configDir });
    const files = fileStores();
    const { store } = await selectStore(d, { fileStore: files.make });
    await assert.rejects(store.prepareWrite!(SITE, 3000), /test write failed/);
    assert.equal(files.made.length, 0);
  }, "CredWriteW=5");
});

Deno.test("auto-detect on macOS without the Security framework warns once, naming it, and uses files", async () => {
  const d = deps(
    { PUP_SECURITY_FRAMEWORK_LIB: "/nonexistent/Security" },
    new FakeRunner(),
    "darwin",
  );
  const files = fileStores();
  const { store } = await selectStore(d, { fileStore: files.make });
  await store.read(SITE);
  await store.read(SITE);
  assert.equal(store.backend, "file");
  assert.match(
    d.err.text,
    /^Warning: OS keychain not available \(.*\/nonexistent\/Security.*\), using file storage \(\/.*\/home\/\.config\/pup\)\n$/,
  );
});

Deno.test("a fallback warning is shown once per machine state, and again when the reason changes", async () => {
  await withTempDir(async (configDir) => {
    const run = async (lib: string) => {
      const d = makeDeps({
        env: {
          DD_TOKEN_STORAGE: undefined,
          PUP_KEYCHAIN_BACKEND: "windows",
          PUP_ADVAPI32_LIB: lib,
        },
        configDir,
      });
      const { store } = await selectStore(d, { fileStore: fileStores().make });
      await store.read(SITE);
      assert.equal(store.backend, "file");
      assert.match(
        store.location,
        /no OS keychain: Cannot load/,
        "status still names the fallback",
      );
      return d.err.text;
    };
    assert.match(await run("/nonexistent/advapi32.dll"), /^Warning: OS keychain not available/);
    assert.equal(await run("/nonexistent/advapi32.dll"), "", "not repeated");
    assert.match(await run("/elsewhere/advapi32.dll"), /\/elsewhere\/advapi32\.dll/, "a new state");
  });
});
