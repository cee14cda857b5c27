import assert from "node:assert/strict";
import { resolvePinnedPort } from "../../lib/auth/login_flow.ts";
import { CallbackPortError } from "../../lib/auth/callback_server.ts";
import { OAuthError, StateMismatchError, UsageError } from "../../lib/errors.ts";
import { makeDeps, withTempDir } from "../_fakes/fake_deps.ts";
import { rustClient, rustSessions, rustTokenFile } from "../_fakes/rust_reader.ts";
import {
  ACCESS,
  approve,
  CallbackBrowser,
  harness,
  issued,
  pasteAfterOpen,
  REFRESH,
  REGISTER,
  registered,
  s256,
  storedFiles,
  StrictFetch,
  TOKEN,
} from "../_fakes/_login_harness.ts";

Deno.test("runLoginFlow() registers a client on first login, exchanges the code with PKCE and stores a Rust-readable session", async () => {
  await withTempDir(async (dir) => {
    const f = new StrictFetch().on("POST", REGISTER, registered).on("POST", TOKEN, issued());
    const browser = new CallbackBrowser([approve()]);
    const h = harness(dir, { fetch: f, browser });
    const result = await h.run();

    const dcr = JSON.parse(await f.body(0));
    assert.deepEqual(dcr, {
      client_name: "datadog-pup-cli",
      redirect_uris: [8000, 8080, 8888, 9000].map((p) => `http://127.0.0.1:${p}/oauth/callback`),
      grant_types: ["authorization_code", "refresh_token"],
    });
    const a = browser.authorize;
    assert.equal(`${a.origin}${a.pathname}`, "https://app.datadoghq.com/oauth2/v1/authorize");
    assert.equal(a.searchParams.get("scope"), "dashboards_read monitors_read");
    assert.equal(a.searchParams.get("client_id"), "client-1");
    const form = await f.form(1);
    assert.equal(form.get("grant_type"), "authorization_code");
    assert.equal(form.get("code"), "the-code");
    assert.equal(form.get("redirect_uri"), a.searchParams.get("redirect_uri"));
    assert.equal(await s256(form.get("code_verifier")!), a.searchParams.get("code_challenge"));
    assert.equal(form.get("code_verifier")!.length, 128);
    f.assertAllUsed();

    assert.deepEqual(result, {
      site: "datadoghq.com",
      org: null,
      org_uuid: null,
      org_name: null,
      scopes: ["dashboards_read", "monitors_read"],
      expires_at: result.expires_at,
      storage: "file",
    });
    const tokensText = await Deno.readTextFile(`${dir}/tokens_datadoghq_com.json`);
    rustTokenFile(tokensText);
    assert.equal(JSON.parse(tokensText).__default__.access_token, ACCESS);
    rustClient(JSON.parse(await Deno.readTextFile(`${dir}/client_datadoghq_com.json`)));
    const sessions = await Deno.readTextFile(`${dir}/sessions.json`);
    rustSessions(sessions);
    assert.deepEqual(JSON.parse(sessions), [{ site: "datadoghq.com", org: null }]);

    const err = h.deps.err.text;
    for (
      const line of [
        "\n🔐 Starting OAuth2 login for site: datadoghq.com (auth host: app.datadoghq.com)\n",
        "📡 Callback server started on: http://127.0.0.1:",
        "🔑 Requesting 2 scope(s): dashboards_read, monitors_read\n",
        "📝 Registering new OAuth2 client...\n",
        "✓ Registered client: client-1\n",
        "🌐 Opening your browser to log in; if it does not open, visit:\nhttps://app.datadoghq.com/oauth2/v1/authorize?",
        "🔄 Exchanging authorization code for tokens...\n",
        "\n✅ Login successful!\n   Org: not reported by the server (check it with 'pup auth status')\n   Access token expires: ",
        `   Token stored in: ${dir}\n`,
      ]
    ) assert.ok(err.includes(line), `stderr lacks ${JSON.stringify(line)}`);
    assert.ok(!err.includes(ACCESS) && !err.includes(REFRESH));
    assert.ok(!err.includes("left to authorize"), "no countdown when stderr is not a terminal");
    assert.equal(h.deps.out.text, "");
  });
});

Deno.test("runLoginFlow() reuses the stored client on the next login", async () => {
  await withTempDir(async (dir) => {
    const first = new StrictFetch().on("POST", REGISTER, registered).on("POST", TOKEN, issued());
    await harness(dir, { fetch: first, browser: new CallbackBrowser([approve()]) }).run();
    const again = new StrictFetch().on("POST", TOKEN, issued());
    const h = harness(dir, { fetch: again, browser: new CallbackBrowser([approve()]) });
    await h.run();
    again.assertAllUsed();
    assert.match(h.deps.err.text, /✓ Using existing client registration\n/);
    assert.doesNotMatch(h.deps.err.text, /Registering/);
  });
});

Deno.test("runLoginFlow() re-registers when the stored client_name differs, replacing the client", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(
      `${dir}/client_datadoghq_com.json`,
      JSON.stringify({
        client_id: "old-client",
        client_name: "datadog-api-claude-plugin",
        redirect_uris: ["http://127.0.0.1:8000/oauth/callback"],
        registered_at: 1,
        site: "datadoghq.com",
      }),
    );
    const f = new StrictFetch().on("POST", REGISTER, registered).on("POST", TOKEN, issued());
    const h = harness(dir, { fetch: f, browser: new CallbackBrowser([approve()]) });
    await h.run();
    f.assertAllUsed();
    assert.match(h.deps.err.text, /📝 Re-registering OAuth2 client \(name changed\)\.\.\.\n/);
    const client = JSON.parse(await Deno.readTextFile(`${dir}/client_datadoghq_com.json`));
    assert.equal(client.client_id, "client-1");
  });
});

Deno.test("resolvePinnedPort() takes --callback-port over PUP_OAUTH_CALLBACK_PORT and treats an empty env as unset", () => {
  const env = { PUP_OAUTH_CALLBACK_PORT: "8080" };
  assert.deepEqual(resolvePinnedPort("9000", env), { port: 9000, source: "--callback-port" });
  assert.deepEqual(resolvePinnedPort(undefined, env), {
    port: 8080,
    source: "PUP_OAUTH_CALLBACK_PORT",
  });
  assert.equal(resolvePinnedPort(undefined, { PUP_OAUTH_CALLBACK_PORT: "" }), undefined);
  assert.equal(resolvePinnedPort(undefined, {}), undefined);
});

Deno.test("resolvePinnedPort() refuses a port outside the DCR allowlist or not a number, with the ref §7.1 messages", () => {
  assert.throws(() => resolvePinnedPort("1234", {}), (e: unknown) => {
    assert.ok(e instanceof UsageError);
    assert.equal(
      e.message,
      "--callback-port value 1234 is not in the DCR redirect allowlist [8000, 8080, 8888, 9000]; the OAuth server will reject any other port",
    );
    return true;
  });
  assert.throws(
    () => resolvePinnedPort(undefined, { PUP_OAUTH_CALLBACK_PORT: "eighty" }),
    (e: unknown) => {
      assert.ok(e instanceof UsageError);
      assert.match(e.message, /^Invalid PUP_OAUTH_CALLBACK_PORT="eighty": invalid digit/);
      assert.match(e.message, /expected one of \[8000, 8080, 8888, 9000\]/);
      return true;
    },
  );
  assert.throws(() => resolvePinnedPort("0", {}), UsageError);
});

Deno.test("runLoginFlow() fails fast on a busy pinned port, before any request", async () => {
  await withTempDir(async (dir) => {
    const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    try {
      const f = new StrictFetch();
      const h = harness(dir, { fetch: f });
      await assert.rejects(
        h.run({ pinnedPort: { port: busy.addr.port, source: "--callback-port" } }),
        (e: unknown) => {
          assert.ok(e instanceof CallbackPortError);
          assert.match(e.message, new RegExp(`requested callback port ${busy.addr.port}`));
          assert.match(e.message, /omit --callback-port to scan \[8000, 8080, 8888, 9000\]/);
          return true;
        },
      );
      assert.equal(f.calls.length, 0);
      assert.deepEqual(await storedFiles(dir), []);
    } finally {
      busy.close();
    }
  });
});

Deno.test("runLoginFlow() prints the paste instructions when no browser opens, and a pasted URL completes the login", async () => {
  await withTempDir(async (dir) => {
    const f = new StrictFetch().on("POST", REGISTER, registered).on("POST", TOKEN, issued());
    const browser = new CallbackBrowser([], { opened: false, reason: "xdg-open was not found" });
    const stdin = pasteAfterOpen(
      browser,
      (a) =>
        `${a.searchParams.get("redirect_uri")}?code=the-code&state=${a.searchParams.get("state")}`,
    );
    const h = harness(dir, { fetch: f, browser, stdin });
    const result = await h.run();
    const err = h.deps.err.text;
    assert.match(
      err,
      /⚠️ Could not open browser automatically \(xdg-open was not found\)\nPlease open this URL manually:\nhttps:\/\/app\.datadoghq\.com\/oauth2\/v1\/authorize\?\S+\n/,
    );
    assert.match(err, /No browser could be opened here\. To complete login:/);
    assert.match(
      err,
      /⏳ Waiting for authorization\.\.\.\nPaste the callback URL here \(\d:\d\d left, Ctrl-C to cancel\):\n> /,
    );
    assert.equal(result.site, "datadoghq.com");
    assert.equal((await f.form(1)).get("code"), "the-code");
    f.assertAllUsed();
  });
});

Deno.test("runLoginFlow() with --no-browser never opens one, and a pasted URL of another login ends with 'state parameter mismatch (CSRF protection)', storing no session", async () => {
  await withTempDir(async (dir) => {
    const f = new StrictFetch().on("POST", REGISTER, registered);
    const base = makeDeps({
      configDir: dir,
      stdinLines: ["http://127.0.0.1:8000/oauth/callback?code=stolen&state=someone-elses-state"],
    });
    // makeDeps' browser fails the test if --no-browser opens one anyway.
    const h = harness(dir, { fetch: f, stdin: base.io.stdin });
    await assert.rejects(h.run({ noBrowser: true }), (e: unknown) => {
      assert.ok(e instanceof StateMismatchError);
      assert.equal(e.message, "state parameter mismatch (CSRF protection)");
      return true;
    });
    const err = h.deps.err.text;
    assert.match(err, /You asked not to open a browser here \(--no-browser\)/);
    assert.doesNotMatch(err, /No local browser detected|Opening your browser/);
    // The URL stands alone on its own line, the last thing before the wait.
    assert.match(err, /\nhttps:\/\/app\.datadoghq\.com\/oauth2\/v1\/authorize\?\S+\n\n⏳ Waiting/);
    f.assertAllUsed();
    assert.deepEqual(await storedFiles(dir), ["client_datadoghq_com.json"]);
  });
});

Deno.test("runLoginFlow() refuses a callback with a wrong or missing state and keeps waiting for the real one", async () => {
  await withTempDir(async (dir) => {
    const f = new StrictFetch().on("POST", REGISTER, registered).on("POST", TOKEN, issued());
    const browser = new CallbackBrowser([
      () => ({ code: "forged", state: "wrong" }),
      () => ({ error: "access_denied" }),
      approve(),
    ]);
    const h = harness(dir, { fetch: f, browser });
    await h.run();
    assert.deepEqual(browser.statuses, [400, 400, 200]);
    assert.equal((await f.form(1)).get("code"), "the-code");
  });
});

Deno.test("runLoginFlow() ends with the server's error and description when the callback carries error, storing no session", async () => {
  await withTempDir(async (dir) => {
    const f = new StrictFetch().on("POST", REGISTER, registered);
    const browser = new CallbackBrowser([(state) => ({
      state,
      error: "access_denied",
      error_description: "The user said no",
    })]);
    const h = harness(dir, { fetch: f, browser });
    await assert.rejects(h.run(), (e: unknown) => {
      assert.ok(e instanceof OAuthError);
      assert.equal(e.error, "access_denied");
      assert.equal(e.description, "The user said no");
      assert.match(e.message, /^OAuth error: access_denied: The user said no\. /);
      return true;
    });
    f.assertAllUsed();
    assert.deepEqual(await storedFiles(dir), ["client_datadoghq_com.json"]);
  });
});

Deno.test("runLoginFlow() surfaces an invalid_scope description verbatim with what to change", async () => {
  await withTempDir(async (dir) => {
    const f = new StrictFetch().on("POST", REGISTER, registered);
    const description = "Unknown scope(s): apm_service_renaming_write";
    const browser = new CallbackBrowser([(state) => ({
      state,
      error: "invalid_scope",
      error_description: description,
    })]);
    await assert.rejects(harness(dir, { fetch: f, browser }).run(), (e: unknown) => {
      assert.ok(e instanceof OAuthError);
      assert.ok(e.message.includes(`invalid_scope: ${description}.`));
      assert.match(e.message, /--scopes, --extra-scopes/);
      return true;
    });
  });
});

/** Bad answers, each given the endpoint's success status (201 for DCR, 200 for tokens). */
