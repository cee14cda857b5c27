/**
 * Start-up (SPEC §8): `pup --help` and `pup auth status` (file store, and the keychain through
 * the real Secret Service when one is reachable) against a Deno hello world run the same way,
 * interleaved so that machine noise hits every command alike; medians and ratios.
 *
 * @module
 */

import { type BenchContext, FILE_BACKEND, pupEnv, SECRET_SERVICE_BACKEND } from "./context.ts";
import { denoRunArgs, describeFailure, runTimed } from "./pup_process.ts";
import { formatMs, formatRatio, median, ratio, withinRatio } from "./stats.ts";
import type { BenchRow } from "./table.ts";

/** SPEC §8: start-up within 1.5x of a Deno hello world run the same way. */
export const STARTUP_LIMIT = 1.5;

/** One command of the start-up set. */
interface Subject {
  label: string;
  file: string;
  args: string[];
  env: Record<string, string>;
  /** A row with a target (SPEC §8) or for information only. */
  targeted: boolean;
  samples: number[];
  failure?: string;
}

/**
 * Runs the start-up measurements.
 *
 * @param ctx the bench context
 * @returns the rows, and the hello-world median for other scenarios' ratios
 */
export async function benchStartup(
  ctx: BenchContext,
): Promise<{ rows: BenchRow[]; helloMs: number }> {
  const hello = `${ctx.tmp}/hello.ts`;
  await Deno.writeTextFile(hello, 'console.log("Hello, world!");\n');
  const main = ctx.paths.mainTs;
  const subjects: Subject[] = [
    { label: "hello world", file: hello, args: [], env: ctx.env, targeted: false, samples: [] },
    {
      label: "`pup --help`",
      file: main,
      args: ["--help"],
      env: ctx.env,
      targeted: true,
      samples: [],
    },
  ];
  // Every store: the file store and the Secret Service carry the 1.5x target (SPEC §8, issue
  // 12); the macOS and Windows rows time pup's FFI code against the stand-in libraries.
  for (const session of ctx.sessions) {
    const id = session.backend.id;
    subjects.push({
      label: `\`pup auth status\` (${session.backend.label})`,
      file: main,
      args: ["auth", "status"],
      env: pupEnv(ctx, session.dir, session.backend),
      targeted: id === FILE_BACKEND.id || id === SECRET_SERVICE_BACKEND.id,
      samples: [],
    });
  }
  ctx.progress(`start-up: ${ctx.warmups} warm-ups and ${ctx.runs} interleaved runs each`);
  for (let round = 0; round < ctx.warmups + ctx.runs; round++) {
    for (const s of subjects) {
      if (s.failure) continue;
      const r = await runTimed(ctx.paths.deno, denoRunArgs(ctx.paths, s.file, s.args), {
        env: s.env,
        cwd: ctx.paths.repo,
        timeoutMs: 30_000,
      });
      if (r.code !== 0 || r.timedOut) s.failure = describeFailure(s.label, r);
      else if (round >= ctx.warmups) s.samples.push(r.ms);
    }
  }
  const base = subjects[0];
  if (base.failure) throw new Error(`The hello world baseline failed: ${base.failure}`);
  const helloMs = median(base.samples);
  const rows: BenchRow[] = [{
    metric: "start-up: Deno hello world (baseline), median",
    value: formatMs(helloMs),
    target: "-",
    verdict: "info",
  }];
  for (const s of subjects.slice(1)) {
    const metric = `start-up: ${s.label} / hello world`;
    const target = s.targeted ? `≤ ${STARTUP_LIMIT.toFixed(2)}x` : "-";
    if (s.failure) {
      rows.push({ metric, value: "n/a", target, verdict: "fail", note: s.failure });
      continue;
    }
    const ms = median(s.samples);
    const r = ratio(ms, helloMs);
    rows.push({
      metric,
      value: `${formatRatio(r)} (${formatMs(ms)})`,
      target,
      verdict: !s.targeted ? "info" : withinRatio(r, STARTUP_LIMIT) ? "pass" : "fail",
    });
  }
  if (!ctx.sessions.some((s) => s.backend.id === SECRET_SERVICE_BACKEND.id)) {
    rows.push({
      metric: "start-up: `pup auth status` (keychain: Secret Service) / hello world",
      value: "n/a",
      target: "-",
      verdict: "skipped",
      note: "no throwaway Secret Service",
    });
  }
  return { rows, helloMs };
}
