/**
 * Runs an argv through the stricli application: every route, flag form and help page.
 *
 * @module
 */

import { run, type StricliProcess } from "@stricli/core";
import type { Deps } from "../deps.ts";
import { buildPupApp } from "./app.ts";
import type { PupContext } from "./context.ts";
import { EXIT } from "./exit_codes.ts";

/**
 * Runs `pup <argv>` through stricli.
 *
 * @param argv arguments after the program name
 * @param deps the seams
 * @returns the process exit code (SPEC §2)
 */
export async function runStricli(argv: readonly string[], deps: Deps): Promise<number> {
  const context: PupContext & { process: StricliProcess } = {
    process: {
      stdout: deps.io.out,
      stderr: deps.io.err,
      env: { STRICLI_SKIP_VERSION_CHECK: "1", STRICLI_NO_COLOR: deps.io.color ? undefined : "1" },
      exitCode: undefined,
    },
    deps,
  };
  await run(buildPupApp(), argv, context);
  const code = Number(context.process.exitCode ?? 0);
  // stricli reports scanner failures (unknown flag or command, bad value) as negative codes.
  if (code < 0) {
    deps.io.err.write("Run 'pup --help' (or 'pup <command> --help') for usage.\n");
    return EXIT.usage;
  }
  if (code !== 0) return code;
  return context.exitCode ?? EXIT.ok;
}
