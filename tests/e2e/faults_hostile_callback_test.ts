/**
 * The hostile-callback corpus against a real `pup auth login` (SPEC §4.3, §8; ref §12
 * item 13): 21 kinds of forged, malformed and oversized requests hit the callback port while
 * the login waits (wrong, missing, repeated and case-changed state; error= without the state;
 * wrong or missing Host; POST, HEAD, CONNECT; other paths; a 1 MB query and a 64 KB path;
 * markup in error_description; %0d%0a header injection; absolute-form targets; non-UTF-8
 * percent sequences; a half-sent request held open). Uses the fixed callback ports, so it runs
 * as a file of its own.
 */
import assert from "node:assert/strict";
import { runHostileLogin } from "../../scripts/soak/hostile_run.ts";

Deno.test("hostile callback requests are refused unreflected and the real login still completes", async () => {
  const f = await runHostileLogin();
  assert.deepEqual(f.problems, []);
  assert.ok(f.kinds >= 10, `${f.kinds} kinds`);
  assert.equal(f.refused, f.kinds);
  assert.equal(f.reflected, 0);
  assert.equal(f.loginExit, 0);
  assert.equal(f.codeExchanges, 1);
});

Deno.test("a flood of 1,000 idle connections under ulimit -n 256 does not end the login; the real callback completes it", async () => {
  const { startMockDatadog } = await import("../../scripts/mock_datadog.ts");
  const { childEnv, PUP } = await import("./_helpers.ts");
  const mock = await startMockDatadog({ autoApprove: true });
  const dir = await Deno.makeTempDir({ prefix: "pup-emfile-" });
  const flood: Deno.TcpConn[] = [];
  const child = new Deno.Command("sh", {
    args: ["-c", 'ulimit -n 256 && exec "$0" auth login --no-browser', PUP],
    env: childEnv({ PUP_CONFIG_DIR: dir, PUP_MOCK_SERVER: mock.url, DD_TOKEN_STORAGE: "file" }),
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let stderr = "";
  const reading = (async () => {
    for await (const t of child.stderr.pipeThrough(new TextDecoderStream())) stderr += t;
  })();
  const stdout = new Response(child.stdout).text();
  try {
    const deadline = Date.now() + 30_000;
    let m: RegExpMatchArray | null = null;
    const url = /\n(https?:\/\/\S+\/oauth2\/v1\/authorize\?\S+)\n/;
    while (!(m = stderr.match(url)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 25));
    }
    assert.ok(m, stderr);
    const port = Number(
      stderr.match(/Callback server started on: http:\/\/127\.0\.0\.1:(\d+)/)![1],
    );
    // Idle connections that never send a byte, more than pup has descriptors.
    for (let i = 0; i < 1000; i++) {
      try {
        flood.push(await Deno.connect({ hostname: "127.0.0.1", port }));
      } catch {
        break; // the backlog is full: the flood has done what it can
      }
    }
    assert.ok(flood.length >= 300, `${flood.length} connections`);
    const authorize = await fetch(m[1], { redirect: "manual" });
    await authorize.body?.cancel();
    const callback = authorize.headers.get("location")!;
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      try {
        const res = await fetch(callback);
        await res.body?.cancel();
        status = res.status;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    assert.equal(status, 200, stderr);
    await child.stdin.close();
    const code = (await child.status).code;
    await reading;
    assert.equal(code, 0, stderr);
    assert.match(stderr, /Login successful/);
    assert.ok(!/Too many open files|os error 24|at .*\.ts:\d+/.test(stderr), stderr);
    assert.equal(mock.stats().tokenRequests.authorization_code, 1);
    await stdout;
  } finally {
    for (const c of flood) {
      try {
        c.close();
      } catch { /* closed by pup */ }
    }
    try {
      child.kill("SIGKILL");
    } catch { /* exited */ }
    await mock.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
