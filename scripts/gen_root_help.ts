/**
 * Regenerates lib/cli/root_help.ts from stricli's own `pup --help` output, so the start-up fast
 * path prints exactly what stricli would. Run `deno task gen-help` after changing routes;
 * tests/cli/fast_path_test.ts fails while the file is stale.
 *
 * @module
 */

import { runStricli } from "../lib/cli/run_stricli.ts";
import type { Deps } from "../lib/deps.ts";

/** stricli's root help text. */
export async function stricliRootHelp(): Promise<string> {
  let text = "";
  const sink = { write: (t: string) => void (text += t) };
  const deps = {
    io: { out: sink, err: sink, isTerminal: false, color: false },
  } as unknown as Deps;
  await runStricli(["--help"], deps);
  return text;
}

/** The module source for lib/cli/root_help.ts. */
export function rootHelpModule(help: string): string {
  return `/**
 * The root help text, generated from stricli's output by \`deno task gen-help\`
 * (scripts/gen_root_help.ts); tests/cli/fast_path_test.ts fails when it is stale.
 *
 * @module
 */

/** What \`pup --help\` prints. */
export const ROOT_HELP: string = ${JSON.stringify(help)};
`;
}

if (import.meta.main) {
  const path = new URL("../lib/cli/root_help.ts", import.meta.url);
  await Deno.writeTextFile(path, rootHelpModule(await stricliRootHelp()));
}
