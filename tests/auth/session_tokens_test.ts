/**
 * The rules of a refresh that races other commands or fails half-way (issue 13): the result is
 * merged only into the session it started from, a failed save says the session needs a new
 * login, a refusal is remembered for `auth status`, and `invalid_client` marks the client.
 */
import assert from "node:assert/strict";
import { getAccessToken, type SessionTarget } from "../../lib/auth/session_tokens.ts";
import { endpointsFor } from "../../lib/config/endpoints.ts";
import { AuthRequiredError, PupError } from "../../lib/errors.ts";
import { exitCodeFor } from "../../lib/cli/exit_codes.ts";
import { FileStore } from "../../lib/storage/file_store.ts";
import { SessionsRegistry } from "../../lib/storage/sessions.ts";
import type { SiteState, SiteStateStore } from "../../lib/storage/types.ts";
import { expired, publicClient, storeSession, tokenSet } from "../_fakes/_api_session.ts";
import { makeDeps, withTempDir } from "../_fakes/fake_deps.ts";
import { FakeFetch, formOf, jsonResponse } from "../_fakes/fake_fetch.ts";

const NOW = Date.UTC(2026, 1, 4, 12);
const TOKEN_URL = "https://api.datadoghq.com/oauth2/v1/token";
const REVOKE_URL = "https://api.datadoghq.com/oauth2/v1/revoke";
const target = (org: string | null = "prod"): SessionTarget => ({
  site: "datadoghq.com",
  org,
  endpoints: endpointsFor("datadoghq.com"),
});
const renewed = () =>
  jsonResponse(200, {
    access_token: "access-2",
    refresh_token: "refresh-2",
    token_type: "Bearer",
    expires_in: 3600,
    scope: "monitors_read",
  });
const revoked = (token: string) => ({
  method: "POST",
  url: REVOKE_URL,
  check: async (req: Request) => assert.equal(new Map(await formOf(req)).get("token"), token),
  respond: new Response(null, { status: 200 }),
});

async function setup(dir: string, org: string | null = "prod") {
  await storeSession(dir, {
    org,
    tokens: expired(tokenSet(NOW), NOW),
    client: publicClient(),
  });
  const fake = new FakeFetch();
  const deps = makeDeps({ configDir: dir, fetch: fake.fetch, nowMs: NOW });
  return { fake, deps, store: new FileStore(dir) };
}

Deno.test("a refresh that ends after a logout of the same session revokes its new tokens, stores nothing and says the session was logged out (exit 3)", async () => {
  await withTempDir(async (dir) => {
    const { fake, deps, store } = await setup(dir);
    fake.expect({
      method: "POST",
      url: TOKEN_URL,
      respond: async () => {
        // `pup auth logout --org prod` runs while the token answer is on its way.
        await store.update("datadoghq.com", (s) => ({ ...s, tokens: {} }));
        return renewed();
      },
    }).expect(revoked("refresh-2")).expect(revoked("access-2"));
    await assert.rejects(getAccessToken(deps, store, target()), (e: unknown) => {
      assert.ok(e instanceof AuthRequiredError);
      assert.equal(exitCodeFor(e), 3);
      assert.match(
        e.message,
        /"datadoghq\.com" \(org "prod"\) was logged out while its token was being refreshed/,
      );
      assert.match(e.message, /'pup auth login --org prod --site datadoghq\.com'/);
      return true;
    });
    fake.verify();
    assert.deepEqual((await store.read("datadoghq.com")).tokens, {});
  });
});

Deno.test("a refresh whose session was replaced by a new login meanwhile keeps the login's tokens and revokes its own", async () => {
  await withTempDir(async (dir) => {
    const { fake, deps, store } = await setup(dir);
    const login = tokenSet(NOW, { access_token: "login-a", refresh_token: "login-r" });
    fake.expect({
      method: "POST",
      url: TOKEN_URL,
      respond: async () => {
        await store.update("datadoghq.com", (s) => ({ ...s, tokens: { prod: login } }));
        return renewed();
      },
    }).expect(revoked("refresh-2")).expect(revoked("access-2"));
    const result = await getAccessToken(deps, store, target());
    fake.verify();
    assert.equal(result.tokens.access_token, "login-a");
    assert.equal(result.refreshed, false);
    assert.deepEqual((await store.read("datadoghq.com")).tokens.prod, login);
  });
});

/** A file store whose writes fail `failures` times; the locked re-read still works. */
class FailingWrites implements SiteStateStore {
  readonly backend = "file";
  readonly location: string;
  writes = 0;
  constructor(private inner: FileStore, private failures: number, dir: string) {
    this.location = dir;
  }
  read(site: string) {
    return this.inner.read(site);
  }
  readLatest(site: string) {
    return this.inner.readLatest(site);
  }
  async update(site: string, mutate: (s: SiteState) => SiteState) {
    const before = await this.inner.read(site);
    const after = mutate(structuredClone(before));
    if (JSON.stringify(after) === JSON.stringify(before)) return after;
    this.writes++;
    if (this.writes <= this.failures) {
      throw new Error(
        `No space left on device (os error 28): write '${this.location}/tokens_datadoghq_com.json'`,
      );
    }
    return await this.inner.update(site, () => after);
  }
}

Deno.test("a refresh whose save fails is saved on the one retry", async () => {
  await withTempDir(async (dir) => {
    const { fake, deps } = await setup(dir);
    const store = new FailingWrites(new FileStore(dir), 1, dir);
    fake.expect({ method: "POST", url: TOKEN_URL, respond: renewed() });
    const result = await getAccessToken(deps, store, target());
    fake.verify();
    assert.equal(result.refreshed, true);
    assert.equal(store.writes, 2);
    assert.equal(
      (await new FileStore(dir).read("datadoghq.com")).tokens.prod.access_token,
      "access-2",
    );
  });
});

Deno.test("a refresh whose save fails twice says the session needs a new login, with the store's error and the exact command, and is remembered for status", async () => {
  await withTempDir(async (dir) => {
    const { fake, deps } = await setup(dir);
    const store = new FailingWrites(new FileStore(dir), 2, dir);
    fake.expect({ method: "POST", url: TOKEN_URL, respond: renewed() });
    await assert.rejects(getAccessToken(deps, store, target()), (e: unknown) => {
      assert.ok(e instanceof AuthRequiredError);
      assert.match(
        e.message,
        /needs a new login: the server issued new tokens, but they could not be saved/,
      );
      assert.match(e.message, /No space left on device .*tokens_datadoghq_com\.json/);
      assert.match(e.message, /run 'pup auth login --org prod --site datadoghq\.com'/);
      assert.ok(!e.message.includes("refresh-2"), "no token in the message");
      return true;
    });
    fake.verify();
    const [row] = await new SessionsRegistry(dir).read();
    assert.equal(row.refused?.error, "save_failed");
  });
});

Deno.test("invalid_grant right after a refresh that never saved its result says the refresh token was spent by that refresh", async () => {
  await withTempDir(async (dir) => {
    const { fake, deps } = await setup(dir);
    // First refresh: the store fails twice, so the rotated pair is lost.
    fake.expect({ method: "POST", url: TOKEN_URL, respond: renewed() });
    await assert.rejects(
      getAccessToken(deps, new FailingWrites(new FileStore(dir), 2, dir), target()),
    );
    fake.expect({
      method: "POST",
      url: TOKEN_URL,
      respond: jsonResponse(400, {
        error: "invalid_grant",
        error_description: "refresh token already used",
      }),
    });
    await assert.rejects(getAccessToken(deps, new FileStore(dir), target()), (e: unknown) => {
      assert.ok(e instanceof AuthRequiredError);
      assert.match(
        e.message,
        /needs a new login: its refresh token was already spent by a refresh started at 2026-02-04T12:00:00\.000Z that never saved its result/,
      );
      assert.match(e.message, /Run 'pup auth login --org prod --site datadoghq\.com'/);
      return true;
    });
    fake.verify();
  });
});

Deno.test("invalid_client marks the stored client rejected, names the sibling sessions, and the next refresh sends nothing", async () => {
  await withTempDir(async (dir) => {
    const { fake, deps, store } = await setup(dir);
    await storeSession(dir, { org: "staging", tokens: tokenSet(NOW), client: publicClient() });
    fake.expect({
      method: "POST",
      url: TOKEN_URL,
      respond: jsonResponse(401, { error: "invalid_client", error_description: "Unknown client" }),
    });
    await assert.rejects(getAccessToken(deps, store, target()), (e: unknown) => {
      assert.ok(e instanceof AuthRequiredError);
      assert.match(
        e.message,
        /no longer knows the client registration of "datadoghq\.com" \(invalid_client: Unknown client\)/,
      );
      assert.match(e.message, /it registers a new client by itself/);
      assert.match(
        e.message,
        /need their own login afterwards: 'pup auth login --org staging --site datadoghq\.com'/,
      );
      return true;
    });
    fake.verify();
    const client = (await store.read("datadoghq.com")).client!;
    assert.equal(client.rejected_at, NOW / 1000);
    const rows = await new SessionsRegistry(dir).read();
    assert.deepEqual(rows.find((r) => r.org === "prod")?.refused, {
      error: "invalid_client",
      at: "2026-02-04T12:00:00.000Z",
      description: "Unknown client",
    });
    // No request: the fake fails on any call.
    await assert.rejects(getAccessToken(deps, store, target()), /refused the client registration/);
    fake.verify();
  });
});

Deno.test("a successful refresh clears the remembered refusal", async () => {
  await withTempDir(async (dir) => {
    const { fake, deps, store } = await setup(dir);
    const registry = new SessionsRegistry(dir);
    await registry.update((rows) =>
      rows.map((r) => ({ ...r, refused: { error: "invalid_grant", at: "2026-02-04T11:00:00Z" } }))
    );
    fake.expect({ method: "POST", url: TOKEN_URL, respond: renewed() });
    await getAccessToken(deps, store, target());
    fake.verify();
    assert.deepEqual(await registry.read(), [{ site: "datadoghq.com", org: "prod" }]);
  });
});

Deno.test("a network failure names the unreachable host and how long the token stays valid, never 'Token expired'", async () => {
  await withTempDir(async (dir) => {
    await storeSession(dir, {
      org: "prod",
      tokens: tokenSet(NOW - 120_000),
      client: publicClient(),
    });
    const fake = new FakeFetch().expect({
      method: "POST",
      url: TOKEN_URL,
      respond: new TypeError("fetch failed: Connection refused"),
    });
    const deps = makeDeps({ configDir: dir, fetch: fake.fetch, nowMs: NOW });
    await assert.rejects(
      getAccessToken(deps, new FileStore(dir), target(), { force: true }),
      (e: unknown) => {
        assert.ok(e instanceof PupError);
        assert.match(
          e.message,
          /^Could not reach "api\.datadoghq\.com" to refresh the token of "datadoghq\.com" \(org "prod"\)/,
        );
        assert.match(e.message, /The current access token stays valid for 58m0s/);
        assert.ok(!/Token expired|--site or DD_SITE|pup auth refresh/.test(e.message), e.message);
        return true;
      },
    );
    fake.verify();
  });
});
