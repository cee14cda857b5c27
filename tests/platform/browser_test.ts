import assert from "node:assert/strict";
import type { Clock, CommandResult } from "../../lib/deps.ts";
import { createBrowser } from "../../lib/platform/browser.ts";
import { CommandNotFoundError, createCommandRunner } from "../../lib/platform/command_runner.ts";
import { FakeRunner } from "../_fakes/fake_runner.ts";

const URL_ = "https://app.datadoghq.com/oauth2/v1/authorize?response_type=code&state=abc";

/** A clock whose settle wait never ends on its own: launchers always finish first. */
const patientClock: Clock = {
  now: () => 0,
  sleep: (_ms, signal) =>
    new Promise((_, reject) => signal?.addEventListener("abort", () => reject(signal.reason))),
};

/** A clock whose settle wait is over at once: a launcher still running counts as opened. */
const hastyClock: Clock = { now: () => 0, sleep: () => Promise.resolve() };

function browser(
  runner: FakeRunner,
  env: Record<string, string>,
  os: "darwin" | "linux" | "windows",
) {
  return createBrowser(runner, env, os, { clock: patientClock });
}

Deno.test("open() runs $BROWSER with the URL as its only argument", async () => {
  const runner = new FakeRunner().expect({ cmd: "/opt/bin/my-browser", args: [URL_] });
  const result = await browser(runner, { BROWSER: "/opt/bin/my-browser" }, "linux").open(URL_);
  assert.deepEqual(result, { opened: true, via: "$BROWSER (/opt/bin/my-browser)" });
  runner.verify();
});

Deno.test("open() splits $BROWSER on spaces and puts the URL in place of %s", async () => {
  const runner = new FakeRunner().expect({
    cmd: "chromium",
    args: ["--headless", "--dump-dom", `--url=${URL_}`, "100%"],
  });
  const env = { BROWSER: "chromium --headless --dump-dom --url=%s 100%%" };
  assert.equal((await browser(runner, env, "linux").open(URL_)).opened, true);
  runner.verify();
});

Deno.test("open() tries the $BROWSER alternatives separated by ':' in order", async () => {
  const runner = new FakeRunner()
    .expect({ cmd: "missing-browser", result: new CommandNotFoundError("missing-browser") })
    .expect({ cmd: "firefox", args: ["--new-window", URL_] });
  const env = { BROWSER: "missing-browser:firefox --new-window" };
  assert.deepEqual(await browser(runner, env, "linux").open(URL_), {
    opened: true,
    via: "$BROWSER (firefox)",
  });
  runner.verify();
});

Deno.test("open() separates $BROWSER alternatives with ';' on Windows, keeping drive letters", async () => {
  const runner = new FakeRunner().expect({ cmd: "C:\\Tools\\browser.exe", args: [URL_] });
  const env = { BROWSER: "C:\\Tools\\browser.exe;D:\\other.exe" };
  assert.equal((await browser(runner, env, "windows").open(URL_)).opened, true);
  runner.verify();
});

Deno.test("open() reports why when every $BROWSER alternative fails, without trying the OS opener", async () => {
  const runner = new FakeRunner()
    .expect({ cmd: "a", result: { code: 1, stderr: "cannot open display\nmore" } })
    .expect({ cmd: "b", result: new CommandNotFoundError("b") });
  assert.deepEqual(await browser(runner, { BROWSER: "a:b" }, "linux").open(URL_), {
    opened: false,
    reason: "a exited with code 1 (cannot open display); b was not found",
  });
  runner.verify();
});

Deno.test("open() counts a $BROWSER still running after the settle wait as opened, without killing it", async () => {
  let finish!: (r: CommandResult) => void;
  const pending = new Promise<CommandResult>((resolve) => (finish = resolve));
  const runner = new FakeRunner().expect({ cmd: "firefox", args: [URL_], pending });
  const b = createBrowser(runner, { BROWSER: "firefox" }, "linux", { clock: hastyClock });
  try {
    assert.deepEqual(await b.open(URL_), { opened: true, via: "$BROWSER (firefox)" });
    // Only a hard timeout (10 minutes by default) may kill it, never the settle wait.
    assert.equal(runner.calls[0].opts?.timeoutMs, 600_000);
    runner.verify();
  } finally {
    finish({ code: 0, stdout: "", stderr: "" });
  }
});

Deno.test("open() ignores an empty $BROWSER and uses the OS opener", async () => {
  const runner = new FakeRunner().expect({ cmd: "xdg-open", args: [URL_] });
  assert.equal((await browser(runner, { BROWSER: "  " }, "linux").open(URL_)).opened, true);
  runner.verify();
});

Deno.test("open() uses /usr/bin/open on macOS", async () => {
  const runner = new FakeRunner().expect({ cmd: "/usr/bin/open", args: [URL_] });
  assert.deepEqual(await browser(runner, {}, "darwin").open(URL_), { opened: true, via: "open" });
  runner.verify();
});

Deno.test("open() uses xdg-open on Linux and stops there when it works", async () => {
  const runner = new FakeRunner().expect({ cmd: "xdg-open", args: [URL_] });
  assert.deepEqual(await browser(runner, {}, "linux").open(URL_), {
    opened: true,
    via: "xdg-open",
  });
  runner.verify();
});

Deno.test("open() falls back to wslview when xdg-open has no browser, and reports both failures", async () => {
  const runner = new FakeRunner()
    .expect({
      cmd: "xdg-open",
      args: [URL_],
      result: { code: 3, stderr: "xdg-open: no method available" },
    })
    .expect({ cmd: "wslview", args: [URL_], result: new CommandNotFoundError("wslview") });
  assert.deepEqual(await browser(runner, {}, "linux").open(URL_), {
    opened: false,
    reason: "xdg-open exited with code 3 (xdg-open: no method available); wslview was not found",
  });
  runner.verify();
});

Deno.test("open() uses rundll32 url.dll,FileProtocolHandler on Windows", async () => {
  const runner = new FakeRunner().expect({
    cmd: "C:\\Windows\\System32\\rundll32.exe",
    args: ["url.dll,FileProtocolHandler", URL_],
  });
  const result = await browser(runner, { SystemRoot: "C:\\Windows" }, "windows").open(URL_);
  assert.deepEqual(result, { opened: true, via: "rundll32" });
  runner.verify();
});

Deno.test("open() falls back to explorer on Windows, whose exit code 1 still means opened", async () => {
  const runner = new FakeRunner()
    .expect({ cmd: "rundll32.exe", result: new CommandNotFoundError("rundll32.exe") })
    .expect({ cmd: "explorer.exe", args: [URL_], result: { code: 1 } });
  assert.deepEqual(await browser(runner, {}, "windows").open(URL_), {
    opened: true,
    via: "explorer",
  });
  runner.verify();
});

Deno.test("open() refuses anything but an http(s) URL without running a program", async () => {
  for (const url of ["file:///etc/passwd", "javascript:alert(1)", "--help", "not a url"]) {
    const runner = new FakeRunner();
    const result = await browser(runner, { BROWSER: "x" }, "linux").open(url);
    assert.deepEqual(result, {
      opened: false,
      reason: "only http and https URLs are opened in a browser",
    });
    runner.verify();
  }
});

Deno.test("open() hands the URL to a real $BROWSER program as one argument, never to a shell", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const script = `${dir}/browser.sh`;
    await Deno.writeTextFile(script, `#!/bin/sh\nprintf '%s\\n' "$#" "$1" > '${dir}/argv.txt'\n`);
    await Deno.chmod(script, 0o700);
    const hostile = `https://example.com/a?x=$(touch%20${dir}/pwned)&y=;touch%20${dir}/pwned2&z='"`;
    const b = createBrowser(createCommandRunner(), { BROWSER: script }, "linux");
    assert.deepEqual(await b.open(hostile), { opened: true, via: `$BROWSER (${script})` });
    const [argc, argv1] = (await Deno.readTextFile(`${dir}/argv.txt`)).split("\n");
    assert.equal(argc, "1");
    assert.equal(argv1, new URL(hostile).href);
    for (const f of ["pwned", "pwned2"]) {
      await assert.rejects(Deno.stat(`${dir}/${f}`), Deno.errors.NotFound);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
