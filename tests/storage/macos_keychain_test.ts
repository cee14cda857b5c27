/**
 * The macOS backend: exact tool calls against a scripted runner, and behaviour against the
 * `security` emulator (`tests/_fakes/fake_security`).
 *
 * @module
 */

import assert from "node:assert/strict";
import { StorageUnavailableError } from "../../lib/errors.ts";
import { createCommandRunner } from "../../lib/platform/command_runner.ts";
import {
  decodeSecurityOutput,
  isAmbiguousHex,
  MacosKeychain,
  quote,
  SECURITY_LINE_MAX_BYTES,
} from "../../lib/storage/macos_keychain.ts";
import { StoreAbsentError } from "../../lib/storage/run_tool.ts";
import { RecordingRunner } from "../_fakes/_recording_runner.ts";
import { fakePath } from "../_fakes/_store_gates.ts";
import { fgetsPieces, tokenize } from "../_fakes/fake_security.ts";
import { FakeRunner } from "../_fakes/fake_runner.ts";

const ACCOUNT = "state_datadoghq_com";
const SECURITY = "/usr/bin/security";
const FIND = ["find-generic-password", "-a", ACCOUNT, "-s", "pup", "-w"];
const VALUE = '{"tokens":{"__default__":{"access_token":"a\\"b\\\\c"}},"client":null}';

async function withFake(
  env: Record<string, string>,
  fn: (k: MacosKeychain, vault: string, recorder: RecordingRunner) => Promise<void>,
  timeoutMs?: number,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "pup-mac-" });
  try {
    const vault = `${dir}/vault.json`;
    const recorder = new RecordingRunner(createCommandRunner(), {
      FAKE_SECURITY_VAULT: vault,
      ...env,
    });
    await fn(
      new MacosKeychain({ runner: recorder, security: fakePath("fake_security"), timeoutMs }),
      vault,
      recorder,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("set() sends add-generic-password -U on security -i's stdin, quoted, then reads back", async () => {
  const runner = new FakeRunner()
    .expect({
      cmd: SECURITY,
      args: ["-i"],
      stdin: `add-generic-password -U -a "${ACCOUNT}" -s "pup" -w ${quote(VALUE)}\n`,
    })
    .expect({ cmd: SECURITY, args: FIND, stdin: null, result: { stdout: `${VALUE}\n` } });
  await new MacosKeychain({ runner }).set(ACCOUNT, VALUE);
  runner.verify();
  assert.equal(quote('a"b\\c'), '"a\\"b\\\\c"');
});

Deno.test("get() reads with find-generic-password -w and decodes the hex form", async () => {
  const text = '{"org":"é"}';
  const runner = new FakeRunner()
    .expect({
      cmd: SECURITY,
      args: FIND,
      result: { stdout: `${new TextEncoder().encode(text).toHex()}\n` },
    })
    .expect({
      cmd: SECURITY,
      args: FIND,
      result: { code: 44, stderr: "security: … could not be found" },
    });
  const k = new MacosKeychain({ runner });
  assert.equal(await k.get(ACCOUNT), text);
  assert.equal(await k.get(ACCOUNT), undefined);
  runner.verify();
});

Deno.test("decodeSecurityOutput() decodes only what security would have printed as hex", () => {
  assert.equal(decodeSecurityOutput("7b22c3a9227d"), '{"é"}');
  assert.equal(decodeSecurityOutput("7b7d"), "7b7d"); // "{}" is printable: security prints it as is
  assert.equal(decodeSecurityOutput("deadbeef"), "deadbeef"); // not UTF-8
  assert.equal(decodeSecurityOutput('{"a":1}'), '{"a":1}');
  assert.equal(decodeSecurityOutput("09"), "\t");
  assert.ok(isAmbiguousHex("c3a9"));
  assert.ok(!isAmbiguousHex("é") && !isAmbiguousHex("{}"));
});

Deno.test("set() refuses newline, NUL and ambiguous hex values before running anything", async () => {
  const runner = new FakeRunner();
  const k = new MacosKeychain({ runner });
  await assert.rejects(k.set(ACCOUNT, "a\nb"), RangeError);
  await assert.rejects(k.set(ACCOUNT, "a\0b"), RangeError);
  await assert.rejects(k.set(ACCOUNT, "c3a9"), RangeError);
  runner.verify();
});

Deno.test("set() refuses a line over 4095 bytes before running anything, naming the limit", async () => {
  const runner = new FakeRunner();
  const fixed = `add-generic-password -U -a "${ACCOUNT}" -s "pup" -w ""\n`.length;
  const over = "\\".repeat(Math.ceil((SECURITY_LINE_MAX_BYTES - fixed) / 2) + 1); // each escapes to 2
  await assert.rejects(
    new MacosKeychain({ runner }).set(ACCOUNT, over),
    (e: Error) =>
      e instanceof StorageUnavailableError && e.message.includes("4095") &&
      e.message.includes("DD_TOKEN_STORAGE=file") && e.message.includes("nothing was written"),
  );
  runner.verify();
});

Deno.test("exit 36 (no user interaction) and 51 (denied) say what to do", async () => {
  const runner = new FakeRunner()
    .expect({ cmd: SECURITY, args: FIND, result: { code: 36 } })
    .expect({ cmd: SECURITY, args: FIND, result: { code: 51 } })
    .expect({
      cmd: SECURITY,
      args: ["delete-generic-password", "-a", ACCOUNT, "-s", "pup"],
      result: { code: 44 },
    })
    .expect({ cmd: SECURITY, args: FIND, result: { code: 7 } });
  const k = new MacosKeychain({ runner });
  await assert.rejects(
    k.get(ACCOUNT),
    /locked.*exit code 36.*'security unlock-keychain'.*DD_TOKEN_STORAGE=file/,
  );
  await assert.rejects(k.get(ACCOUNT), /access was denied.*exit code 51.*DD_TOKEN_STORAGE=file/);
  assert.equal(await k.delete(ACCOUNT), false);
  await assert.rejects(k.get(ACCOUNT), /exited with code 7/);
  runner.verify();
});

Deno.test("the emulator: a long -i line runs its tail as a second command, as fgets(4096) does", () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  const line = `x ${"a".repeat(5000)}\nlast-without-newline`;
  const pieces = fgetsPieces(enc(line)).map((p) => p.length);
  assert.deepEqual(pieces, [4095, 5003 - 4095]); // the unterminated last line is dropped
  assert.deepEqual(
    tokenize(enc(`cmd "a \\"b\\" c" 'd\\\\e' f\\ g`)).map((t) => new TextDecoder().decode(t)),
    ["cmd", 'a "b" c', "d\\e", "f g"],
  );
});

Deno.test("the emulator stores a too-long line's first 4095 bytes and fails the tail: why we refuse", async () => {
  await withFake({}, async (k, vault) => {
    const value = "v".repeat(5000);
    const out = await createCommandRunner().run(fakePath("fake_security"), ["-i"], {
      stdin: `add-generic-password -U -a "${ACCOUNT}" -s "pup" -w "${value}"\n`,
      env: { FAKE_SECURITY_VAULT: vault },
    });
    assert.equal(out.code, 1); // the last command is the tail: "unknown command"
    assert.match(out.stderr, /returned 1/);
    const stored = await k.get(ACCOUNT);
    assert.ok(stored !== undefined && stored.length < value.length, "a truncated value was stored");
  });
});

Deno.test("through the emulator: round trip, with the secret only ever on stdin", async () => {
  await withFake({}, async (k, _vault, recorder) => {
    await k.set(ACCOUNT, VALUE);
    assert.equal(await k.get(ACCOUNT), VALUE);
    assert.equal(await k.delete(ACCOUNT), true);
    assert.equal(await k.delete(ACCOUNT), false);
    recorder.assertNoSecretInArgv([VALUE, "access_token"]);
    assert.ok(recorder.calls.some((c) => c.stdin?.includes(quote(VALUE))));
  });
});

Deno.test("a locked keychain (36) or a denial (51) fails the write and keeps the old value", async () => {
  for (const code of ["36", "51"]) {
    const dir = await Deno.makeTempDir({ prefix: "pup-mac-" });
    try {
      const env = { FAKE_SECURITY_VAULT: `${dir}/v.json` };
      const open = new MacosKeychain({
        runner: new RecordingRunner(createCommandRunner(), env),
        security: fakePath("fake_security"),
      });
      await open.set(ACCOUNT, '{"old":1}');
      const locked = new MacosKeychain({
        runner: new RecordingRunner(createCommandRunner(), { ...env, FAKE_SECURITY_LOCKED: code }),
        security: fakePath("fake_security"),
      });
      await assert.rejects(locked.set(ACCOUNT, '{"new":1}'), new RegExp(`exit code ${code}`));
      await assert.rejects(locked.get(ACCOUNT), new RegExp(`exit code ${code}`));
      assert.equal(await open.get(ACCOUNT), '{"old":1}');
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
});

Deno.test("a security killed during the write leaves the old value, and the write reports it", async () => {
  await withFake({}, async (k, vault) => {
    await k.set(ACCOUNT, '{"old":1}');
    const dying = new MacosKeychain({
      runner: new RecordingRunner(createCommandRunner(), {
        FAKE_SECURITY_VAULT: vault,
        FAKE_SECURITY_DIE_AFTER_WRITES: "0",
      }),
      security: fakePath("fake_security"),
    });
    await assert.rejects(dying.set(ACCOUNT, '{"new":1}'), /exited with code 137/);
    assert.equal(await k.get(ACCOUNT), '{"old":1}');
  });
});

Deno.test("a missing security tool is a StoreAbsentError naming it", async () => {
  const k = new MacosKeychain({ runner: createCommandRunner(), security: "/nonexistent/security" });
  await assert.rejects(
    k.get(ACCOUNT),
    (e: Error) => e instanceof StoreAbsentError && e.message.includes('"/nonexistent/security"'),
  );
});

Deno.test("a hung security (an unanswered dialog) is stopped at the timeout, which the error names", async () => {
  await withFake({ FAKE_SECURITY_HANG: "1" }, async (k) => {
    await assert.rejects(
      k.get(ACCOUNT),
      (e: Error) =>
        e instanceof StorageUnavailableError && /did not answer within 1500 ms/.test(e.message) &&
        /unlock it or allow access/.test(e.message),
    );
  }, 1500);
});

Deno.test("the emulator logs argv and stdin apart, and no secret reaches argv", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pup-mac-" });
  try {
    const log = `${dir}/log.jsonl`;
    const runner = new RecordingRunner(createCommandRunner(), {
      FAKE_SECURITY_VAULT: `${dir}/v.json`,
      FAKE_SECURITY_LOG: log,
    });
    const k = new MacosKeychain({ runner, security: fakePath("fake_security") });
    await k.set(ACCOUNT, VALUE);
    await k.get(ACCOUNT);
    const entries = (await Deno.readTextFile(log)).trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(entries.length, 3);
    for (const e of entries) assert.ok(!JSON.stringify(e.argv).includes("access_token"));
    assert.ok(entries[0].stdin.includes("access_token"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the emulator answers 45 for add-generic-password without -U over an existing item", async () => {
  await withFake({}, async (k, vault) => {
    await k.set(ACCOUNT, '{"a":1}');
    const out = await createCommandRunner().run(
      fakePath("fake_security"),
      ["add-generic-password", "-a", ACCOUNT, "-s", "pup", "-w", "x"],
      { env: { FAKE_SECURITY_VAULT: vault } },
    );
    assert.equal(out.code, 45);
    assert.match(out.stderr, /already exists/);
    assert.equal(await k.get(ACCOUNT), '{"a":1}');
  });
});
