/**
 * SPEC §8 "refresh under concurrency": 50 `pup api` processes started at once on one expired
 * session make exactly one refresh request, all 50 succeed, and the rotated token is stored.
 * The mock rotates single-use refresh tokens (a second use of one revokes the whole grant) and
 * delays every token request by 300 ms, so any process that refreshed without the lock would
 * make the count exceed 1 or fail.
 */
import assert from "node:assert/strict";
import { storedTokens, withMockSession } from "../_fakes/_api_session.ts";
import { runPup } from "./_helpers.ts";

const PROCESSES = 50;

Deno.test("50 pup processes on an expired session make exactly 1 refresh and all succeed", async () => {
  await withMockSession(
    { expiredSession: true, tokenDelayMs: 300 },
    async ({ mock, dir, tokens }) => {
      // The old access token is dead at the server too: a process that used it would get a 401.
      mock.expireAll();
      const env = { PUP_CONFIG_DIR: dir, PUP_MOCK_SERVER: mock.url, DD_TOKEN_STORAGE: "file" };
      // Warm Deno's module cache, so 50 cold starts do not race to fill it.
      const warm = await runPup(["--version"], env, { timeoutMs: 60_000 });
      assert.equal(warm.code, 0, warm.stderr);

      const runs = await Promise.all(
        Array.from(
          { length: PROCESSES },
          () => runPup(["api", "/api/v1/validate"], env, { timeoutMs: 120_000 }),
        ),
      );

      const failed = runs.filter((r) => r.code !== 0);
      assert.equal(failed.length, 0, `failures:\n${failed.map((r) => r.stderr).join("\n")}`);
      for (const r of runs) assert.deepEqual(JSON.parse(r.stdout), { valid: true });
      const stats = mock.stats();
      assert.equal(stats.tokenRequests.refresh_token, 1, "exactly one refresh request");
      assert.equal(stats.apiRequests, PROCESSES, "one API request each, no 401 retries");
      const notices = runs.filter((r) => r.stderr.includes("refreshed automatically")).length;
      assert.equal(notices, 1, "one process refreshed; the others used its token");

      const stored = await storedTokens(dir);
      assert.ok(stored, "the session is still stored");
      assert.notEqual(stored.access_token, tokens.access_token);
      assert.notEqual(stored.refresh_token, tokens.refresh_token);
      const check = await fetch(`${mock.url}/api/v1/validate`, {
        headers: { authorization: `Bearer ${stored.access_token}` },
      });
      assert.equal(check.status, 200, "the stored token is the live one");
      await check.body?.cancel();
    },
  );
});
