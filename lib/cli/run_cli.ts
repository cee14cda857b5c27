/**
 * Runs the CLI on an argv with the given seams and returns the exit code; the only caller that
 * exits the process is `main.ts`. The most frequent simple command lines take a fast path that
 * does not load stricli (SPEC §8 start-up target); everything else goes through stricli.
 *
 * @module
 */

import type { Deps } from "../deps.ts";
import { parseMockServer } from "../config/endpoints.ts";
import { normalizeArgv } from "./argv.ts";
import { exitCodeFor, formatError } from "./exit_codes.ts";
import { runFastPath } from "./fast_path.ts";
import { lazyImport } from "../lazy_import.ts";

/**
 * The one line every command prints while `PUP_MOCK_SERVER` is set.
 *
 * @param origin the validated mock origin
 * @returns the line, without its newline
 */
export function mockServerNotice(origin: string): string {
  return `Note: PUP_MOCK_SERVER is set: every Datadog request goes to ${origin} (a test seam; unset it for real use)`;
}

/**
 * Runs `pup <argv>`.
 *
 * @param argv arguments after the program name
 * @param deps the seams
 * @returns the process exit code (SPEC §2)
 */
export async function runCli(argv: readonly string[], deps: Deps): Promise<number> {
  const mock = deps.env.PUP_MOCK_SERVER;
  if (mock) {
    // The seam sends every token to one server: refuse anything but loopback, and say it is on.
    let origin: string;
    try {
      origin = parseMockServer(mock);
    } catch (e) {
      deps.io.err.write(formatError(e));
      return exitCodeFor(e);
    }
    deps.io.err.write(`${mockServerNotice(origin)}\n`);
  }
  const args = normalizeArgv(argv);
  const fast = await runFastPath(args, deps);
  if (fast !== undefined) return fast;
  const { runStricli } = await lazyImport<typeof import("./run_stricli.ts")>(
    "./run_stricli.ts",
    import.meta.url,
  );
  return await runStricli(args, deps);
}
