/**
 * Child processes per command (SPEC §8; issue 12): `pup auth status` and an API call with a
 * valid token, with every program pup could start replaced on PATH by a counting wrapper. The
 * OS stores reached through their libraries (Secret Service, macOS, Windows) must start none;
 * the file store none; the kernel keyring at most one `keyctl` read.
 *
 * @module
 */

import {
  CHILD_LOG_ENV,
  countStoreReads,
  describeChildren,
  findOnPath,
  readChildLog,
  writeCountingWrappers,
} from "./child_counter.ts";
import {
  type BenchContext,
  LIMITS,
  pupEnv,
  SECRET_SERVICE_BACKEND,
  type Session,
} from "./context.ts";
import { describeFailure, runPup } from "./pup_process.ts";
import type { BenchRow } from "./table.ts";

/** Programs pup may start: the store tools, what a backend probe could use, browser openers. */
const WATCHED = [
  "secret-tool",
  "keyctl",
  "gdbus",
  "dbus-send",
  "busctl",
  "security",
  "powershell",
  "powershell.exe",
  "pwsh",
  "xdg-open",
  "wslview",
];

/** SPEC §8: at most one secure-store read per site (every command here touches one site). */
export const MAX_READS_PER_SITE = 1;

/** Backends reached in-process through their OS library: no child process at all. */
const IN_PROCESS = new Set(["file", "secret-service", "macos-standin", "windows-standin"]);

/**
 * Runs the child-process counts.
 *
 * @param ctx the bench context
 * @returns one row per (command, backend)
 */
export async function benchChildCounts(ctx: BenchContext): Promise<BenchRow[]> {
  const wrapDir = await Deno.makeTempDir({ dir: ctx.tmp, prefix: "wrappers-" });
  const path = ctx.env.PATH ?? "/usr/bin:/bin";
  const real: Record<string, string> = {};
  for (const tool of WATCHED) {
    const found = await findOnPath(tool, path);
    if (found !== undefined) real[tool] = found;
  }
  await writeCountingWrappers(wrapDir, real);
  const commands: { label: string; args: string[] }[] = [
    { label: "`pup auth status`", args: ["auth", "status"] },
    { label: "`pup api /api/v1/validate` (valid token)", args: ["api", "/api/v1/validate"] },
  ];
  const sessions: { label: string; session?: Session }[] = ctx.sessions.map((session) => ({
    label: session.backend.label,
    session,
  }));
  if (!ctx.sessions.some((s) => s.backend.id === SECRET_SERVICE_BACKEND.id)) {
    sessions.splice(1, 0, { label: SECRET_SERVICE_BACKEND.label });
  }
  const rows: BenchRow[] = [];
  let n = 0;
  for (const { label, session } of sessions) {
    for (const command of commands) {
      const metric = `child processes: ${command.label}, ${label}`;
      const none = IN_PROCESS.has(session?.backend.id ?? "secret-service");
      const target = none ? "0 child processes" : `≤ ${MAX_READS_PER_SITE} store read`;
      if (session === undefined) {
        rows.push({
          metric,
          value: "n/a",
          target,
          verdict: "skipped",
          note: "no throwaway Secret Service",
        });
        continue;
      }
      const log = `${wrapDir}/children-${++n}.log`;
      const env: Record<string, string> = {
        ...pupEnv(ctx, session.dir, session.backend),
        PATH: `${wrapDir}:${path}`,
        [CHILD_LOG_ENV]: log,
      };
      ctx.progress(`child processes: ${command.label} (${label})`);
      const r = await runPup(ctx.paths, command.args, { env, timeoutMs: LIMITS.commandMs });
      const records = await readChildLog(log);
      const reads = countStoreReads(records);
      const value = `${records.length} (${describeChildren(records)}); store reads: ${reads}`;
      if (r.code !== 0 || r.timedOut) {
        rows.push({ metric, value, target, verdict: "fail", note: describeFailure("pup", r) });
      } else {
        const ok = none ? records.length === 0 : reads <= MAX_READS_PER_SITE;
        rows.push({ metric, value, target, verdict: ok ? "pass" : "fail" });
      }
    }
  }
  return rows;
}
