import assert from "node:assert/strict";
import type { Deps } from "../../lib/deps.ts";
import { StorageUnavailableError } from "../../lib/errors.ts";
import { CommandNotFoundError } from "../../lib/platform/command_runner.ts";
import { keyDescription } from "../../lib/storage/kernel_keyring.ts";
import { selectStore } from "../../lib/storage/select_store.ts";
import type { SiteState, SiteStateStore } from "../../lib/storage/types.ts";
import { powerShellArgs } from "../../lib/storage/windows_script.ts";
import { makeDeps, withTempDir } from "../_fakes/fake_deps.ts";
import { FakeRunner } from "../_fakes/fake_runner.ts";

// Never created: only the write test touches the config dir, and it uses a temp dir.
const CONFIG_DIR = "/nonexistent/home/.config/pup";
const SITE = "datadoghq.com";
const ACCOUNT = "state_datadoghq_com";
const STORED =
  '{"tokens":{},"client":{"client_id":"c","client_name":"datadog-pup-cli","redirect_uris":[],"registered_at":1,"site":"datadoghq.com"}}';
const SEARCH = ["search", "--all", "service", "pup", "username", ACCOUNT];
const FIND = ["find-generic-password", "-a", ACCOUNT, "-s", "pup", "-w"];

/** A file store stand-in that counts how often it was built. */
function fileStores() {
  const made: SiteStateStore[] = [];
  const make = (): SiteStateStore => {
    const store: SiteStateStore = {
      backend: "file",
      location: CONFIG_DIR,
      read: () => Promise.resolve({ tokens: {}, client: null }),
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

Deno.test("an unknown value warns with the Rust pup's text and auto-detects", async () => {
  const runner = new FakeRunner().expect({
    cmd: "secret-tool",
    args: SEARCH,
    result: {
      stdout: `[/1]\nlabel = x\nsecret = ${STORED}\ncreated = \nmodified = \n`,
      stderr: "attribute.service = pup\n",
    },
  });
  const files = fileStores();
  const d = deps({}, runner);
  const { store, warnings } = await selectStore(d, {
    configTokenStorage: "vault",
    fileStore: files.make,
  });
  assert.deepEqual(warnings, [
    'Warning: unknown token storage backend "vault" (set via DD_TOKEN_STORAGE or config token_storage; valid: "file", "keychain"), auto-detecting',
  ]);
  assert.equal((await store.read(SITE)).client?.client_id, "c");
  assert.equal(store.backend, "secret-service");
  assert.equal(d.err.text, "");
  assert.equal(files.made.length, 0);
  runner.verify();
});

Deno.test("auto-detect on Linux reads a stored session with one child process, then none", async () => {
  const runner = new FakeRunner().expect({
    cmd: "secret-tool",
    args: SEARCH,
    result: {
      stdout: `[/1]\nlabel = x\nsecret = ${STORED}\ncreated = \nmodified = \n`,
      stderr: "attribute.service = pup\n",
    },
  });
  const { store } = await selectStore(deps({}, runner), { fileStore: fileStores().make });
  await store.read(SITE);
  await store.read(SITE);
  assert.equal(store.location, "OS keychain (Secret Service)");
  runner.verify();
});

Deno.test("auto-detect on Linux without D-Bus uses the kernel keyring, with one warning", async () => {
  const runner = new FakeRunner()
    .expect({
      cmd: "secret-tool",
      result: { code: 1, stderr: "secret-tool: Cannot autolaunch D-Bus without X11 $DISPLAY\n" },
    })
    .expect({
      cmd: "keyctl",
      args: ["pipe", `%user:${keyDescription(ACCOUNT)}`],
      result: { stdout: STORED },
    });
  const d = deps({}, runner);
  const { store, warnings } = await selectStore(d, { fileStore: fileStores().make });
  assert.deepEqual(warnings, []);
  assert.equal((await store.read(SITE)).client?.client_id, "c");
  assert.equal(store.backend, "kernel-keyring");
  assert.match(store.location, /do not survive a reboot/);
  assert.match(
    d.err.text,
    /^Warning: Secret Service not available \(.*Cannot autolaunch D-Bus.*\), trying kernel keyring\n$/,
  );
  runner.verify();
});

Deno.test("auto-detect with no secure store uses files, warning with the real config dir", async () => {
  const runner = new FakeRunner()
    .expect({ cmd: "secret-tool", result: notFound("secret-tool") })
    .expect({ cmd: "keyctl", result: notFound("keyctl") });
  const files = fileStores();
  const d = deps({}, runner);
  const { store } = await selectStore(d, { fileStore: files.make });
  await store.read(SITE);
  await store.update(SITE, (s) => s);
  assert.equal(store.backend, "file");
  assert.equal(files.made.length, 1);
  const lines = d.err.text.trimEnd().split("\n");
  assert.equal(lines.length, 2);
  assert.match(
    lines[0],
    /^Warning: Secret Service not available \(Cannot run "secret-tool".*\), trying kernel keyring$/,
  );
  assert.match(
    lines[1],
    /^Warning: kernel keyring also unavailable \(Cannot run "keyctl".*\), using file storage \(\/nonexistent\/home\/\.config\/pup\)$/,
  );
  runner.verify();
});

Deno.test("auto-detect on macOS without security warns once and uses files", async () => {
  const runner = new FakeRunner().expect({
    cmd: "/usr/bin/security",
    result: notFound("/usr/bin/security"),
  });
  const d = deps({}, runner, "darwin");
  const { store } = await selectStore(d, { fileStore: fileStores().make });
  await store.read(SITE);
  assert.match(
    d.err.text,
    /^Warning: OS keychain not available \(.*\), using file storage \(\/nonexistent\/home\/\.config\/pup\)\n$/,
  );
  runner.verify();
});

Deno.test("DD_TOKEN_STORAGE=keychain with no secure store is a clean error naming DD_TOKEN_STORAGE=file", async () => {
  const runner = new FakeRunner()
    .expect({
      cmd: "secret-tool",
      result: { code: 1, stderr: "secret-tool: Could not connect: No such file or directory\n" },
    })
    .expect({
      cmd: "keyctl",
      result: { code: 1, stderr: "keyctl_read_alloc: Operation not permitted\n" },
    });
  const files = fileStores();
  const { store } = await selectStore(deps({ DD_TOKEN_STORAGE: "keychain" }, runner), {
    fileStore: files.make,
  });
  const clean = (e: Error) =>
    e instanceof StorageUnavailableError &&
    e.message.startsWith(
      'DD_TOKEN_STORAGE asks for "keychain", but no OS secure store is available',
    ) &&
    e.message.includes("Secret Service: No Secret Service is available") &&
    e.message.includes("kernel keyring: The kernel keyring is not usable here") &&
    e.message.includes("Set DD_TOKEN_STORAGE=file");
  await assert.rejects(store.read(SITE), clean);
  await assert.rejects(store.update(SITE, (s) => s), clean);
  assert.equal(files.made.length, 0);
  runner.verify();
});

Deno.test("a locked Secret Service is reported, not skipped for another store", async () => {
  const runner = new FakeRunner().expect({
    cmd: "secret-tool",
    result: {
      stdout: "[/1]\nlabel = x\ncreated = \nmodified = \n",
      stderr: "secret-tool: Cannot get secret of a locked object\nattribute.service = pup\n",
    },
  });
  const files = fileStores();
  const { store } = await selectStore(deps({}, runner), { fileStore: files.make });
  await assert.rejects(store.read(SITE), /is locked: unlock it/);
  assert.equal(store.backend, "secret-service");
  assert.equal(files.made.length, 0);
  runner.verify();
});

Deno.test("macOS is never probed: choosing runs nothing, and concurrent first reads run one security", async () => {
  const runner = new FakeRunner();
  const d = deps({ DD_TOKEN_STORAGE: "keychain" }, runner, "darwin");
  const { store } = await selectStore(d, { fileStore: fileStores().make });
  runner.verify();
  runner.expect({ cmd: "/usr/bin/security", args: FIND, result: { code: 44 } });
  const [a, b] = await Promise.all([store.read(SITE), store.read(SITE)]);
  assert.deepEqual([a, b], [{ tokens: {}, client: null }, { tokens: {}, client: null }]);
  assert.equal(store.backend, "macos-keychain");
  runner.verify();
});

Deno.test("a first call that writes probes with a read, then writes through the same backend", async () => {
  await withTempDir(async (configDir) => {
    const runner = new FakeRunner()
      .expect({ cmd: "/fake/security", args: FIND, result: { code: 44 } })
      .expect({ cmd: "/fake/security", args: FIND, result: { code: 44 } })
      .expect({
        cmd: "/fake/security",
        args: ["-i"],
        stdin: `add-generic-password -U -a "${ACCOUNT}" -s "pup" -w "${
          STORED.replaceAll('"', '\\"')
        }"\n`,
      })
      .expect({ cmd: "/fake/security", args: FIND, result: { stdout: `${STORED}\n` } });
    const d = makeDeps({
      env: { DD_TOKEN_STORAGE: undefined, PUP_SECURITY_BIN: "/fake/security" },
      runner,
      os: "darwin",
      configDir,
    });
    const { store } = await selectStore(d, { fileStore: fileStores().make });
    await store.update(SITE, (s) => ({ ...s, client: JSON.parse(STORED).client }));
    runner.verify();
  });
});

Deno.test("PUP_KEYCHAIN_BACKEND=windows on Linux uses the Credential Manager at PUP_POWERSHELL_BIN", async () => {
  const empty =
    '{"results":[{"found":false},{"found":false},{"found":false},{"items":[]},{"items":[]}],"error":null}';
  const runner = new FakeRunner().expect({
    cmd: "/fake/pwsh",
    args: powerShellArgs(),
    result: { stdout: empty },
  });
  const d = deps({ PUP_KEYCHAIN_BACKEND: "windows", PUP_POWERSHELL_BIN: "/fake/pwsh" }, runner);
  const { store, warnings } = await selectStore(d, { fileStore: fileStores().make });
  assert.deepEqual(await store.read(SITE), { tokens: {}, client: null });
  assert.equal(store.backend, "windows-credential-manager");
  assert.deepEqual(warnings, []);
  runner.verify();
});

Deno.test("an unknown PUP_KEYCHAIN_BACKEND warns and keeps this system's keychain", async () => {
  const { store, warnings } = await selectStore(
    deps({ PUP_KEYCHAIN_BACKEND: "amiga" }, new FakeRunner()),
    {
      fileStore: fileStores().make,
    },
  );
  assert.equal(store.backend, "secret-service");
  assert.match(warnings[0], /unknown PUP_KEYCHAIN_BACKEND "amiga"/);
});
