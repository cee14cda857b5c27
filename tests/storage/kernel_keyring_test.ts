/**
 * The kernel keyring backend: error mapping with a scripted runner, then the real `keyctl`.
 * Real cases need a session keyring of their own; run, from the repo root:
 *
 *   PUP_TEST_REQUIRE_KEYCTL=1 keyctl session - \
 *     tools/node_modules/.bin/deno test -P=test tests/storage/kernel_keyring_test.ts
 *
 * They are ignored when `keyctl` cannot add and read back a key here and PUP_TEST_REQUIRE_KEYCTL
 * is not 1. Keys get unique names and are removed afterwards (the persistent keyring is shared
 * by every test of this user).
 *
 * @module
 */

import assert from "node:assert/strict";
import { StorageUnavailableError } from "../../lib/errors.ts";
import { createCommandRunner } from "../../lib/platform/command_runner.ts";
import { KernelKeyring, keyDescription } from "../../lib/storage/kernel_keyring.ts";
import { StoreAbsentError } from "../../lib/storage/secret_store.ts";
import { RecordingRunner } from "../_fakes/_recording_runner.ts";
import { keyctlIgnored, uniqueName } from "../_fakes/_store_gates.ts";
import { FakeRunner } from "../_fakes/fake_runner.ts";

const ignore = await keyctlIgnored();
const DESC = keyDescription("acct");

async function keyctl(args: string[], stdin?: string) {
  return await createCommandRunner().run("keyctl", args, { stdin, timeoutMs: 5_000 });
}

Deno.test("keyDescription() is keyring-rs's description", () => {
  assert.equal(keyDescription("state_datadoghq_com"), "keyring-rs:state_datadoghq_com@pup");
});

Deno.test("a reachable key is read with one keyctl process", async () => {
  const runner = new FakeRunner().expect({
    cmd: "keyctl",
    args: ["pipe", `%user:${DESC}`],
    result: { stdout: "v" },
  });
  assert.equal(await new KernelKeyring({ runner }).get("acct"), "v");
  runner.verify();
});

Deno.test("a miss links the persistent keyring and searches the session keyring before answering", async () => {
  const runner = new FakeRunner()
    .expect({
      cmd: "keyctl",
      args: ["pipe", `%user:${DESC}`],
      result: { code: 1, stderr: "keyctl_read_alloc: Permission denied\n" },
    })
    .expect({ cmd: "keyctl", args: ["get_persistent", "@s"], result: { stdout: "42\n" } })
    .expect({
      cmd: "keyctl",
      args: ["search", "@s", "user", DESC],
      result: { code: 1, stderr: "keyctl_search: Required key not available\n" },
    });
  assert.equal(await new KernelKeyring({ runner }).get("acct"), undefined);
  runner.verify();
});

Deno.test("set() refuses values over 32767 bytes before running keyctl, naming both limits", async () => {
  const runner = new FakeRunner();
  const k = new KernelKeyring({ runner });
  await assert.rejects(
    k.set("acct", "é".repeat(16384)),
    (e: Error) =>
      e instanceof StorageUnavailableError && e.message.includes("32767") &&
      e.message.includes("20000") &&
      e.message.includes("DD_TOKEN_STORAGE=file"),
  );
  await assert.rejects(k.set("acct", ""), RangeError);
  runner.verify();
});

Deno.test("'Disk quota exceeded' is explained with the per-user quota", async () => {
  const runner = new FakeRunner().expect({
    cmd: "keyctl",
    args: ["padd", "user", DESC, "@s"],
    stdin: "v",
    result: { code: 1, stderr: "add_key: Disk quota exceeded\n" },
  });
  await assert.rejects(
    new KernelKeyring({ runner }).set("acct", "v"),
    /quota is full \(non-root users get 20000 bytes.*maxbytes\); the old value was kept\. Use DD_TOKEN_STORAGE=file/,
  );
  runner.verify();
});

Deno.test("a kernel without keyrings or a container that blocks them is a StoreAbsentError", async () => {
  for (
    const stderr of [
      "keyctl_read_alloc: Operation not permitted",
      "keyctl: Function not implemented",
    ]
  ) {
    const runner = new FakeRunner().expect({ cmd: "keyctl", result: { code: 1, stderr } });
    await assert.rejects(
      new KernelKeyring({ runner }).get("acct"),
      (e: Error) => e instanceof StoreAbsentError && e.message.includes(stderr.split(": ")[1]),
    );
    runner.verify();
  }
});

Deno.test("a missing keyctl is a StoreAbsentError naming keyutils", async () => {
  const k = new KernelKeyring({ runner: createCommandRunner(), keyctl: "/nonexistent/keyctl" });
  await assert.rejects(
    k.get("acct"),
    (e: Error) => e instanceof StoreAbsentError && /keyutils/.test(e.message),
  );
});

Deno.test("a hung keyctl is stopped at the timeout, which the error names", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pup-keyctl-" });
  try {
    await Deno.writeTextFile(`${dir}/keyctl`, "#!/bin/sh\nexec sleep 30\n", { mode: 0o755 });
    const k = new KernelKeyring({
      runner: createCommandRunner(),
      keyctl: `${dir}/keyctl`,
      timeoutMs: 500,
    });
    await assert.rejects(k.get("acct"), /\(pipe\) did not answer within 500 ms/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name:
    "a key written by 'keyctl padd' as keyring-rs writes it is read, and ours lands where keyring-rs looks",
  ignore,
  async fn() {
    const account = uniqueName("state_kr");
    const desc = keyDescription(account);
    const recorder = new RecordingRunner(createCommandRunner());
    const k = new KernelKeyring({ runner: recorder });
    try {
      const added = await keyctl(["padd", "user", desc, "@s"], '{"by":"rust"}');
      assert.equal(added.code, 0, added.stderr);
      assert.equal(await k.get(account), '{"by":"rust"}');
      await k.set(account, '{"by":"deno","é":"日本"}');
      // keyring-rs updates keep the key: same id, new payload, in @s and the persistent keyring.
      const id = (await keyctl(["search", "@s", "user", desc])).stdout.trim();
      assert.equal(id, added.stdout.trim());
      assert.equal((await keyctl(["pipe", id])).stdout, '{"by":"deno","é":"日本"}');
      const persistent = (await keyctl(["get_persistent", "@s"])).stdout.trim();
      assert.match((await keyctl(["list", persistent])).stdout, new RegExp(`\\b${id}\\b`));
      recorder.assertNoSecretInArgv(['{"by":"deno"', "日本"]);
      assert.equal(await k.delete(account), true);
      assert.equal(await k.get(account), undefined);
      assert.equal(await k.delete(account), false);
    } finally {
      await keyctl(["purge", "user", desc]);
    }
  },
});

Deno.test({
  name: "a key reachable only through the persistent keyring (a new login session) is found",
  ignore,
  async fn() {
    const account = uniqueName("state_kr");
    const desc = keyDescription(account);
    try {
      const persistent = (await keyctl(["get_persistent", "@s"])).stdout.trim();
      assert.equal((await keyctl(["padd", "user", desc, persistent], '{"old":"session"}')).code, 0);
      // As after a re-login: the session keyring does not link the persistent one yet.
      await keyctl(["unlink", persistent, "@s"]);
      assert.equal(
        await new KernelKeyring({ runner: createCommandRunner() }).get(account),
        '{"old":"session"}',
      );
    } finally {
      await keyctl(["purge", "user", desc]);
    }
  },
});

Deno.test({
  name: "a key in another session's keyring is not ours: it reads as missing",
  ignore,
  async fn() {
    const account = uniqueName("state_kr");
    const desc = keyDescription(account);
    // Another login session holding the same description: its key shows in /proc/keys (where
    // 'keyctl pipe %user:…' also looks) but is not ours to read.
    const other = new Deno.Command("keyctl", {
      args: [
        "session",
        "-",
        "sh",
        "-c",
        `printf %s '{"other":1}' | keyctl padd user '${desc}' @s && echo ready && exec sleep 30`,
      ],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    try {
      const reader = other.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let seen = "";
      while (!seen.includes("ready")) {
        const { value, done } = await reader.read();
        assert.ok(!done, "the other session did not start");
        seen += value;
      }
      reader.releaseLock();
      const visible = (await keyctl(["pipe", `%user:${desc}`])).stderr;
      assert.match(
        visible,
        /Permission denied/,
        "the other session's key should be visible but unreadable",
      );
      assert.equal(
        await new KernelKeyring({ runner: createCommandRunner(), persistent: false }).get(account),
        undefined,
      );
    } finally {
      other.kill("SIGKILL");
      await other.status;
      await other.stdout.cancel().catch(() => {});
    }
  },
});
