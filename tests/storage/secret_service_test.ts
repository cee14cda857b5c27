/**
 * The Secret Service backend: pup's own D-Bus client against a real gnome-keyring, side by
 * side with keyring-rs 3.6.3 (the Rust `pup`'s crate, through `@napi-rs/keyring` 1.2.0), and
 * `secret-tool` as an independent witness of what is stored. Real-keyring cases run, from the
 * repo root:
 *
 *   PUP_TEST_REQUIRE_SECRET_SERVICE=1 scripts/with_secret_service.sh \
 *     tools/node_modules/.bin/deno test -P=test tests/storage/secret_service_test.ts
 *
 * and are ignored when no Secret Service answers and PUP_TEST_REQUIRE_SECRET_SERVICE is not 1.
 * Cases that need another bus (none, a dead one, a private keyring to lock) run the backend in
 * a child process (`_secret_service_child.ts`), as the CLI would run there.
 *
 * @module
 */

import assert from "node:assert/strict";
import { StorageUnavailableError } from "../../lib/errors.ts";
import { createCommandRunner } from "../../lib/platform/command_runner.ts";
import { DBusConnection } from "../../lib/platform/dbus.ts";
import { StoreAbsentError } from "../../lib/storage/secret_store.ts";
import { SecretService } from "../../lib/storage/secret_service.ts";
import { clearItems, inspectItems, storeItem } from "../_fakes/_secret_tool.ts";
import { secretServiceIgnored, sessionSecretService, uniqueName } from "../_fakes/_store_gates.ts";

const ssIgnored = await secretServiceIgnored();
const CHILD = new URL("../_fakes/_secret_service_child.ts", import.meta.url).pathname;

interface ChildResult {
  ok: boolean;
  value?: string | boolean | null;
  absent?: boolean;
  message?: string;
}

async function child(env: Record<string, string>, ...args: string[]): Promise<ChildResult> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", CHILD, ...args],
    clearEnv: true,
    env: { PATH: Deno.env.get("PATH") ?? "", HOME: Deno.env.get("HOME") ?? "/", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim();
  assert.ok(text.startsWith("{"), `child said: ${text} ${new TextDecoder().decode(out.stderr)}`);
  return JSON.parse(text);
}

/** There is exactly one item for `account`, with keyring-rs 3.6.3's attributes and label. */
async function assertKeyringRsItem(account: string): Promise<void> {
  const seen = await inspectItems(account);
  assert.equal(seen.count, 1);
  assert.deepEqual(
    { ...seen.attributes },
    { service: "pup", username: account, target: "default", application: "rust-keyring" },
  );
  assert.equal(seen.items[0].label, `${account}@pup:default (keyring v3.6.3)`);
}

/** A default session and 10 named ones with 110 scopes and 1 KB tokens: about 50 KB. */
function fiftyKilobytes(): string {
  const scope = Array.from({ length: 110 }, (_, i) => `scope_number_${i}_read`).join(" ");
  const tokens: Record<string, unknown> = {};
  for (const org of ["__default__", ...Array.from({ length: 10 }, (_, i) => `org-${i}`)]) {
    tokens[org] = {
      access_token: "a".repeat(1024),
      refresh_token: "r".repeat(1024),
      token_type: "Bearer",
      expires_in: 3600,
      issued_at: 1770000000,
      scope,
      client_id: "client",
    };
  }
  return JSON.stringify({ tokens, client: null });
}

Deno.test("a session bus pup cannot reach (abstract socket, no address) is a StoreAbsentError saying why", async () => {
  const cases: Array<[string | undefined, RegExp]> = [
    ["unix:abstract=/tmp/dbus-x,guid=1", /has no unix:path= entry/],
    [undefined, /DBUS_SESSION_BUS_ADDRESS and XDG_RUNTIME_DIR are not set/],
  ];
  for (const [busAddress, why] of cases) {
    const ss = new SecretService({ busAddress });
    await assert.rejects(
      ss.get("state_x"),
      (e: Error) =>
        e instanceof StoreAbsentError && why.test(e.message) &&
        e.message.includes("DD_TOKEN_STORAGE=file"),
    );
  }
});

Deno.test("a session bus where nothing provides org.freedesktop.secrets is a StoreAbsentError", async () => {
  await withBareBus(async (address) => {
    const ss = new SecretService({ busAddress: address });
    await assert.rejects(
      ss.get("state_x"),
      (e: Error) =>
        e instanceof StoreAbsentError &&
        e.message.includes("org.freedesktop.DBus.Error.ServiceUnknown") &&
        e.message.includes("DD_TOKEN_STORAGE=file"),
    );
  });
});

Deno.test({
  name: "no D-Bus session, or a dead bus address, is a StoreAbsentError",
  ignore: ssIgnored,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "pup-ss-" });
    try {
      const envs: Record<string, string>[] = [{}, {
        DBUS_SESSION_BUS_ADDRESS: `unix:path=${dir}/no-bus`,
      }];
      for (const env of envs) {
        const r = await child(env, "get", "state_x");
        assert.equal(r.ok, false);
        assert.equal(r.absent, true, r.message);
        assert.match(r.message!, /No Secret Service is available .*DD_TOKEN_STORAGE=file/);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "a 50 KB value (a default and 10 named sessions) is stored whole in one item",
  ignore: ssIgnored,
  async fn() {
    const account = uniqueName("state_big");
    const ss = sessionSecretService();
    try {
      const value = fiftyKilobytes();
      assert.ok(value.length > 45_000);
      await ss.set(account, value);
      assert.equal(await ss.get(account), value);
      const seen = await inspectItems(account);
      assert.equal(seen.count, 1);
      assert.equal(seen.items[0].secret, value);
    } finally {
      await clearItems(account);
    }
  },
});

Deno.test({
  name: "an item written exactly as keyring-rs 3.6.3 writes it is shared, still one item",
  ignore: ssIgnored,
  async fn(t) {
    const { Entry } = await import("@napi-rs/keyring");
    const ss = sessionSecretService();
    await t.step(
      "keyring-rs writes, we read and update in place, keyring-rs reads ours",
      async () => {
        const account = uniqueName("state_rs");
        try {
          const entry = new Entry("pup", account);
          entry.setPassword('{"by":"rust","é":"日本"}');
          assert.equal(await ss.get(account), '{"by":"rust","é":"日本"}');
          await ss.set(account, '{"by":"deno"}');
          assert.equal(entry.getPassword(), '{"by":"deno"}');
          await assertKeyringRsItem(account);
        } finally {
          await clearItems(account);
        }
      },
    );
    await t.step(
      "we write first: exactly keyring-rs's item, which it reads and updates",
      async () => {
        const account = uniqueName("state_rs");
        try {
          await ss.set(account, fiftyKilobytes());
          await assertKeyringRsItem(account);
          const entry = new Entry("pup", account);
          assert.equal(entry.getPassword(), fiftyKilobytes());
          entry.setPassword('{"by":"rust"}');
          assert.equal(await ss.get(account), '{"by":"rust"}');
          assert.equal((await inspectItems(account)).count, 1);
          assert.equal(await ss.delete(account), true);
          assert.equal(entry.getPassword(), null);
        } finally {
          await clearItems(account);
        }
      },
    );
  },
});

Deno.test({
  name:
    "two items keyring-rs cannot choose between are ambiguous: an error naming them, nothing written",
  ignore: ssIgnored,
  async fn() {
    const account = uniqueName("state_amb");
    try {
      await storeItem(account, "first copy", "one", ["target", "default", "copy", "1"]);
      await storeItem(account, "second copy", "two", ["target", "default", "copy", "2"]);
      const ss = sessionSecretService();
      const ambiguous = (e: Error) =>
        e instanceof StorageUnavailableError &&
        e.message.includes("Found 2 Secret Service items") &&
        e.message.includes('"first copy"') && e.message.includes('"second copy"') &&
        e.message.includes(`secret-tool search --all service pup username ${account}`);
      await assert.rejects(ss.get(account), ambiguous);
      await assert.rejects(ss.set(account, "three"), ambiguous);
      await assert.rejects(ss.delete(account), ambiguous);
      const { Entry } = await import("@napi-rs/keyring");
      assert.throws(
        () => new Entry("pup", account).setPassword("four"),
        /matched by 2 credentials/,
      );
      const seen = await inspectItems(account);
      assert.deepEqual(seen.items.map((i) => i.secret).sort(), ["one", "two"]);
    } finally {
      await clearItems(account);
    }
  },
});

Deno.test({
  name: "a legacy 2-attribute item is updated in place: still one item, its attributes kept",
  ignore: ssIgnored,
  async fn() {
    const account = uniqueName("state_legacy");
    try {
      await storeItem(account, "legacy label", '{"old":1}');
      const ss = sessionSecretService();
      assert.equal(await ss.get(account), '{"old":1}');
      await ss.set(account, '{"new":1}');
      const seen = await inspectItems(account);
      assert.equal(seen.count, 1);
      assert.deepEqual(seen.attributes, { service: "pup", username: account });
      assert.equal(seen.items[0].label, "legacy label");
      const { Entry } = await import("@napi-rs/keyring");
      assert.equal(new Entry("pup", account).getPassword(), '{"new":1}');
    } finally {
      await clearItems(account);
    }
  },
});

Deno.test({
  name: "an item written with other attributes by another program is read and updated in place",
  ignore: ssIgnored,
  async fn() {
    const account = uniqueName("state_other");
    try {
      await storeItem(account, "other program", '{"other":1}', ["xdg:custom", "yes"]);
      const ss = sessionSecretService();
      assert.equal(await ss.get(account), '{"other":1}');
      await ss.set(account, '{"ours":1}');
      const seen = await inspectItems(account);
      assert.equal(seen.count, 1);
      assert.equal(seen.items[0].secret, '{"ours":1}');
      assert.deepEqual(seen.attributes, { service: "pup", username: account, "xdg:custom": "yes" });
    } finally {
      await clearItems(account);
    }
  },
});

/**
 * Starts a private `dbus-daemon` (configuration from `config`) in a fresh temp dir, runs `fn`
 * with its address and that dir, then stops it. The daemon gets a clean environment: HOME and
 * the XDG dirs in the temp dir (a service it starts on demand inherits them), and no
 * GNOME_KEYRING_CONTROL of the test's own keyring (an activated keyring would join that one).
 */
async function withPrivateBus(
  config: (dir: string) => Promise<string[]>,
  fn: (address: string, dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "pup-ss-bus-" });
  try {
    const bus = await new Deno.Command("dbus-daemon", {
      args: [...await config(dir), "--fork", "--print-address=1", "--print-pid=1"],
      clearEnv: true,
      env: {
        PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
        HOME: dir,
        XDG_DATA_HOME: `${dir}/data`,
        XDG_RUNTIME_DIR: dir,
      },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = (b: Uint8Array) => new TextDecoder().decode(b);
    assert.equal(bus.code, 0, `dbus-daemon (apt-get install dbus): ${text(bus.stderr)}`);
    const [address, pid] = text(bus.stdout).trim().split("\n");
    try {
      await fn(address, dir);
    } finally {
      // Only the bus this test started; a keyring daemon on it exits with it.
      Deno.kill(Number(pid), "SIGTERM");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * Runs `fn` against a private D-Bus session that can start no services (no service
 * directories), so nothing can provide the Secret Service.
 */
async function withBareBus(fn: (address: string) => Promise<void>): Promise<void> {
  await withPrivateBus(async (dir) => {
    // The distribution's session bus configuration, listening in `dir`, with no service
    // directories (so no activation).
    const standard = await Deno.readTextFile("/usr/share/dbus-1/session.conf");
    await Deno.writeTextFile(
      `${dir}/bus.conf`,
      standard.replace(/<listen>.*<\/listen>/, `<listen>unix:path=${dir}/bus</listen>`)
        .replace(/<standard_session_servicedirs\s*\/>/, "").replace(
          /<servicedir>.*<\/servicedir>/g,
          "",
        ),
    );
    return [`--config-file=${dir}/bus.conf`];
  }, fn);
}

/**
 * Runs `fn` against a private D-Bus session with its own unlocked keyring (`login`), or with
 * none until a call starts one on demand, torn down after.
 */
async function withPrivateKeyring(
  fn: (env: Record<string, string>) => Promise<void>,
  opts: { login: boolean } = { login: true },
): Promise<void> {
  await withPrivateBus(() => Promise.resolve(["--session"]), async (address, dir) => {
    const env = { DBUS_SESSION_BUS_ADDRESS: address };
    if (opts.login) {
      const keyring = await createCommandRunner().run(
        "gnome-keyring-daemon",
        ["--unlock", "--components=secrets"],
        {
          stdin: "pup-test-password",
          env: { ...env, HOME: dir, XDG_DATA_HOME: `${dir}/data` },
          timeoutMs: 10_000,
        },
      );
      assert.equal(keyring.code, 0, keyring.stderr);
    }
    await fn(env);
  });
}

Deno.test({
  name:
    "a Secret Service with no default keyring (started on demand, never logged in) reads nothing and refuses a write, naming the missing keyring",
  ignore: ssIgnored,
  async fn() {
    await withPrivateKeyring(async (env) => {
      const fast = { ...env, CHILD_TIMEOUT_MS: "5000" };
      assert.deepEqual(await child(fast, "get", "state_nodefault"), { ok: true, value: null });
      const r = await child(fast, "set", "state_nodefault", '{"x":1}');
      assert.equal(r.ok, false, JSON.stringify(r));
      assert.equal(r.absent, false);
      assert.match(
        r.message!,
        /has no default collection .*create a default keyring.*DD_TOKEN_STORAGE=file/,
      );
    }, { login: false });
  },
});

Deno.test({
  name: "a locked collection is reported as locked, and nothing is written",
  ignore: ssIgnored,
  async fn() {
    await withPrivateKeyring(async (env) => {
      assert.deepEqual(await child(env, "set", "state_locked", '{"before":1}'), {
        ok: true,
        value: null,
      });
      const lock = await createCommandRunner().run("gdbus", [
        "call",
        "--session",
        "--dest",
        "org.freedesktop.secrets",
        "--object-path",
        "/org/freedesktop/secrets",
        "--method",
        "org.freedesktop.Secret.Service.Lock",
        '["/org/freedesktop/secrets/collection/login"]',
      ], { env, timeoutMs: 10_000 });
      assert.equal(lock.code, 0, lock.stderr);
      const fast = { ...env, CHILD_TIMEOUT_MS: "3000" };
      for (
        const args of [["get", "state_locked"], ["set", "state_locked", '{"after":1}'], [
          "set",
          "state_new_while_locked",
          '{"x":1}',
        ]]
      ) {
        const r = await child(fast, ...args);
        assert.equal(r.ok, false, JSON.stringify(r));
        assert.equal(r.absent, false);
        assert.match(r.message!, /locked|unlock prompt/, r.message);
      }
      const seen = await inspectItems("state_locked", env);
      assert.equal(seen.count, 1);
      assert.equal(seen.items[0].secret, undefined);
    });
  },
});

Deno.test({
  name:
    "a writer killed at any moment leaves the old value or the new one, never an empty or partial secret",
  ignore: ssIgnored,
  async fn() {
    const account = uniqueName("state_kill");
    const ss = sessionSecretService();
    const old = JSON.stringify({ v: "old".repeat(10_000) });
    const next = JSON.stringify({ v: "new".repeat(12_000) });
    try {
      await ss.set(account, old);
      const seen = { old: 0, new: 0 };
      for (let i = 0; i < 20; i++) {
        const child = new Deno.Command(Deno.execPath(), {
          args: ["run", "-A", "--quiet", CHILD, "set", account, i % 2 ? old : next],
          stdout: "null",
          stderr: "null",
        }).spawn();
        // Anywhere from before the connection opens to after the D-Bus call returned.
        await new Promise((r) => setTimeout(r, 20 + ((i * 37) % 400)));
        try {
          child.kill("SIGKILL");
        } catch { /* it finished first */ }
        await child.status;
        const value = await ss.get(account);
        assert.ok(value === old || value === next, `run ${i}: ${value?.length} characters`);
        seen[value === old ? "old" : "new"]++;
      }
      assert.ok(seen.new > 0, "some writes finished, so the kills fell around them");
      assert.equal((await inspectItems(account)).count, 1, "still one item");
    } finally {
      await clearItems(account);
    }
  },
});

/**
 * Watches the session bus with `dbus-monitor` while `fn` runs, and returns the method calls
 * each new connection made, by member name, in order.
 */
async function callsPerConnection(fn: () => Promise<void>): Promise<string[][]> {
  const monitor = new Deno.Command("dbus-monitor", {
    args: ["--session", "type='method_call'"],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  let text = "";
  const reading = (async () => {
    for await (const chunk of monitor.stdout.pipeThrough(new TextDecoderStream())) text += chunk;
  })();
  const probe = `probe_${uniqueName("m")}`;
  try {
    // Ready once it sees a call made after it started.
    for (let i = 0; i < 100 && !text.includes(probe); i++) {
      await sessionSecretService().get(probe);
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(text.includes(probe) || text.includes("SearchItems"), "dbus-monitor never started");
    const start = text.length;
    await fn();
    const end = `end_${uniqueName("m")}`;
    await sessionSecretService().get(end);
    const calls = new Map<string, string[]>();
    for (let i = 0; i < 100 && !text.includes(end); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 200));
    for (const line of text.slice(start).split("\n")) {
      const m = line.match(/^method call .* sender=(\S+) -> .* member=(\w+)$/);
      // Connections opened before `start` (the probes' last calls) are not counted.
      if (m && (calls.has(m[1]) || m[2] === "Hello")) {
        calls.set(m[1], [...(calls.get(m[1]) ?? []), m[2]]);
      }
    }
    // The last connection is the end marker's read.
    return [...calls.values()].slice(0, -1);
  } finally {
    monitor.kill("SIGTERM");
    await monitor.status;
    await reading.catch(() => {});
  }
}

Deno.test({
  name:
    "a read is two round trips on one connection: Hello, OpenSession and one search, then GetSecrets; the legacy search only when nothing matched",
  ignore: ssIgnored,
  async fn() {
    const account = uniqueName("state_calls");
    const ss = sessionSecretService();
    try {
      await ss.set(account, '{"x":1}');
      const calls = await callsPerConnection(async () => {
        assert.equal(await ss.get(account), '{"x":1}');
        assert.equal(await ss.get(`${account}_missing`), undefined);
        await ss.set(account, '{"x":2}');
      });
      assert.deepEqual(calls, [
        ["Hello", "OpenSession", "SearchItems", "GetSecrets"],
        ["Hello", "OpenSession", "SearchItems", "SearchItems"],
        ["Hello", "OpenSession", "SearchItems", "SetSecret"],
        ["Hello", "OpenSession", "SearchItems", "GetSecrets"],
      ]);
    } finally {
      await clearItems(account);
    }
  },
});

Deno.test("a Secret Service that never answers is an error naming the hang after the timeout, not a hang of pup", async () => {
  await withBareBus(async (address) => {
    // Another client owns org.freedesktop.secrets on the bus and answers nothing.
    const socket = address.replace(/^unix:path=/, "").replace(/,.*$/, "");
    const squatter = DBusConnection.open(socket, 10_000);
    try {
      const owned = await squatter.call({
        destination: "org.freedesktop.DBus",
        path: "/org/freedesktop/DBus",
        interface: "org.freedesktop.DBus",
        member: "RequestName",
        signature: "su",
        body: ["org.freedesktop.secrets", 4],
      });
      assert.equal(owned.body?.[0], 1, "primary owner");
      const ss = new SecretService({ busAddress: address, timeoutMs: 400 });
      const started = Date.now();
      await assert.rejects(
        ss.get("state_x"),
        (e: Error) =>
          e instanceof StorageUnavailableError && !(e instanceof StoreAbsentError) &&
          /did not finish: org\.freedesktop\.Secret\.Service\.OpenSession got no answer within 0\.4 s/
            .test(e.message) &&
          e.message.includes("DD_TOKEN_STORAGE=file"),
      );
      assert.ok(Date.now() - started < 5_000);
    } finally {
      squatter.close();
    }
  });
});
