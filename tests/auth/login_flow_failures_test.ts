import assert from "node:assert/strict";
import { rustSessions } from "../_fakes/rust_reader.ts";
import { LoginTimeoutError } from "../../lib/auth/login_wait.ts";
import { exitCodeFor } from "../../lib/cli/exit_codes.ts";
import type { Browser } from "../../lib/deps.ts";
import { InterruptedError, OAuthError } from "../../lib/errors.ts";
import { makeDeps, withTempDir } from "../_fakes/fake_deps.ts";
import {
  approve,
  assertPortClosed,
  CallbackBrowser,
  harness,
  issued,
  json,
  REGISTER,
  registered,
  storedFiles,
  StrictFetch,
  TOKEN,
  until,
} from "../_fakes/_login_harness.ts";

const BAD_ANSWERS: [string, (ok: number) => Response, RegExp][] = [
  ["HTTP 500", () => json(500, { error: "server_error" }), /HTTP 500/],
  [
    "HTTP 400",
    () => json(400, { error: "invalid_request", error_description: "nope" }),
    /HTTP 400\): invalid_request: nope/,
  ],
  [
    "an HTML page",
    (ok) =>
      new Response("<html>proxy</html>", { status: ok, headers: { "content-type": "text/html" } }),
    /not JSON|not a valid/,
  ],
  [
    "truncated JSON",
    (ok) =>
      new Response('{"client_id":"x","acc', {
        status: ok,
        headers: { "content-type": "application/json" },
      }),
    /malformed or cut off|not a valid/,
  ],
];

Deno.test("runLoginFlow() reports a failing registration endpoint clearly and stores nothing", async (t) => {
  for (const [name, answer, message] of BAD_ANSWERS) {
    await t.step(name, async () => {
      await withTempDir(async (dir) => {
        const f = new StrictFetch().on("POST", REGISTER, () => answer(201));
        const browser = new CallbackBrowser([]);
        await assert.rejects(harness(dir, { fetch: f, browser }).run(), (e: unknown) => {
          assert.ok(e instanceof OAuthError);
          assert.match(e.message, /^DCR registration failed/);
          assert.match(e.message, message);
          assert.ok(!e.message.includes("<html>"));
          return true;
        });
        assert.equal(browser.urls.length, 0);
        assert.deepEqual(await storedFiles(dir), []);
      });
    });
  }
});

Deno.test("runLoginFlow() reports a failing token endpoint clearly and stores no session, only the client it registered", async (t) => {
  for (const [name, answer, message] of BAD_ANSWERS) {
    await t.step(name, async () => {
      await withTempDir(async (dir) => {
        const f = new StrictFetch().on("POST", REGISTER, registered).on(
          "POST",
          TOKEN,
          () => answer(200),
        );
        const h = harness(dir, { fetch: f, browser: new CallbackBrowser([approve()]) });
        await assert.rejects(h.run(), (e: unknown) => {
          assert.ok(e instanceof OAuthError);
          assert.match(e.message, /^Token exchange failed/);
          assert.match(e.message, message);
          assert.ok(!e.message.includes("the-code"));
          return true;
        });
        f.assertAllUsed();
        assert.deepEqual(await storedFiles(dir), ["client_datadoghq_com.json"]);
      });
    });
  }
});

Deno.test("runLoginFlow() ends with 'timeout waiting for OAuth callback' when the wait times out, closing the server and storing no session", async () => {
  await withTempDir(async (dir) => {
    const f = new StrictFetch().on("POST", REGISTER, registered);
    const browser = new CallbackBrowser([]);
    // makeDeps' clock sleeps instantly: the 5 minutes are over at once.
    const h = harness(dir, { fetch: f, browser, clock: makeDeps({ configDir: dir }).clock });
    await assert.rejects(h.run(), (e: unknown) => {
      assert.ok(e instanceof LoginTimeoutError);
      assert.match(e.message, /^timeout waiting for OAuth callback/);
      assert.equal(exitCodeFor(e), 1);
      return true;
    });
    assert.equal(browser.urls.length, 0, "a finished wait must not open the browser");
    await assertPortClosed(h.deps.err.text.match(/Callback server started on: (\S+)/)![1]);
    assert.deepEqual(await storedFiles(dir), ["client_datadoghq_com.json"]);
  });
});

Deno.test("runLoginFlow() stops on Ctrl-C with InterruptedError (exit 130), closes the server and writes no session", async () => {
  await withTempDir(async (dir) => {
    const f = new StrictFetch().on("POST", REGISTER, registered);
    const ctrlC = new AbortController();
    const browser = new CallbackBrowser([]);
    const h = harness(dir, { fetch: f, browser, interrupt: ctrlC.signal });
    const done = h.run();
    await until("the waiting line", () => h.deps.err.text.includes("⏳ Waiting for authorization"));
    ctrlC.abort(new InterruptedError());
    await assert.rejects(done, (e: unknown) => {
      assert.ok(e instanceof InterruptedError);
      assert.equal(exitCodeFor(e), 130);
      return true;
    });
    await assertPortClosed(browser.authorize.searchParams.get("redirect_uri")!);
    assert.deepEqual(await storedFiles(dir), ["client_datadoghq_com.json"]);
  });
});

Deno.test("runLoginFlow() shows a countdown only on a terminal, and clears it at the end", async () => {
  await withTempDir(async (dir) => {
    const f = new StrictFetch().on("POST", REGISTER, registered).on("POST", TOKEN, issued());
    let deliver!: () => void;
    const gate = new Promise<void>((r) => (deliver = r));
    const browser = new CallbackBrowser([approve()]);
    const slowBrowser: Browser = {
      open: (url) => {
        void gate.then(() => browser.open(url));
        return Promise.resolve({ opened: true, via: "fake" });
      },
    };
    const h = harness(dir, { fetch: f, browser: slowBrowser, isTerminal: true });
    const done = h.run();
    await until("the countdown", () => h.deps.err.text.includes("\r   5:00 left to authorize"));
    deliver();
    await done;
    assert.match(h.deps.err.text, /\r {20,}\r🔄 Exchanging/);
  });
});

Deno.test("runLoginFlow() stores a region-switched login under the callback's domain, client included", async () => {
  await withTempDir(async (dir) => {
    const f = new StrictFetch()
      .on("POST", REGISTER, registered)
      .on("POST", "https://api.us3.datadoghq.com/oauth2/v1/token", issued());
    const browser = new CallbackBrowser([approve({ domain: "us3.datadoghq.com" })]);
    const h = harness(dir, { fetch: f, browser });
    const result = await h.run();
    f.assertAllUsed();
    assert.equal(result.site, "us3.datadoghq.com");
    assert.deepEqual(await storedFiles(dir), [
      "client_datadoghq_com.json",
      "client_us3_datadoghq_com.json",
      "sessions.json",
      "tokens_us3_datadoghq_com.json",
    ]);
    const copied = JSON.parse(await Deno.readTextFile(`${dir}/client_us3_datadoghq_com.json`));
    assert.equal(copied.client_id, "client-1");
    assert.deepEqual(JSON.parse(await Deno.readTextFile(`${dir}/sessions.json`)), [
      { site: "us3.datadoghq.com", org: null },
    ]);
    assert.match(h.deps.err.text, /switched to us3\.datadoghq\.com/);
  });
});

Deno.test("runLoginFlow() saves under a new label when the server returns another org than the hinted UUID", async () => {
  await withTempDir(async (dir) => {
    const asked = "aaaaaaaa-1111-2222-3333-444444444444";
    const got = "bbbbbbbb-1111-2222-3333-444444444444";
    const rows = [{ site: "datadoghq.com", org: "prod", org_uuid: asked }];
    await Deno.writeTextFile(`${dir}/sessions.json`, JSON.stringify(rows));
    const f = new StrictFetch().on("POST", REGISTER, registered).on("POST", TOKEN, issued());
    const browser = new CallbackBrowser([approve({ dd_oid: got, dd_org_name: "Other Org" })]);
    const h = harness(dir, { fetch: f, browser, rows });
    const result = await h.run({ org: "prod" });
    assert.equal(browser.authorize.searchParams.get("dd_oid"), asked);
    assert.match(h.deps.err.text, new RegExp(`🎯 Hinting org UUID \\(dd_oid\\): ${asked}\n`));
    assert.ok(
      h.deps.err.text.includes(
        `⚠️  Requested org UUID ${asked} but OAuth returned ${got} (Other Org). Saving token under "Other Org [bbbbbbbb]" instead of the requested label.\n   Your existing 'prod' session is unchanged. Run \`pup auth logout --org prod\` to clear it if it's stale.\n`,
      ),
    );
    assert.equal(result.org, "Other Org [bbbbbbbb]");
    assert.equal(result.org_uuid, got);
    const tokens = JSON.parse(await Deno.readTextFile(`${dir}/tokens_datadoghq_com.json`));
    assert.deepEqual(Object.keys(tokens), ["Other Org [bbbbbbbb]"]);
    assert.deepEqual(JSON.parse(await Deno.readTextFile(`${dir}/sessions.json`)), [
      ...rows,
      // org_name: the org the server reported, so a login into another org is visible.
      { site: "datadoghq.com", org: "Other Org [bbbbbbbb]", org_uuid: got, org_name: "Other Org" },
    ]);
    rustSessions(await Deno.readTextFile(`${dir}/sessions.json`));
  });
});
