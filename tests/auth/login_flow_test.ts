import assert from "node:assert/strict";
import { resolvePinnedPort, runLoginFlow } from "../../lib/auth/login_flow.ts";
import type { LoginFlowOptions } from "../../lib/auth/login_flow.ts";
import { CallbackPortError } from "../../lib/auth/callback_server.ts";
import { LoginTimeoutError } from "../../lib/auth/login_wait.ts";
import { exitCodeFor } from "../../lib/cli/exit_codes.ts";
import { endpointsFor } from "../../lib/config/endpoints.ts";
import type { Browser, BrowserOpenResult, Clock, Deps, LineReader } from "../../lib/deps.ts";
import { InterruptedError, OAuthError, StateMismatchError, UsageError } from "../../lib/errors.ts";
import { FileStore } from "../../lib/storage/file_store.ts";
import { type SessionRow, SessionsRegistry } from "../../lib/storage/sessions.ts";
import { makeDeps, withTempDir } from "../_fakes/fake_deps.ts";
import { FakeFetch, jsonResponse } from "../_fakes/fake_fetch.ts";
import { rustClient, rustSessions, rustTokenFile } from "../_fakes/rust_reader.ts";

// ---- fakes -------------------------------------------------------------------------------

type Handler = (req: Request) => Response | Promise<Response>;

/** The shared strict fetch fake, with the requests' form bodies at hand. */
class StrictFetch extends FakeFetch {
  on(method: string, url: string, ...handlers: Handler[]): this {
    for (const respond of handlers) this.expect({ method, url, respond });
    return this;
  }
  get calls(): Request[] {
    return this.requests;
  }
  async body(i: number): Promise<string> {
    return await this.requests[i].clone().text();
  }
  async form(i: number): Promise<URLSearchParams> {
    return new URLSearchParams(await this.body(i));
  }
  assertAllUsed(): void {
    this.verify();
  }
}

const json = jsonResponse;

const API = "https://api.datadoghq.com";
const REGISTER = `${API}/api/v2/oauth2/register`;
const TOKEN = `${API}/oauth2/v1/token`;
const ACCESS = "at-secret-0123456789";
const REFRESH = "rt-secret-0123456789";

const registered: Handler = () =>
  json(201, {
    client_id: "client-1",
    client_name: "datadog-pup-cli",
    redirect_uris: [8000, 8080, 8888, 9000].map((p) => `http://127.0.0.1:${p}/oauth/callback`),
    token_endpoint_auth_method: "none",
  });
const issued = (extra: Record<string, unknown> = {}): Handler => () =>
  json(200, {
    access_token: ACCESS,
    refresh_token: REFRESH,
    token_type: "Bearer",
    expires_in: 3600,
    scope: "dashboards_read monitors_read",
    ...extra,
  });

/** A browser that delivers callbacks to the loopback server, and fails if opened twice. */
class CallbackBrowser implements Browser {
  urls: string[] = [];
  statuses: number[] = [];
  constructor(
    readonly queries: ((state: string) => Record<string, string>)[],
    readonly result: BrowserOpenResult = { opened: true, via: "fake" },
  ) {}
  async open(url: string): Promise<BrowserOpenResult> {
    this.urls.push(url);
    assert.equal(this.urls.length, 1, "the browser was opened more than once");
    const u = new URL(url);
    const redirect = u.searchParams.get("redirect_uri")!;
    for (const q of this.queries) {
      const target = new URL(redirect);
      for (const [k, v] of Object.entries(q(u.searchParams.get("state")!))) {
        target.searchParams.set(k, v);
      }
      const res = await fetch(target);
      await res.body?.cancel();
      this.statuses.push(res.status);
    }
    return this.result;
  }
  get authorize(): URL {
    assert.equal(this.urls.length, 1, "the browser was never opened");
    return new URL(this.urls[0]);
  }
}

const approve = (extra: Record<string, string> = {}) => (state: string) => ({
  code: "the-code",
  state,
  ...extra,
});

/** A clock whose sleeps end only when aborted: no timeout fires on its own, no timer is left. */
const neverClock: Clock = {
  now: () => Date.UTC(2026, 1, 4, 12, 0, 0),
  sleep: (_ms, signal) =>
    new Promise((_, reject) => signal?.addEventListener("abort", () => reject(signal.reason))),
};

/** Stdin that answers its first read, once the browser was opened, with `line(authorize URL)`. */
function pasteAfterOpen(browser: CallbackBrowser, line: (authorize: URL) => string): LineReader {
  let answered = false;
  return {
    async readLine() {
      if (answered) return await new Promise<never>(() => {});
      answered = true;
      await until("the browser", () => browser.urls.length > 0);
      return line(browser.authorize);
    },
  };
}

async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(check(), `timed out waiting for ${what}`);
}

interface Harness {
  deps: Deps & { out: { text: string }; err: { text: string } };
  store: FileStore;
  registry: SessionsRegistry;
  run(o?: Partial<LoginFlowOptions>): ReturnType<typeof runLoginFlow>;
}

function harness(
  dir: string,
  h: {
    fetch: StrictFetch;
    browser?: Browser;
    stdin?: LineReader;
    interrupt?: AbortSignal;
    isTerminal?: boolean;
    rows?: SessionRow[];
    /** Default: a clock that never times out; makeDeps' instant clock times out at once. */
    clock?: Clock;
  },
): Harness {
  const base = makeDeps({
    configDir: dir,
    fetch: h.fetch.fetch,
    browser: h.browser,
    interrupt: h.interrupt,
    isTerminal: h.isTerminal,
  });
  const clock = h.clock ?? neverClock;
  const deps = { ...base, clock, io: { ...base.io, stdin: h.stdin ?? base.io.stdin } };
  const store = new FileStore(dir);
  const registry = new SessionsRegistry(dir);
  return {
    deps,
    store,
    registry,
    run: (o = {}) =>
      runLoginFlow(deps, {
        site: "datadoghq.com",
        org: null,
        endpoints: endpointsFor("datadoghq.com"),
        store,
        registry,
        rows: h.rows ?? [],
        scopes: ["monitors_read", "dashboards_read"],
        ports: [0],
        ...o,
      }),
  };
}

async function storedFiles(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) if (e.isFile) names.push(e.name);
  return names.sort();
}

async function assertPortClosed(url: string): Promise<void> {
  const port = Number(new URL(url).port);
  await assert.rejects(Deno.connect({ hostname: "127.0.0.1", port }));
}

async function s256(verifier: string): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return new Uint8Array(d).toBase64({ alphabet: "base64url", omitPadding: true });
}

// ---- tests -------------------------------------------------------------------------------

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
        "🌐 Opening browser for authentication...\nIf the browser doesn't open, visit: https://app.datadoghq.com/oauth2/v1/authorize?",
        "🔄 Exchanging authorization code for tokens...\n",
        "\n✅ Login successful!\n   Access token expires: ",
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
    assert.match(err, /⚠️ {2}Could not open a browser: xdg-open was not found\n/);
    assert.match(err, /No local browser detected \(remote\/SSH session\?\)\. To complete login:/);
    assert.match(err, /⏳ Waiting for authorization\.\.\.\n> /);
    assert.equal(result.site, "datadoghq.com");
    assert.equal((await f.form(1)).get("code"), "the-code");
    f.assertAllUsed();
  });
});

Deno.test("runLoginFlow() with --no-browser never opens one, and a pasted URL of another login ends with 'state parameter mismatch (CSRF protection)', storing nothing", async () => {
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
    assert.match(h.deps.err.text, /Not opening a browser \(--no-browser\)\. Visit this URL/);
    f.assertAllUsed();
    assert.deepEqual(await storedFiles(dir), []);
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

Deno.test("runLoginFlow() ends with the server's error and description when the callback carries error, storing nothing", async () => {
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
    assert.deepEqual(await storedFiles(dir), []);
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

Deno.test("runLoginFlow() reports a failing token endpoint clearly and stores nothing", async (t) => {
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
        assert.deepEqual(await storedFiles(dir), []);
      });
    });
  }
});

Deno.test("runLoginFlow() ends with 'timeout waiting for OAuth callback' when the wait times out, closing the server and storing nothing", async () => {
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
    assert.deepEqual(await storedFiles(dir), []);
  });
});

Deno.test("runLoginFlow() stops on Ctrl-C with InterruptedError (exit 130), closes the server and writes nothing", async () => {
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
    assert.deepEqual(await storedFiles(dir), []);
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
      { site: "datadoghq.com", org: "Other Org [bbbbbbbb]", org_uuid: got },
    ]);
  });
});
