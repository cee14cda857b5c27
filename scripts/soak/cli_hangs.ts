/**
 * Keychain tools that never answer, through the real CLI (SPEC §6.3 last rule): `pup auth
 * status` must stop the tool after the product's 10-second timeout and exit 1 with an error
 * that names the tool. Too slow for the suite (10 s per backend), so only the soak runs it;
 * the suite checks the same path in-process with a short timeout.
 *
 * @module
 */

import { FAKE_POWERSHELL, FAKE_SECURITY } from "./keychain_store_for.ts";
import { runPup } from "./run_pup.ts";

/** What the hang runs found. */
export interface HangFigures {
  runs: number;
  figures: string;
  problems: string[];
}

/**
 * Runs `pup auth status` once per backend with a tool that hangs.
 *
 * @returns per-backend exit code and time, and problems
 */
export async function runCliHangs(): Promise<HangFigures> {
  const dir = await Deno.makeTempDir({ prefix: "pup-hang-" });
  const hang = `${dir}/hang-tool`;
  await Deno.writeTextFile(hang, "#!/bin/sh\nexec sleep 600\n", { mode: 0o755 });
  const cases: [string, string, Record<string, string>][] = [
    ["windows", FAKE_POWERSHELL, {
      PUP_KEYCHAIN_BACKEND: "windows",
      PUP_POWERSHELL_BIN: FAKE_POWERSHELL,
      FAKE_PS_VAULT: `${dir}/ps.json`,
      FAKE_PS_HANG: "1",
    }],
    ["macos", FAKE_SECURITY, {
      PUP_KEYCHAIN_BACKEND: "macos",
      PUP_SECURITY_BIN: FAKE_SECURITY,
      FAKE_SECURITY_VAULT: `${dir}/sec.json`,
      FAKE_SECURITY_HANG: "1",
    }],
    ["linux", hang, { PUP_KEYCHAIN_BACKEND: "linux", PUP_SECRET_TOOL_BIN: hang }],
  ];
  const problems: string[] = [];
  const parts: string[] = [];
  try {
    for (const [name, tool, env] of cases) {
      const run = await runPup(["auth", "status"], {
        env: { PUP_CONFIG_DIR: `${dir}/cfg-${name}`, DD_TOKEN_STORAGE: "keychain", ...env },
        timeoutMs: 30_000,
      });
      const error = run.stderr.split("\n").find((l) => l.startsWith("Error: ")) ?? "";
      parts.push(`${name}: exit ${run.code} after ${(run.ms / 1000).toFixed(1)} s`);
      if (run.timedOut) problems.push(`${name}: pup itself hung`);
      else if (run.code !== 1) problems.push(`${name}: exit ${run.code}, not 1`);
      if (!error.includes(tool) || !/did not answer within/.test(error)) {
        problems.push(`${name}: the error does not name the hung tool: ${error}`);
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
  return { runs: cases.length, figures: parts.join("; "), problems };
}
