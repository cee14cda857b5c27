/**
 * The Secret Service backend: parsing and call shapes with a scripted runner, then the real
 * `secret-tool` against a real gnome-keyring, side by side with keyring-rs 3.6.3 (the Rust
 * `pup`'s crate, through `@napi-rs/keyring` 1.2.0). Real-keyring cases run, from the repo root:
 *
 *   PUP_TEST_REQUIRE_SECRET_SERVICE=1 scripts/with_secret_service.sh \
 *     tools/node_modules/.bin/deno test -P=test tests/storage/secret_service_test.ts
 *
 * and are ignored when no Secret Service answers and PUP_TEST_REQUIRE_SECRET_SERVICE is not 1.
 * The locked-collection case starts its own private bus and keyring, so locking it cannot
 * disturb the other tests sharing the session's keyring.
 *
 * @module
 */

import assert from "node:assert/strict";
import { StorageUnavailableError } from "../../lib/errors.ts";
import { createCommandRunner } from "../../lib/platform/command_runner.ts";
import { StoreAbsentError } from "../../lib/storage/run_tool.ts";
import {
  keyringRsAttributes,
  parseSearchAttributes,
  parseSearchOutput,
  SecretService,
} from "../../lib/storage/secret_service.ts";
import { RecordingRunner } from "../_fakes/_recording_runner.ts";
import { secretServiceIgnored, secretToolIgnored, uniqueName } from "../_fakes/_store_gates.ts";
import { FakeRunner } from "../_fakes/fake_runner.ts";

const ssIgnored = await secretServiceIgnored();
const toolIgnored = await secretToolIgnored();

function item(id: number, label: string, secret?: string, schema = false): string {
  return `[/${id}]\nlabel = ${label}\n${secret === undefined ? "" : `secret = ${secret}\n`}` +
    `created = 2026-11-23 19:09:51\nmodified = 2026-11-23 19:09:51\n${
      schema ? "schema = org.freedesktop.Secret.Generic\n" : ""
    }`;
}

const ATTRS = keyringRsAttributes("acct").map(([k, v]) => `attribute.${k} = ${v}`).join("\n");

Deno.test("parseSearchOutput() reads items, secrets over several lines, locked items, schemas", () => {
  assert.deepEqual(parseSearchOutput(""), []);
  assert.deepEqual(parseSearchOutput(item(1, "L", '{"a":1}')), [{
    path: "/1",
    label: "L",
    secret: '{"a":1}',
  }]);
  assert.deepEqual(parseSearchOutput(item(1, "L", "two\nlines\n") + item(2, "M", "", true)), [
    { path: "/1", label: "L", secret: "two\nlines\n" },
    { path: "/2", label: "M", secret: "" },
  ]);
  assert.deepEqual(parseSearchOutput(item(3, "locked")), [{ path: "/3", label: "locked" }]);
  assert.equal(parseSearchOutput("garbage\n"), undefined);
  assert.equal(parseSearchOutput("[/1]\nlabel = x\nsecret = cut"), undefined);
  assert.deepEqual(
    parseSearchAttributes(`secret-tool: noise\n${ATTRS}\n`),
    keyringRsAttributes("acct"),
  );
});

Deno.test("a stored session is read with one secret-tool process", async () => {
  const runner = new FakeRunner().expect({
    cmd: "secret-tool",
    args: ["search", "--all", "service", "pup", "username", "acct"],
    stdin: null,
    result: {
      stdout: item(1, "acct@pup:default (keyring v3.6.3)", '{"tokens":{}}'),
      stderr: ATTRS,
    },
  });
  assert.equal(await new SecretService({ runner }).get("acct"), '{"tokens":{}}');
  runner.verify();
});

Deno.test("with a keyring-rs item and a legacy item, the keyring-rs item is read, as keyring-rs does", async () => {
  const runner = new FakeRunner()
    .expect({
      cmd: "secret-tool",
      result: { stdout: item(1, "legacy", "old") + item(2, "new", "new") },
    })
    .expect({
      cmd: "secret-tool",
      args: ["search", "--all", "target", "default", "service", "pup", "username", "acct"],
      result: { stdout: item(2, "new", "new"), stderr: ATTRS },
    });
  assert.equal(await new SecretService({ runner }).get("acct"), "new");
  runner.verify();
});

Deno.test("set() updates the one matching item with its own attributes and label", async () => {
  const legacy = "attribute.service = pup\nattribute.username = acct\n";
  const runner = new FakeRunner()
    .expect({
      cmd: "secret-tool",
      result: { stdout: item(4, "their label", "old"), stderr: legacy },
    })
    .expect({
      cmd: "secret-tool",
      args: ["store", "--label=their label", "service", "pup", "username", "acct"],
      stdin: "new",
    })
    .expect({
      cmd: "secret-tool",
      result: { stdout: item(4, "their label", "new"), stderr: legacy },
    });
  await new SecretService({ runner }).set("acct", "new");
  runner.verify();
});

Deno.test("set() refuses 8192 bytes or more before running secret-tool, naming the 8 KiB limit", async () => {
  const runner = new FakeRunner();
  await assert.rejects(
    new SecretService({ runner }).set("acct", "é".repeat(4096)),
    (e: Error) =>
      e instanceof StorageUnavailableError && e.message.includes("8192 (8 KiB)") &&
      e.message.includes("DD_TOKEN_STORAGE=file") && e.message.includes("nothing was written"),
  );
  runner.verify();
});

Deno.test("a locked item found by search is reported as locked, with how to unlock", async () => {
  const runner = new FakeRunner().expect({
    cmd: "secret-tool",
    result: {
      stdout: item(1, "x"),
      stderr: `secret-tool: Cannot get secret of a locked object\n${ATTRS}`,
    },
  });
  await assert.rejects(
    new SecretService({ runner }).get("acct"),
    /collection holding Secret Service item "pup\/acct" is locked: unlock it .*gnome-keyring-daemon --unlock/,
  );
  runner.verify();
});

Deno.test("a missing secret-tool is a StoreAbsentError naming it and the package", async () => {
  const ss = new SecretService({
    runner: createCommandRunner(),
    secretTool: "/nonexistent/secret-tool",
  });
  await assert.rejects(
    ss.get("acct"),
    (e: Error) =>
      e instanceof StoreAbsentError &&
      /"\/nonexistent\/secret-tool".*libsecret-tools/.test(e.message),
  );
});

Deno.test("a hung secret-tool is stopped at the timeout, which the error names", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pup-ss-" });
  try {
    const tool = `${dir}/secret-tool`;
    await Deno.writeTextFile(tool, "#!/bin/sh\nexec sleep 30\n", { mode: 0o755 });
    const ss = new SecretService({
      runner: createCommandRunner(),
      secretTool: tool,
      timeoutMs: 500,
    });
    await assert.rejects(
      ss.get("acct"),
      (e: Error) =>
        e instanceof StorageUnavailableError && !(e instanceof StoreAbsentError) &&
        e.message.includes(`"${tool}" (search) did not answer within 500 ms`),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "no D-Bus session is a StoreAbsentError (unset, empty or dead bus address)",
  ignore: toolIgnored,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "pup-ss-" });
    try {
      const unset = `${dir}/secret-tool`;
      await Deno.writeTextFile(
        unset,
        '#!/bin/sh\nexec env -u DBUS_SESSION_BUS_ADDRESS -u DISPLAY secret-tool "$@"\n',
        { mode: 0o755 },
      );
      const cases: Array<[string, SecretService]> = [
        [
          "Cannot autolaunch D-Bus",
          new SecretService({ runner: createCommandRunner(), secretTool: unset }),
        ],
        [
          "The given address is empty",
          new SecretService({
            runner: new RecordingRunner(createCommandRunner(), { DBUS_SESSION_BUS_ADDRESS: "" }),
          }),
        ],
        [
          "Could not connect",
          new SecretService({
            runner: new RecordingRunner(createCommandRunner(), {
              DBUS_SESSION_BUS_ADDRESS: `unix:path=${dir}/no-bus`,
            }),
          }),
        ],
      ];
      for (const [stderr, ss] of cases) {
        await assert.rejects(
          ss.get("acct"),
          (e: Error) =>
            e instanceof StoreAbsentError && e.message.includes(stderr) &&
            e.message.includes("No Secret Service is available") &&
            e.message.includes("DD_TOKEN_STORAGE=file"),
        );
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** The items `secret-tool` sees for `account`: their count and, for one, its attributes. */
async function inspect(account: string, env?: Record<string, string>) {
  const out = await createCommandRunner().run("secret-tool", [
    "search",
    "--all",
    "service",
    "pup",
    "username",
    account,
  ], {
    env,
  });
  const items = parseSearchOutput(out.stdout) ?? [];
  return {
    count: items.length,
    items,
    attributes: Object.fromEntries(parseSearchAttributes(out.stderr)),
  };
}

async function store(account: string, label: string, value: string, extra: string[] = []) {
  const out = await createCommandRunner().run(
    "secret-tool",
    ["store", `--label=${label}`, "service", "pup", "username", account, ...extra],
    { stdin: value },
  );
  assert.equal(out.code, 0, out.stderr);
}

async function clear(account: string) {
  await createCommandRunner().run("secret-tool", ["clear", "service", "pup", "username", account]);
}

Deno.test({
  name: "an item written exactly as keyring-rs 3.6.3 writes it is shared, still one item",
  ignore: ssIgnored,
  async fn(t) {
    const { Entry } = await import("@napi-rs/keyring");
    const ss = new SecretService({ runner: createCommandRunner() });
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
          const seen = await inspect(account);
          assert.equal(seen.count, 1);
          assert.deepEqual(
            { ...seen.attributes },
            { service: "pup", username: account, target: "default", application: "rust-keyring" },
          );
          assert.equal(seen.items[0].label, `${account}@pup:default (keyring v3.6.3)`);
        } finally {
          await clear(account);
        }
      },
    );
    await t.step("we write first, keyring-rs reads and updates our item in place", async () => {
      const account = uniqueName("state_rs");
      try {
        await ss.set(account, '{"by":"deno"}');
        const entry = new Entry("pup", account);
        assert.equal(entry.getPassword(), '{"by":"deno"}');
        entry.setPassword('{"by":"rust"}');
        assert.equal(await ss.get(account), '{"by":"rust"}');
        assert.equal((await inspect(account)).count, 1);
        assert.equal(await ss.delete(account), true);
        assert.equal(entry.getPassword(), null);
      } finally {
        await clear(account);
      }
    });
  },
});

Deno.test({
  name:
    "two items keyring-rs cannot choose between are ambiguous: an error naming them, nothing written",
  ignore: ssIgnored,
  async fn() {
    const account = uniqueName("state_amb");
    try {
      await store(account, "first copy", "one", ["copy", "1"]);
      await store(account, "second copy", "two", ["copy", "2"]);
      const ss = new SecretService({ runner: createCommandRunner() });
      const ambiguous = (e: Error) =>
        e instanceof StorageUnavailableError &&
        e.message.includes("Found 2 Secret Service items") &&
        e.message.includes('"first copy"') && e.message.includes('"second copy"') &&
        e.message.includes(`secret-tool search --all service pup username ${account}`);
      await assert.rejects(ss.get(account), ambiguous);
      await assert.rejects(ss.set(account, "three"), ambiguous);
      await assert.rejects(ss.delete(account), ambiguous);
      // keyring-rs agrees: it refuses to write the same entry (its getPassword() binding
      // answers null on any error, so the write is what shows it).
      const { Entry } = await import("@napi-rs/keyring");
      assert.throws(
        () => new Entry("pup", account).setPassword("four"),
        /matched by 2 credentials/,
      );
      const seen = await inspect(account);
      assert.deepEqual(seen.items.map((i) => i.secret).sort(), ["one", "two"]);
    } finally {
      await clear(account);
    }
  },
});

Deno.test({
  name: "a legacy 2-attribute item is updated in place: still one item, its attributes kept",
  ignore: ssIgnored,
  async fn() {
    const account = uniqueName("state_legacy");
    try {
      await store(account, "legacy label", '{"old":1}');
      const ss = new SecretService({ runner: createCommandRunner() });
      assert.equal(await ss.get(account), '{"old":1}');
      await ss.set(account, '{"new":1}');
      const seen = await inspect(account);
      assert.equal(seen.count, 1);
      assert.deepEqual(seen.attributes, { service: "pup", username: account });
      assert.equal(seen.items[0].label, "legacy label");
      const { Entry } = await import("@napi-rs/keyring");
      assert.equal(new Entry("pup", account).getPassword(), '{"new":1}');
    } finally {
      await clear(account);
    }
  },
});

Deno.test({
  name: "an item written with other attributes by another program is read and updated in place",
  ignore: ssIgnored,
  async fn() {
    const account = uniqueName("state_other");
    try {
      await store(account, "other program", '{"other":1}', [
        "xdg:custom",
        "yes",
        "target",
        "elsewhere",
      ]);
      const ss = new SecretService({ runner: createCommandRunner() });
      assert.equal(await ss.get(account), '{"other":1}');
      await ss.set(account, '{"ours":1}');
      const seen = await inspect(account);
      assert.equal(seen.count, 1);
      assert.equal(seen.items[0].secret, '{"ours":1}');
      assert.deepEqual(seen.attributes, {
        service: "pup",
        username: account,
        "xdg:custom": "yes",
        target: "elsewhere",
      });
    } finally {
      await clear(account);
    }
  },
});

/** Runs `fn` against a private D-Bus session with its own unlocked keyring, torn down after. */
async function withPrivateKeyring(
  fn: (env: Record<string, string>) => Promise<void>,
): Promise<void> {
  const runner = createCommandRunner();
  const dir = await Deno.makeTempDir({ prefix: "pup-ss-bus-" });
  const bus = await runner.run("dbus-daemon", [
    "--session",
    "--fork",
    "--print-address=1",
    "--print-pid=1",
  ], {
    timeoutMs: 10_000,
  });
  assert.equal(bus.code, 0, bus.stderr);
  const [address, pid] = bus.stdout.trim().split("\n");
  try {
    const env = { DBUS_SESSION_BUS_ADDRESS: address };
    const keyring = await runner.run("gnome-keyring-daemon", ["--unlock", "--components=secrets"], {
      stdin: "pup-test-password",
      env: { ...env, HOME: dir, XDG_DATA_HOME: `${dir}/data` },
      timeoutMs: 10_000,
    });
    assert.equal(keyring.code, 0, keyring.stderr);
    await fn(env);
  } finally {
    // Only the bus this test started; its keyring daemon exits with it.
    Deno.kill(Number(pid), "SIGTERM");
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name: "a locked collection is reported as locked, and nothing is written",
  ignore: ssIgnored,
  async fn() {
    await withPrivateKeyring(async (env) => {
      const ss = new SecretService({ runner: new RecordingRunner(createCommandRunner(), env) });
      await ss.set("state_locked", '{"before":1}');
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
      const locked = (e: Error) =>
        e instanceof StorageUnavailableError && !(e instanceof StoreAbsentError) &&
        /is locked: unlock it/.test(e.message);
      await assert.rejects(ss.get("state_locked"), locked);
      await assert.rejects(ss.set("state_locked", '{"after":1}'), locked);
      await assert.rejects(ss.set("state_new_while_locked", '{"x":1}'), locked);
      const seen = await inspect("state_locked", env);
      assert.equal(seen.count, 1);
      assert.equal(seen.items[0].secret, undefined);
    });
  },
});

Deno.test("an item listed without its secret for another reason says so, not 'locked'", async () => {
  const runner = new FakeRunner().expect({
    cmd: "secret-tool",
    result: {
      stdout: item(1, "x"),
      stderr: `secret-tool: The secret was transferred or encrypted in an invalid way\n${ATTRS}`,
    },
  });
  await assert.rejects(
    new SecretService({ runner }).get("acct"),
    (e: Error) =>
      !/locked/.test(e.message) && e.message.includes("transferred or encrypted in an invalid way"),
  );
  runner.verify();
});
