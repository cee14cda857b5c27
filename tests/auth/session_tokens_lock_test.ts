/**
 * The refresh lock, at unit level (issue 16: these rules were caught only by the 50-process
 * end-to-end test): two stores on one config dir stand for two processes.
 */
import assert from "node:assert/strict";
import { getAccessToken, type SessionTarget } from "../../lib/auth/session_tokens.ts";
import { endpointsFor } from "../../lib/config/endpoints.ts";
import { FileStore } from "../../lib/storage/file_store.ts";
import { ensureLocksDir, refreshLockPath, withLock } from "../../lib/storage/lock.ts";
import { expired, publicClient, storeSession, tokenSet } from "../_fakes/_api_session.ts";
import { makeDeps, withTempDir } from "../_fakes/fake_deps.ts";
import { FakeFetch, jsonResponse } from "../_fakes/fake_fetch.ts";

const NOW = Date.UTC(2026, 1, 4, 12);
const SITE = "datadoghq.com";
const target: SessionTarget = { site: SITE, org: "prod", endpoints: endpointsFor(SITE) };

Deno.test("another process refreshed while we waited for the lock: we use its tokens and send nothing", async () => {
  await withTempDir(async (dir) => {
    await storeSession(dir, {
      org: "prod",
      tokens: expired(tokenSet(NOW), NOW),
      client: publicClient(),
    });
    const fake = new FakeFetch(); // any request fails the test
    const deps = makeDeps({ configDir: dir, fetch: fake.fetch, nowMs: NOW });
    await ensureLocksDir(dir);
    let waiting: Promise<unknown> | undefined;
    await withLock(refreshLockPath(dir, SITE, "prod"), async () => {
      // We (this process) find the token expired and queue on the lock the other one holds.
      waiting = getAccessToken(deps, new FileStore(dir), target);
      await new Promise((r) => setTimeout(r, 50));
      // The other process finishes its refresh and saves, still holding the lock.
      const fresh = { ...tokenSet(NOW), access_token: "from-the-other-process" };
      await new FileStore(dir).update(
        SITE,
        (s) => ({ ...s, tokens: { ...s.tokens, prod: fresh } }),
      );
    });
    const result = await waiting as { tokens: { access_token: string }; refreshed: boolean };
    assert.equal(result.tokens.access_token, "from-the-other-process");
    assert.equal(result.refreshed, false);
    fake.verify();
  });
});

Deno.test("two processes on one expired token make exactly one refresh request", async () => {
  await withTempDir(async (dir) => {
    await storeSession(dir, {
      org: "prod",
      tokens: expired(tokenSet(NOW), NOW),
      client: publicClient(),
    });
    const fake = new FakeFetch().expect({
      method: "POST",
      url: "https://api.datadoghq.com/oauth2/v1/token",
      respond: async () => {
        await new Promise((r) => setTimeout(r, 100)); // a slow token endpoint
        return jsonResponse(200, {
          access_token: "access-2",
          refresh_token: "refresh-2",
          token_type: "Bearer",
          expires_in: 3600,
          scope: "monitors_read",
        });
      },
    });
    const deps = makeDeps({ configDir: dir, fetch: fake.fetch, nowMs: NOW });
    const [a, b] = await Promise.all([
      getAccessToken(deps, new FileStore(dir), target),
      getAccessToken(deps, new FileStore(dir), target),
    ]);
    assert.equal(a.tokens.access_token, "access-2");
    assert.equal(b.tokens.access_token, "access-2");
    assert.deepEqual([a.refreshed, b.refreshed].sort(), [false, true]);
    fake.verify();
  });
});
