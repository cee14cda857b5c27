/**
 * Child processes per command (SPEC §8): `pup auth status` and an API call with a valid token,
 * each secure-store tool replaced by a counting wrapper; at most one secure-store read per site.
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

/** The `*_BIN` variable of each backend whose tool is reached by path, and the tool's name. */
const BIN_VARS: Record<string, { variable: string; tool: string }> = {
  "secret-service": { variable: "PUP_SECRET_TOOL_BIN", tool: "secret-tool" },
  "macos-emulator": { variable: "PUP_SECURITY_BIN", tool: "security" },
  "windows-emulator": { variable: "PUP_POWERSHELL_BIN", tool: "powershell" },
};

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
      // SPEC §8: on Windows, also one PowerShell process per operation.
      const target = session?.backend.id === "windows-emulator"
        ? `≤ ${MAX_READS_PER_SITE} PowerShell run`
        : `≤ ${MAX_READS_PER_SITE} store read`;
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
      const bin = BIN_VARS[session.backend.id];
      if (bin !== undefined) {
        // Wrap the tool the backend runs by path (the real one, or the emulator).
        const realTool = env[bin.variable] ?? real[bin.tool];
        if (realTool !== undefined) {
          const dir = await Deno.makeTempDir({ dir: ctx.tmp, prefix: "bin-wrapper-" });
          env[bin.variable] =
            (await writeCountingWrappers(dir, { [bin.tool]: realTool }))[bin.tool];
        }
      }
      ctx.progress(`child processes: ${command.label} (${label})`);
      const r = await runPup(ctx.paths, command.args, { env, timeoutMs: LIMITS.commandMs });
      const records = await readChildLog(log);
      const reads = countStoreReads(records);
      const value = `${records.length} (${describeChildren(records)}); store reads: ${reads}`;
      if (r.code !== 0 || r.timedOut) {
        rows.push({ metric, value, target, verdict: "fail", note: describeFailure("pup", r) });
      } else {
        rows.push({
          metric,
          value,
          target,
          verdict: reads <= MAX_READS_PER_SITE ? "pass" : "fail",
        });
      }
    }
  }
  return rows;
}
