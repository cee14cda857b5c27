/**
 * Login wall time against the mock with the browser step taken out: `$BROWSER` is the
 * auto-approving fetch stand-in, the mock approves at once, and each login starts from a fresh
 * config dir (so it registers a client, serves the callback, exchanges the code and stores).
 *
 * @module
 */

import { type BenchContext, FILE_BACKEND, freshConfigDir, login, pupEnv } from "./context.ts";
import { formatMs, formatRatio, median, ratio } from "./stats.ts";
import type { BenchRow } from "./table.ts";

/** Logins timed; the median is reported. */
export const LOGIN_RUNS = 5;

/**
 * Times `pup auth login`.
 *
 * @param ctx the bench context
 * @param helloMs the hello-world median from the start-up scenario
 * @returns one row
 */
export async function benchLoginTime(ctx: BenchContext, helloMs: number): Promise<BenchRow[]> {
  const samples: number[] = [];
  ctx.progress(`login wall time: ${LOGIN_RUNS} logins, each with a fresh config dir`);
  for (let i = 0; i < LOGIN_RUNS; i++) {
    const dir = await freshConfigDir(ctx, "login");
    samples.push((await login(ctx, pupEnv(ctx, dir, FILE_BACKEND))).ms);
  }
  const ms = median(samples);
  return [{
    metric: `login wall time, browser step excluded (median of ${LOGIN_RUNS}) / hello world`,
    value: `${formatRatio(ratio(ms, helloMs))} (${formatMs(ms)})`,
    target: "-",
    verdict: "info",
  }];
}
