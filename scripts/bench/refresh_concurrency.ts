/**
 * Refresh under concurrency (SPEC §8, §5.2): a mock with single-use (rotating) refresh tokens
 * and a slow token endpoint, a stored session whose access token pup sees as expired, and 50
 * `pup api` processes started at once. Exactly one refresh request may reach the mock; all 50
 * must succeed; the session must still be there, with a new token.
 *
 * @module
 */

import { startMockDatadog } from "../mock_datadog.ts";
import {
  type BenchContext,
  expireStoredSession,
  FILE_BACKEND,
  freshConfigDir,
  LIMITS,
  login,
  pupEnv,
  storedAccessToken,
} from "./context.ts";
import { runPup } from "./pup_process.ts";
import type { BenchRow } from "./table.ts";

/** Processes started at once (SPEC §8). */
export const CONCURRENT_PROCESSES = 50;
/** A slow token endpoint widens the window in which processes could race. */
export const TOKEN_DELAY_MS = 300;

/**
 * Runs the concurrency scenario.
 *
 * @param ctx the bench context
 * @returns rows for refresh requests, successes and the stored session
 */
export async function benchRefreshConcurrency(ctx: BenchContext): Promise<BenchRow[]> {
  const mock = await startMockDatadog({ autoApprove: true, tokenDelayMs: TOKEN_DELAY_MS });
  try {
    const dir = await freshConfigDir(ctx, "concurrency");
    const env = pupEnv(ctx, dir, FILE_BACKEND, mock.url);
    ctx.progress("refresh under concurrency: logging in, then expiring the stored token");
    await login(ctx, env);
    const before = await expireStoredSession(dir);
    const refreshesBefore = mock.stats().tokenRequests.refresh_token;
    ctx.progress(`refresh under concurrency: starting ${CONCURRENT_PROCESSES} processes at once`);
    const started = performance.now();
    const results = await Promise.all(
      Array.from(
        { length: CONCURRENT_PROCESSES },
        () =>
          runPup(ctx.paths, ["api", "/api/v1/validate"], { env, timeoutMs: LIMITS.concurrentMs }),
      ),
    );
    const wallMs = performance.now() - started;
    const refreshes = mock.stats().tokenRequests.refresh_token - refreshesBefore;
    const successes = results.filter((r) => r.code === 0 && !r.timedOut).length;
    const codes = [...new Set(results.filter((r) => r.code !== 0).map((r) => r.code))];
    const after = await storedAccessToken(dir);
    const sessionOk = after !== undefined && after !== before;
    const who = `${CONCURRENT_PROCESSES} processes`;
    return [
      {
        metric: `refresh under concurrency: refresh requests at the mock (${who})`,
        value: String(refreshes),
        target: "exactly 1",
        verdict: refreshes === 1 ? "pass" : "fail",
      },
      {
        metric: `refresh under concurrency: successful \`pup api\` runs (${who})`,
        value: `${successes}/${CONCURRENT_PROCESSES} in ${(wallMs / 1000).toFixed(1)} s`,
        target: `${CONCURRENT_PROCESSES}/${CONCURRENT_PROCESSES}`,
        verdict: successes === CONCURRENT_PROCESSES ? "pass" : "fail",
        note: codes.length > 0 ? `exit codes ${codes.join(", ")}` : undefined,
      },
      {
        metric: "refresh under concurrency: session kept, stored token replaced",
        value: after === undefined ? "session lost" : after === before ? "token unchanged" : "yes",
        target: "yes",
        verdict: sessionOk ? "pass" : "fail",
      },
    ];
  } finally {
    await mock.close();
  }
}
