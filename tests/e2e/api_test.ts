/**
 * `pup monitors list`, `pup api` and `pup auth token` as real processes (`scripts/pup`, the
 * permission set the compiled binary gets) against the in-process mock, with a session logged
 * in through the mock and stored in a temp config dir.
 */
import assert from "node:assert/strict";
import { stripMockNotice } from "../_fakes/fake_deps.ts";
import { storedTokens, withMockSession } from "../_fakes/_api_session.ts";
import { PupProcess, runPup } from "./_helpers.ts";

Deno.test("pup monitors list, as a process, prints the mock's monitors as JSON", async () => {
  await withMockSession({}, async ({ mock, dir }) => {
    const env = { PUP_CONFIG_DIR: dir, PUP_MOCK_SERVER: mock.url, DD_TOKEN_STORAGE: "file" };
    const r = await runPup(["monitors", "list", "--limit", "2"], env);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).map((m: { id: number }) => m.id), [1001, 1002]);
    assert.equal(stripMockNotice(r.stderr), "");
  });
});

Deno.test("pup api, as a process, refreshes an expired session, posts stdin and stores the new token", async () => {
  await withMockSession({ expiredSession: true }, async ({ mock, dir, tokens }) => {
    const env = { PUP_CONFIG_DIR: dir, PUP_MOCK_SERVER: mock.url, DD_TOKEN_STORAGE: "file" };
    const r = await runPup(["api", "/api/v2/echo", "--input", "-", "-f", "dry=1"], env, {
      stdin: '{"hello": ["world"]}\n',
    });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), {
      method: "POST",
      path: "/api/v2/echo",
      query: { dry: "1" },
      body: { hello: ["world"] },
    });
    assert.equal(stripMockNotice(r.stderr), "🔄 Access token refreshed automatically.\n");
    assert.equal(mock.stats().tokenRequests.refresh_token, 1);
    assert.notEqual((await storedTokens(dir))?.access_token, tokens.access_token);
  });
});

Deno.test("pup auth token, as a process, prints exactly the stored token; without a session it exits 3", async () => {
  await withMockSession({}, async ({ mock, dir, tokens }) => {
    const env = { PUP_CONFIG_DIR: dir, PUP_MOCK_SERVER: mock.url, DD_TOKEN_STORAGE: "file" };
    const r = await runPup(["auth", "token"], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${tokens.access_token}\n`);
    const none = await runPup(["auth", "token", "--org", "nobody"], env);
    assert.equal(none.code, 3);
    assert.equal(none.stdout, "");
    assert.match(
      stripMockNotice(none.stderr),
      /^Error: No token available .*pup auth login --org nobody/,
    );
    assert.equal(mock.stats().tokenRequests.refresh_token, 0);
  });
});

Deno.test("pup api, as a process, exits 3 with no credentials and 1 for an unreachable host", async () => {
  await withMockSession({ noSession: true }, async ({ mock, dir }) => {
    const env = { PUP_CONFIG_DIR: dir, PUP_MOCK_SERVER: mock.url, DD_TOKEN_STORAGE: "file" };
    const none = await runPup(["api", "/api/v1/validate"], env);
    assert.equal(none.code, 3);
    assert.match(none.stderr, /set DD_API_KEY and DD_APP_KEY/);
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (listener.addr as Deno.NetAddr).port;
    listener.close();
    const down = await runPup(["api", "/api/v1/validate"], {
      ...env,
      PUP_MOCK_SERVER: `http://127.0.0.1:${port}`,
      DD_ACCESS_TOKEN: "t",
    });
    assert.equal(down.code, 1);
    assert.match(
      down.stderr,
      new RegExp(`Cannot reach "127\\.0\\.0\\.1:${port}".*connection was refused`),
    );
  });
});

Deno.test("Ctrl-C while an API call waits for the server exits 130 with pup's own message and keeps the session", async () => {
  await withMockSession({}, async ({ mock, dir, tokens }) => {
    mock.setFault({ endpoint: "api", delayMs: 3_000, count: 1 });
    const env = { PUP_CONFIG_DIR: dir, PUP_MOCK_SERVER: mock.url, DD_TOKEN_STORAGE: "file" };
    const pup = new PupProcess(["monitors", "list"], env);
    // Once the request is at the server, pup is waiting on it (SIGINT is bound by then).
    for (let i = 0; i < 300 && mock.stats().apiRequests === 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(mock.stats().apiRequests, 1, "the request never reached the mock");
    pup.kill("SIGINT");
    const run = await pup.finish(20_000, { keepStdin: true });
    assert.equal(run.code, 130, run.stderr);
    assert.equal(stripMockNotice(run.stderr), "Error: interrupted\n");
    assert.equal((await storedTokens(dir))?.access_token, tokens.access_token);
  });
});
