/**
 * Runs the CLI on an argv with the given seams and returns the exit code; the only caller that
 * exits the process is `main.ts`. The most frequent simple command lines take a fast path that
 * does not load stricli (SPEC §8 start-up target); everything else goes through stricli.
 *
 * @module
 */

import type { Deps } from "../deps.ts";
import { runFastPath } from "./fast_path.ts";

/**
 * Runs `pup <argv>`.
 *
 * @param argv arguments after the program name
 * @param deps the seams
 * @returns the process exit code (SPEC §2)
 */
export async function runCli(argv: readonly string[], deps: Deps): Promise<number> {
  const fast = await runFastPath(argv, deps);
  if (fast !== undefined) return fast;
  const { runStricli } = await import("./run_stricli.ts");
  return await runStricli(argv, deps);
}
