/**
 * A keychain tool that never answers, through the real CLI (SPEC §6.3 last rule): the kernel
 * keyring is the one store pup still reaches through a program (`keyctl`); `pup auth status`
 * must stop it after the product's 10-second timeout and exit 1 with an error that names it.
 * Too slow for the suite, so only the soak runs it. (The macOS and Windows stores are library
 * calls, and the Secret Service's timeout is tested in tests/storage/secret_service_test.ts.)
 *
 * @module
 */

import { runPup } from "./run_pup.ts";

/** What the hang runs found. */
export interface HangFigures {
  runs: number;
  figures: string;
  problems: string[];
}

/**
 * Runs `pup auth status` with a `keyctl` that hangs (first on PATH).
 *
 * @returns per-backend exit code and time, and problems
 */
export async function runCliHangs(): Promise<HangFigures> {
  const dir = await Deno.makeTempDir({ prefix: "pup-hang-" });
  const bin = `${dir}/bin`;
  await Deno.mkdir(bin);
  const hang = `${bin}/keyctl`;
  await Deno.writeTextFile(hang, "#!/bin/sh\nexec sleep 600\n", { mode: 0o755 });
  const cases: [string, string, Record<string, string>][] = [
    ["kernel keyring", "keyctl", {
      PUP_KEYCHAIN_BACKEND: "linux",
      DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent/bus",
      PATH: `${bin}:${Deno.env.get("PATH") ?? ""}`,
    }],
  ];
  const problems: string[] = [];
  const parts: string[] = [];
  try {
    for (const [name, tool, env] of cases) {
      const run = await runPup(["auth", "status"], {
        env: { PUP_CONFIG_DIR: `${dir}/cfg`, DD_TOKEN_STORAGE: "keychain", ...env },
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
