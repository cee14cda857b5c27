/**
 * `pup auth login`, `status`, `refresh` and `logout` as real processes against the mock
 * Datadog, with real headless Chromium as the browser. These tests bind the real callback
 * ports 8000, 8080, 8888 and 9000 (the product requires them), so this file runs alone.
 */

import assert from "node:assert/strict";
import { stripMockNotice } from "../_fakes/fake_deps.ts";
import type { MockDatadog } from "../../scripts/mock_datadog.ts";
import { rustClient, rustSessions, rustTokenFile } from "../_fakes/rust_reader.ts";
import {
  assertChromium,
  CHROMIUM_MISSING_AND_OPTIONAL,
  DENO,
  filesIn,
  HEADLESS_BROWSER,
  PupProcess,
  runPup,
  withConfigDir,
  withMock,
} from "./_helpers.ts";

const PORTS = [8000, 8080, 8888, 9000];

function pupEnv(mock: MockDatadog, dir: string, extra: Record<string, string> = {}) {
  return {
    PUP_MOCK_SERVER: mock.url,
    PUP_CONFIG_DIR: dir,
    DD_TOKEN_STORAGE: "file",
    BROWSER: HEADLESS_BROWSER,
    ...extra,
  };
}

/** Holds real ports for the duration of `fn`. */
async function holdingPorts<T>(ports: number[], fn: () => Promise<T>): Promise<T> {
  const listeners = ports.map((port) => Deno.listen({ hostname: "127.0.0.1", port }));
  try {
    return await fn();
  } finally {
    for (const l of listeners) l.close();
  }
}

Deno.test({
  name:
    "login through real Chromium stores a Rust-readable session without printing a token; status, refresh and logout then work",
  ignore: CHROMIUM_MISSING_AND_OPTIONAL,
  async fn() {
    await assertChromium();
    await withMock({ autoApprove: false, autoSubmit: true }, async (mock) => {
      await withConfigDir(async (dir) => {
        const env = pupEnv(mock, dir);
        const login = await runPup(["auth", "login"], env);
        assert.equal(login.code, 0, login.stderr);
        let stats = mock.stats();
        assert.equal(stats.registrations, 1);
        assert.equal(stats.consentDecisions.approved, 1);
        assert.equal(stats.tokenRequests.authorization_code, 1);
        assert.equal(stats.pkceVerified, 1);
        assert.match(login.stderr, /✅ Login successful!/);

        const tokenText = await Deno.readTextFile(`${dir}/tokens_datadoghq_com.json`);
        rustTokenFile(tokenText);
        rustClient(JSON.parse(await Deno.readTextFile(`${dir}/client_datadoghq_com.json`)));
        rustSessions(await Deno.readTextFile(`${dir}/sessions.json`));
        const first = JSON.parse(tokenText).__default__;
        for (const secret of [first.access_token, first.refresh_token]) {
          assert.ok(!login.stdout.includes(secret) && !login.stderr.includes(secret));
        }
        assert.equal(JSON.parse(login.stdout).site, "datadoghq.com");

        const status = await runPup(["auth", "status"], env);
        assert.equal(status.code, 0, status.stderr);
        assert.equal(JSON.parse(status.stdout).authenticated, true);

        const refresh = await runPup(["auth", "refresh"], env);
        assert.equal(refresh.code, 0, refresh.stderr);
        assert.equal(mock.stats().tokenRequests.refresh_token, 1);
        const second = JSON.parse(await Deno.readTextFile(`${dir}/tokens_datadoghq_com.json`))
          .__default__;
        assert.notEqual(second.access_token, first.access_token);
        assert.ok(!refresh.stdout.includes(second.access_token));
        assert.ok(!refresh.stderr.includes(second.access_token));

        const logout = await runPup(["auth", "logout"], env);
        assert.equal(logout.code, 0, logout.stderr);
        stats = mock.stats();
        assert.deepEqual(stats.revocations, [
          { token_type_hint: "refresh_token", ok: true },
          { token_type_hint: "access_token", ok: true },
        ]);
        assert.match(logout.stderr, /refresh token revoked, access token revoked/);
        assert.deepEqual(await filesIn(dir), ["sessions.json"]);
        assert.deepEqual(JSON.parse(await Deno.readTextFile(`${dir}/sessions.json`)), []);

        const after = await runPup(["auth", "status"], env);
        assert.equal(after.code, 3);
      });
    });
  },
});

/** A $BROWSER that attacks the callback server first, records the answers, then logs in. */
const HOSTILE_BROWSER = `
const authorize = new URL(Deno.args[Deno.args.length - 1]);
const redirect = new URL(authorize.searchParams.get("redirect_uri"));
const port = Number(redirect.port);
const state = authorize.searchParams.get("state");
const xss = encodeURIComponent("<script>alert(1)</script>");
async function raw(name, head) {
  let text = "";
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const bytes = new TextEncoder().encode(head + "\\r\\nConnection: close\\r\\n\\r\\n");
    try {
      for (let off = 0; off < bytes.length;) off += await conn.write(bytes.subarray(off));
    } catch { /* the server may stop reading a huge request */ }
    const buf = new Uint8Array(65536);
    try {
      for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) {
        text += new TextDecoder().decode(buf.subarray(0, n));
      }
    } catch { /* reset after an error answer */ }
    conn.close();
  } catch (e) { text = "connect failed: " + e.message; }
  const status = Number(/^HTTP\\/1\\.1 (\\d{3})/.exec(text)?.[1] ?? 0);
  return { name, status, reflected: text.includes("<script>alert(1)") };
}
const host = "Host: 127.0.0.1:" + port;
const results = [
  await raw("wrong state", "GET /oauth/callback?code=forged&state=wrong HTTP/1.1\\r\\n" + host),
  await raw("no state", "GET /oauth/callback?code=forged HTTP/1.1\\r\\n" + host),
  await raw("error with wrong state", "GET /oauth/callback?error=access_denied&state=wrong HTTP/1.1\\r\\n" + host),
  await raw("wrong Host", "GET /oauth/callback?code=forged&state=" + state + " HTTP/1.1\\r\\nHost: evil.example.com"),
  await raw("POST", "POST /oauth/callback?code=forged&state=" + state + " HTTP/1.1\\r\\n" + host + "\\r\\nContent-Length: 0"),
  await raw("favicon", "GET /favicon.ico HTTP/1.1\\r\\n" + host),
  await raw("1 MB query", "GET /oauth/callback?state=" + state + "&code=" + "A".repeat(1 << 20) + " HTTP/1.1\\r\\n" + host),
  await raw("script in error_description", "GET /oauth/callback?error=" + xss + "&error_description=" + xss + "&state=wrong HTTP/1.1\\r\\n" + host),
  await raw("script without state", "GET /oauth/callback?error=" + xss + "&error_description=" + xss + " HTTP/1.1\\r\\n" + host),
];
await Deno.writeTextFile(Deno.env.get("HOSTILE_REPORT"), JSON.stringify(results));
const out = await new Deno.Command(Deno.env.get("HEADLESS_BROWSER"), { args: [authorize.href] }).output();
Deno.exit(out.code);
`;

Deno.test({
  name:
    "hostile requests to the callback port are refused without reflecting markup, and the real login still completes",
  ignore: CHROMIUM_MISSING_AND_OPTIONAL,
  async fn() {
    await assertChromium();
    await withMock({ autoApprove: false, autoSubmit: true }, async (mock) => {
      await withConfigDir(async (dir) => {
        const script = `${dir}/hostile_browser.js`;
        await Deno.writeTextFile(script, HOSTILE_BROWSER);
        const report = `${dir}/hostile_report.json`;
        const login = await runPup(
          ["auth", "login"],
          pupEnv(mock, dir, {
            BROWSER: `${DENO} run --quiet -A ${script}`,
            HOSTILE_REPORT: report,
            HEADLESS_BROWSER,
          }),
        );
        assert.equal(login.code, 0, login.stderr);
        assert.equal(mock.stats().tokenRequests.authorization_code, 1);
        assert.equal(mock.stats().pkceVerified, 1);
        const results: { name: string; status: number; reflected: boolean }[] = JSON.parse(
          await Deno.readTextFile(report),
        );
        const status = Object.fromEntries(results.map((r) => [r.name, r.status]));
        assert.deepEqual(status, {
          "wrong state": 400,
          "no state": 400,
          "error with wrong state": 400,
          "wrong Host": 400,
          "POST": 405,
          "favicon": 404,
          "1 MB query": status["1 MB query"],
          "script in error_description": 400,
          "script without state": 400,
        });
        // Hyper refuses a 1 MB request line itself (400/414/431), or resets the connection.
        assert.ok(
          [0, 400, 414, 431].includes(status["1 MB query"]),
          `1 MB: ${status["1 MB query"]}`,
        );
        for (const r of results) assert.equal(r.reflected, false, `${r.name} reflected markup`);
      });
    });
  },
});

Deno.test("Ctrl-C while login waits exits 130 and writes no session, only the client it registered for the next login", async () => {
  await withMock({ autoApprove: true }, async (mock) => {
    await withConfigDir(async (dir) => {
      const pup = new PupProcess(["auth", "login", "--no-browser"], pupEnv(mock, dir));
      await pup.waitForStderr(/⏳ Waiting for authorization/);
      pup.kill("SIGINT");
      // stdin stays open: its end would race the signal (and is a test of its own).
      const run = await pup.finish(90_000, { keepStdin: true });
      assert.equal(run.code, 130, run.stderr);
      assert.match(run.stderr, /Error: Login interrupted \(Ctrl-C\); nothing was saved/);
      assert.deepEqual(await filesIn(dir), ["client_datadoghq_com.json"]);
      assert.equal(mock.stats().tokenRequests.authorization_code, 0);
    });
  });
});

Deno.test("with the browser launcher missing, the paste instructions appear and a pasted URL completes the login on the next free port", async () => {
  await withMock({ autoApprove: true }, async (mock) => {
    await withConfigDir(async (dir) => {
      // A Rust pup client lists only port 8000: on 8080 it would be refused, so it is replaced.
      await Deno.copyFile(
        new URL("../fixtures/rust/client_datadoghq_com.json", import.meta.url),
        `${dir}/client_datadoghq_com.json`,
      );
      await holdingPorts([8000], async () => {
        const pup = new PupProcess(
          ["auth", "login"],
          pupEnv(mock, dir, { BROWSER: "/nonexistent" }),
        );
        const [, url] = await pup.waitForStderr(/if it does not open, visit:\n(\S+)\n/);
        await pup.waitForStderr(/⏳ Waiting for authorization/);
        assert.match(
          pup.stderr,
          /⚠️ Could not open browser automatically \(\/nonexistent was not found\)\nPlease open this URL manually:\n/,
        );
        assert.match(pup.stderr, /No browser could be opened here\. To complete login:/);
        assert.match(
          pup.stderr,
          /Callback server started on: http:\/\/127\.0\.0\.1:8080\/oauth\/callback/,
        );
        const res = await fetch(url, { redirect: "manual" });
        await res.body?.cancel();
        const location = res.headers.get("location");
        assert.ok(
          location?.startsWith("http://127.0.0.1:8080/oauth/callback?code="),
          location ?? "",
        );
        await pup.writeLine(location!);
        const run = await pup.finish();
        assert.equal(run.code, 0, run.stderr);
        assert.equal(mock.stats().pkceVerified, 1);
        assert.equal(mock.stats().registrations, 1);
        assert.match(
          run.stderr,
          /📝 Re-registering OAuth2 client \(http:\/\/127\.0\.0\.1:8080\/oauth\/callback is not registered\)/,
        );
        rustTokenFile(await Deno.readTextFile(`${dir}/tokens_datadoghq_com.json`));
      });
    });
  });
});

Deno.test("a busy pinned port, or all four ports busy, fail fast naming the ports and send nothing", async (t) => {
  await withMock({ autoApprove: true }, async (mock) => {
    const cases: [string, number[], string[], Record<string, string>, RegExp][] = [
      [
        "--callback-port busy",
        [8000],
        ["--callback-port", "8000"],
        {},
        /^Error: Could not bind requested callback port 8000: .*Pick an unused port or omit --callback-port to scan \[8000, 8080, 8888, 9000\]\.\n/,
      ],
      [
        "PUP_OAUTH_CALLBACK_PORT busy",
        [8888],
        [],
        { PUP_OAUTH_CALLBACK_PORT: "8888" },
        /Could not bind requested callback port 8888: .*unset PUP_OAUTH_CALLBACK_PORT/,
      ],
      [
        "all four busy",
        PORTS,
        [],
        {},
        /^Error: Could not bind to any DCR redirect port \(\[8000, 8080, 8888, 9000\]\)/,
      ],
    ];
    for (const [name, held, args, extra, message] of cases) {
      await t.step(name, async () => {
        await withConfigDir(async (dir) => {
          await holdingPorts(held, async () => {
            const run = await runPup(["auth", "login", ...args], pupEnv(mock, dir, extra));
            assert.equal(run.code, 1, run.stderr);
            assert.match(stripMockNotice(run.stderr), message);
            assert.deepEqual(await filesIn(dir), []);
          });
        });
      });
    }
    assert.equal(mock.stats().registrations, 0);
  });
});

Deno.test("login --no-browser with stdin at its end stops at once with what to do, not after 5 minutes", async () => {
  await withMock({ autoApprove: true }, async (mock) => {
    await withConfigDir(async (dir) => {
      // runPup gives up after 90 s: a login that waited its 5 minutes would fail here.
      const run = await runPup(["auth", "login", "--no-browser"], pupEnv(mock, dir, {}), {
        stdin: "",
      });
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, /Standard input ended before a callback URL was pasted/);
      assert.equal(mock.stats().pkceVerified, 0);
    });
  });
});
