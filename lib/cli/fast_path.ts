/**
 * The start-up fast path: `pup`, `pup --help`, `pup --version` and `pup auth status` with plain
 * `--org X`, `--site X`, `-o/--output json|table` flags run without loading stricli, which costs
 * about a third of a cold start. The fast path accepts only that narrow grammar and declines
 * anything else (`--org=x`, unknown flags, repeated flags), so stricli stays the one parser of
 * record; tests/cli/fast_path_test.ts checks that both give the same help text and options.
 *
 * @module
 */

import type { Deps } from "../deps.ts";
import { VERSION } from "../version.ts";
import { globalAliases, globalFlagParams, type GlobalFlags } from "./context.ts";
import { siteFlag } from "./flags.ts";
import { exitCodeFor, formatError } from "./exit_codes.ts";
import { lazyImport } from "../lazy_import.ts";

/**
 * The flags of `auth status` the fast path understands, by spelling: built from the very flag
 * specs stricli is given (`globalFlagParams`, `globalAliases`, `siteFlag`), so a flag is declared
 * once. Only flags that take one plain value are here; anything else declines to stricli.
 */
const STATUS_SPECS = { org: globalFlagParams.org, output: globalFlagParams.output, site: siteFlag };
const STATUS_FLAGS: Record<string, keyof typeof STATUS_SPECS> = Object.fromEntries([
  ...Object.keys(STATUS_SPECS).map((name) => [`--${name}`, name]),
  ...Object.entries(globalAliases)
    .filter(([, name]) => Object.hasOwn(STATUS_SPECS, name))
    .map(([alias, name]) => [`-${alias}`, name]),
]);
/** The `-o` values the fast path renders itself (the others go through stricli). */
const FAST_OUTPUTS: readonly string[] = ["json", "table"];

/**
 * Parses `auth status` flags in the narrow grammar.
 *
 * @param rest the arguments after `auth status`
 * @returns the flags object stricli would build, or undefined to decline
 */
export function parseFastStatusFlags(
  rest: readonly string[],
): (GlobalFlags & { site?: string }) | undefined {
  const flags: { org?: string; site?: string; output?: "json" | "table" } = {};
  for (let i = 0; i < rest.length; i += 2) {
    const name = Object.hasOwn(STATUS_FLAGS, rest[i]) ? STATUS_FLAGS[rest[i]] : undefined;
    const value = rest[i + 1];
    // Values that look like flags, and repeated flags, are stricli's to judge.
    if (!name || value === undefined || value.startsWith("-") || flags[name] !== undefined) {
      return undefined;
    }
    if (name === "output") {
      if (
        !FAST_OUTPUTS.includes(value) || !globalFlagParams.output.values.includes(value as never)
      ) {
        return undefined;
      }
      flags.output = value as "json" | "table";
    } else {
      flags[name] = value;
    }
  }
  return flags;
}

/**
 * Runs `argv` if it is in the fast path's grammar.
 *
 * @returns the exit code, or undefined when stricli must handle the argv
 */
export async function runFastPath(
  argv: readonly string[],
  deps: Deps,
): Promise<number | undefined> {
  if (argv.length === 0 || (argv.length === 1 && (argv[0] === "--help" || argv[0] === "-h"))) {
    const [{ formatHelp }, { ROOT_HELP }] = await Promise.all([
      lazyImport<typeof import("./help_format.ts")>("./help_format.ts", import.meta.url),
      lazyImport<typeof import("./root_help.ts")>("./root_help.ts", import.meta.url),
    ]);
    deps.io.out.write(formatHelp(ROOT_HELP, "", deps.io.columns));
    return 0;
  }
  if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-v")) {
    deps.io.out.write(`${VERSION}\n`);
    return 0;
  }
  if (argv[0] !== "auth" || argv[1] !== "status") return undefined;
  const flags = parseFastStatusFlags(argv.slice(2));
  if (!flags) return undefined;
  try {
    const { parseAuthStatusArgs, runAuthStatus } = await lazyImport<
      typeof import("./commands/auth_status.ts")
    >("./commands/auth_status.ts", import.meta.url);
    return await runAuthStatus(parseAuthStatusArgs(flags), deps);
  } catch (e) {
    deps.io.err.write(formatError(e));
    return exitCodeFor(e);
  }
}
