import assert from "node:assert/strict";
import { callApi, REFRESHED_NOTICE, requestUrl, USER_AGENT } from "../../lib/api/client.ts";
import type { SessionTarget } from "../../lib/auth/session_tokens.ts";
import { endpointsFor } from "../../lib/config/endpoints.ts";
import { ApiError, AuthRequiredError, StorageCorruptError } from "../../lib/errors.ts";
import { FileStore } from "../../lib/storage/file_store.ts";
import type { SiteState, SiteStateStore } from "../../lib/storage/types.ts";
import { VERSION } from "../../lib/version.ts";
import {
  expired,
  publicClient,
  storedTokens,
  storeSession,
  tokenSet,
} from "../_fakes/_api_session.ts";
import { makeDeps, withTempDir } from "../_fakes/fake_deps.ts";
import { FakeFetch, formOf, jsonResponse } from "../_fakes/fake_fetch.ts";

const NOW = Date.UTC(2026, 1, 4, 12);
const API = "https://api.datadoghq.com";
const TOKEN_URL = `${API}/oauth2/v1/token`;
const TARGET: SessionTarget = {
  site: "datadoghq.com",
  org: null,
  endpoints: endpointsFor("datadoghq.com"),
};

interface Ctx {
  dir: string;
  fake: FakeFetch;
  deps: ReturnType<typeof makeDeps>;
  call: (
    req: Parameters<typeof callApi>[2],
    config?: Record<string, string>,
    store?: SiteStateStore,
  ) => ReturnType<typeof callApi>;
}

async function withCtx(env: Record<string, string>, fn: (c: Ctx) => Promise<void>): Promise<void> {
  await withTempDir(async (dir) => {
    const fake = new FakeFetch();
    const deps = makeDeps({ configDir: dir, env, nowMs: NOW, fetch: fake.fetch });
    const call: Ctx["call"] = (req, config = {}, store) =>
      callApi(deps, {
        target: TARGET,
        sources: { config, store: () => Promise.resolve(store ?? new FileStore(dir)) },
      }, req);
    await fn({ dir, fake, deps, call });
    fake.verify();
  });
}

const monitors = { method: "GET", path: "/api/v1/monitor" };

function headersOf(req: Request): Record<string, string | null> {
  return {
    authorization: req.headers.get("authorization"),
    "dd-api-key": req.headers.get("dd-api-key"),
    "dd-application-key": req.headers.get("dd-application-key"),
  };
}

const refreshAnswer = (over: Record<string, unknown> = {}) =>
  jsonResponse(200, {
    access_token: "access-2",
    refresh_token: "refresh-2",
    token_type: "bearer",
    expires_in: 3600,
    scope: "monitors_read",
    ...over,
  });

Deno.test("credential precedence: DD_ACCESS_TOKEN, then config access_token, then the session, then API keys", async (t) => {
  const keys = { DD_API_KEY: "key", DD_APP_KEY: "app" };
  await t.step("DD_ACCESS_TOKEN wins over everything", async () => {
    await withCtx({ ...keys, DD_ACCESS_TOKEN: "env-token" }, async ({ dir, fake, call }) => {
      await storeSession(dir, { tokens: tokenSet(NOW), client: publicClient() });
      fake.expect({
        method: "GET",
        url: `${API}/api/v1/monitor`,
        check: (req) => {
          assert.deepEqual(headersOf(req), {
            authorization: "Bearer env-token",
            "dd-api-key": null,
            "dd-application-key": null,
          });
          assert.equal(req.headers.get("user-agent"), `pup-deno/${VERSION}`);
          assert.equal(USER_AGENT, `pup-deno/${VERSION}`);
        },
        respond: jsonResponse(200, []),
      });
      assert.deepEqual(await call(monitors, { access_token: "config-token" }), {
        status: 200,
        data: [],
        credential: "token",
      });
    });
  });
  await t.step("config access_token wins over the session", async () => {
    await withCtx(keys, async ({ dir, fake, call }) => {
      await storeSession(dir, { tokens: tokenSet(NOW), client: publicClient() });
      fake.expect({
        method: "GET",
        url: `${API}/api/v1/monitor`,
        check: (req) => assert.equal(req.headers.get("authorization"), "Bearer config-token"),
        respond: jsonResponse(200, []),
      });
      await call(monitors, { access_token: "config-token" });
    });
  });
  await t.step("the session wins over API keys", async () => {
    await withCtx(keys, async ({ dir, fake, call }) => {
      await storeSession(dir, { tokens: tokenSet(NOW), client: publicClient() });
      fake.expect({
        method: "GET",
        url: `${API}/api/v1/monitor`,
        check: (req) =>
          assert.deepEqual(headersOf(req), {
            authorization: "Bearer access-1",
            "dd-api-key": null,
            "dd-application-key": null,
          }),
        respond: jsonResponse(200, []),
      });
      await call(monitors);
    });
  });
  await t.step("API keys, from env or config, when there is no session", async () => {
    await withCtx({ DD_API_KEY: "key" }, async ({ fake, call }) => {
      fake.expect({
        method: "GET",
        url: `${API}/api/v1/monitor`,
        check: (req) =>
          assert.deepEqual(headersOf(req), {
            authorization: null,
            "dd-api-key": "key",
            "dd-application-key": "config-app",
          }),
        respond: jsonResponse(200, []),
      });
      await call(monitors, { app_key: "config-app" });
    });
  });
});

Deno.test("no credentials at all is AuthRequiredError naming the three ways", async () => {
  await withCtx({}, async ({ call }) => {
    await assert.rejects(call(monitors), (e: Error) => {
      assert.ok(e instanceof AuthRequiredError);
      assert.equal(
        e.message,
        `Not authenticated for "datadoghq.com": run 'pup auth login --site datadoghq.com' for OAuth2, set DD_ACCESS_TOKEN for bearer auth, or set DD_API_KEY and DD_APP_KEY for API+APP key auth`,
      );
      return true;
    });
  });
  await withCtx({ DD_API_KEY: "key" }, async ({ call }) => {
    await assert.rejects(call(monitors), /DD_API_KEY is set but DD_APP_KEY is not/);
  });
});

Deno.test("OAuth-excluded endpoints use API keys even with a session, or fail as the reference says", async (t) => {
  await t.step("both keys are sent, never the bearer token", async () => {
    await withCtx({ DD_API_KEY: "key", DD_APP_KEY: "app" }, async ({ dir, fake, call }) => {
      await storeSession(dir, { tokens: tokenSet(NOW), client: publicClient() });
      fake.expect({
        method: "DELETE",
        url: `${API}/api/v2/api_keys/abc`,
        check: (req) =>
          assert.deepEqual(headersOf(req), {
            authorization: null,
            "dd-api-key": "key",
            "dd-application-key": "app",
          }),
        respond: new Response(null, { status: 204 }),
      });
      assert.deepEqual(await call({ method: "DELETE", path: "/api/v2/api_keys/abc" }), {
        status: 204,
        data: null,
        credential: "keys",
      });
    });
  });
  await t.step("POST /api/v1/events sends the API key alone", async () => {
    await withCtx(
      { DD_API_KEY: "key", DD_APP_KEY: "app", DD_ACCESS_TOKEN: "t" },
      async ({ fake, call }) => {
        fake.expect({
          method: "POST",
          url: `${API}/api/v1/events`,
          check: (req) =>
            assert.deepEqual(headersOf(req), {
              authorization: null,
              "dd-api-key": "key",
              "dd-application-key": null,
            }),
          respond: jsonResponse(202, { status: "ok" }),
        });
        await call({ method: "POST", path: "/api/v1/events", body: "{}" });
      },
    );
  });
  await t.step("without keys they fail before any request", async () => {
    await withCtx({ DD_ACCESS_TOKEN: "t" }, async ({ call }) => {
      await assert.rejects(
        call({ method: "GET", path: "/api/v2/api_keys" }),
        (e: Error) =>
          e instanceof AuthRequiredError &&
          e.message ===
            "GET /api/v2/api_keys requires DD_API_KEY and DD_APP_KEY; OAuth2 bearer tokens are not supported",
      );
      await assert.rejects(
        call({ method: "POST", path: "/api/v1/events", body: "{}" }),
        /^AuthRequiredError: POST \/api\/v1\/events requires DD_API_KEY; OAuth2 bearer tokens are not supported$/,
      );
    });
  });
});

Deno.test("a token with under 5 minutes left is refreshed before the call, and the notice goes to stderr", async () => {
  await withCtx({}, async ({ dir, fake, deps, call }) => {
    await storeSession(dir, { tokens: expired(tokenSet(NOW), NOW), client: publicClient() });
    fake.expect({
      method: "POST",
      url: TOKEN_URL,
      check: async (req) =>
        assert.deepEqual((await formOf(req)).sort(), [
          ["client_id", "client-1"],
          ["grant_type", "refresh_token"],
          ["refresh_token", "refresh-1"],
        ]),
      respond: refreshAnswer(),
    }).expect({
      method: "GET",
      url: `${API}/api/v1/monitor`,
      check: (req) => assert.equal(req.headers.get("authorization"), "Bearer access-2"),
      respond: jsonResponse(200, []),
    });
    await call(monitors);
    assert.equal(deps.err.text, `${REFRESHED_NOTICE}\n`);
    const stored = await storedTokens(dir);
    assert.equal(stored?.access_token, "access-2");
    assert.equal(stored?.refresh_token, "refresh-2");
  });
});

Deno.test("a valid token is used as is: no refresh, no notice", async () => {
  await withCtx({}, async ({ dir, fake, deps, call }) => {
    await storeSession(dir, { tokens: tokenSet(NOW - 60_000), client: publicClient() });
    fake.expect({ method: "GET", url: `${API}/api/v1/monitor`, respond: jsonResponse(200, []) });
    await call(monitors);
    assert.equal(deps.err.text, "");
  });
});

Deno.test("a refresh answered without refresh_token keeps the old refresh token", async () => {
  await withCtx({}, async ({ dir, fake, call }) => {
    await storeSession(dir, { tokens: expired(tokenSet(NOW), NOW), client: publicClient() });
    fake.expect({
      method: "POST",
      url: TOKEN_URL,
      respond: refreshAnswer({ refresh_token: undefined }),
    })
      .expect({ method: "GET", url: `${API}/api/v1/monitor`, respond: jsonResponse(200, []) });
    await call(monitors);
    const stored = await storedTokens(dir);
    assert.equal(stored?.access_token, "access-2");
    assert.equal(stored?.refresh_token, "refresh-1");
  });
});

Deno.test("a 401 with the session's token forces one refresh and one retry", async () => {
  await withCtx({}, async ({ dir, fake, deps, call }) => {
    await storeSession(dir, { tokens: tokenSet(NOW), client: publicClient() });
    fake.expect({
      method: "GET",
      url: `${API}/api/v1/monitor`,
      respond: jsonResponse(401, { errors: ["Unauthorized"] }),
    })
      .expect({ method: "POST", url: TOKEN_URL, respond: refreshAnswer() })
      .expect({
        method: "GET",
        url: `${API}/api/v1/monitor`,
        check: (req) => assert.equal(req.headers.get("authorization"), "Bearer access-2"),
        respond: jsonResponse(200, [{ id: 1 }]),
      });
    assert.deepEqual((await call(monitors)).data, [{ id: 1 }]);
    assert.equal(deps.err.text, `${REFRESHED_NOTICE}\n`);
  });
});

Deno.test("a second 401 after the forced refresh is AuthRequiredError (exit 3), never a third try", async () => {
  await withCtx({}, async ({ dir, fake, call }) => {
    await storeSession(dir, { tokens: tokenSet(NOW), client: publicClient() });
    const unauthorized = () => jsonResponse(401, { errors: ["Unauthorized"] });
    fake.expect({ method: "GET", url: `${API}/api/v1/monitor`, respond: unauthorized })
      .expect({ method: "POST", url: TOKEN_URL, respond: refreshAnswer() })
      .expect({ method: "GET", url: `${API}/api/v1/monitor`, respond: unauthorized });
    await assert.rejects(call(monitors), (e: Error) => {
      assert.ok(e instanceof AuthRequiredError);
      assert.equal(
        e.message,
        `GET /api/v1/monitor on "api.datadoghq.com" was refused even after refreshing the access token (HTTP 401: Unauthorized). Run 'pup auth login --site datadoghq.com' to sign in again`,
      );
      return true;
    });
  });
});

Deno.test("a 401 with DD_ACCESS_TOKEN or API keys is AuthRequiredError without any refresh", async () => {
  await withCtx({ DD_ACCESS_TOKEN: "env-token" }, async ({ fake, call }) => {
    fake.expect({
      method: "GET",
      url: `${API}/api/v1/monitor`,
      respond: jsonResponse(401, { errors: ["Unauthorized"] }),
    });
    await assert.rejects(call(monitors), /the token from DD_ACCESS_TOKEN is invalid or expired/);
  });
  await withCtx({ DD_API_KEY: "k", DD_APP_KEY: "a" }, async ({ fake, call }) => {
    fake.expect({
      method: "GET",
      url: `${API}/api/v1/monitor`,
      respond: jsonResponse(403, { errors: ["Forbidden"] }),
    });
    await assert.rejects(
      call(monitors),
      (e: Error) =>
        e instanceof AuthRequiredError &&
        /DD_API_KEY and DD_APP_KEY are valid keys/.test(e.message),
    );
  });
});

Deno.test("invalid_grant on the refresh is AuthRequiredError that says to log in, and the store is kept", async () => {
  await withCtx({}, async ({ dir, fake, call }) => {
    const old = expired(tokenSet(NOW), NOW);
    await storeSession(dir, { tokens: old, client: publicClient() });
    fake.expect({
      method: "POST",
      url: TOKEN_URL,
      respond: jsonResponse(400, {
        error: "invalid_grant",
        error_description: "refresh token already used",
      }),
    });
    await assert.rejects(call(monitors), (e: Error) => {
      assert.ok(e instanceof AuthRequiredError);
      assert.match(
        e.message,
        /server refused to refresh the token of "datadoghq\.com" \(invalid_grant: refresh token already used\).*Run 'pup auth login --site datadoghq\.com'/,
      );
      assert.match(e.message, /pup auth login/);
      assert.ok(!e.message.includes("refresh-1"));
      return true;
    });
    assert.deepEqual(await storedTokens(dir), old);
  });
});

Deno.test("a dead session with API keys configured falls back to the keys, with a warning", async () => {
  await withCtx({ DD_API_KEY: "k", DD_APP_KEY: "a" }, async ({ dir, fake, deps, call }) => {
    // No client stored and none named by the token set: nothing can refresh it.
    const dead = { ...expired(tokenSet(NOW), NOW), client_id: "" };
    await storeSession(dir, { tokens: dead, client: null });
    fake.expect({
      method: "GET",
      url: `${API}/api/v1/monitor`,
      check: (req) => assert.equal(req.headers.get("dd-api-key"), "k"),
      respond: jsonResponse(200, []),
    });
    await call(monitors);
    assert.match(
      deps.err.text,
      /^Warning: The access token of "datadoghq\.com" expired 1h0m ago and cannot be refreshed.*Using DD_API_KEY and DD_APP_KEY instead\.\n$/,
    );
  });
});

Deno.test("a store corrupted between the first read and the locked re-read is StorageCorruptError; nothing is overwritten", async () => {
  await withCtx({}, async ({ dir, call }) => {
    await storeSession(dir, { tokens: expired(tokenSet(NOW), NOW), client: publicClient() });
    const files = new FileStore(dir);
    const path = files.tokensPath("datadoghq.com");
    // Another writer garbles the file right after our first read.
    const racing: SiteStateStore = {
      backend: files.backend,
      location: files.location,
      async read(site: string): Promise<SiteState> {
        const state = await files.read(site);
        await Deno.writeTextFile(path, '{"__default__": {');
        return state;
      },
      readLatest: (site: string) => files.readLatest(site),
      update: (site, mutate) => files.update(site, mutate),
    };
    await assert.rejects(call(monitors, {}, racing), (e: Error) => {
      assert.ok(e instanceof StorageCorruptError);
      assert.equal(e.location, path);
      return true;
    });
    assert.equal(await Deno.readTextFile(path), '{"__default__": {');
  });
});

Deno.test("a 5xx HTML page from the API is an ApiError describing it", async () => {
  await withCtx({ DD_ACCESS_TOKEN: "t" }, async ({ fake, call }) => {
    fake.expect({
      method: "POST",
      url: `${API}/api/v2/logs/events/search`,
      respond: new Response("<html>oops</html>", {
        status: 502,
        headers: { "content-type": "text/html" },
      }),
    });
    await assert.rejects(
      call({ method: "POST", path: "/api/v2/logs/events/search", body: "{}" }),
      (e: Error) =>
        e instanceof ApiError && e.status === 502 &&
        e.message.includes("the server answered with text/html, not JSON (HTTP 502)"),
    );
  });
});

Deno.test("callApi() refuses credential headers from the caller and paths that leave the API host", async () => {
  await withCtx({ DD_ACCESS_TOKEN: "t" }, async ({ call }) => {
    await assert.rejects(
      call({ method: "GET", path: "/api/v1/monitor", headers: { Authorization: "Bearer x" } }),
      TypeError,
    );
    await assert.rejects(call({ method: "GET", path: "//evil.example/api" }), TypeError);
  });
  assert.equal(requestUrl(API, { path: "/api/../../x@evil.example" }).host, "api.datadoghq.com");
  assert.throws(() => requestUrl(API, { path: "/\\evil.example/api" }), TypeError);
  assert.equal(
    requestUrl(API, { path: "/api/v1/monitor?a=1", query: [["b", "2 3"]] }).href,
    `${API}/api/v1/monitor?a=1&b=2+3`,
  );
});
