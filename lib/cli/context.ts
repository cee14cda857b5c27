/**
 * The stricli command context: the streams stricli writes help to, plus pup's `Deps`.
 *
 * @module
 */

import type { CommandContext } from "@stricli/core";
import type { Deps } from "../deps.ts";

/** What every pup command receives as `this`. */
export interface PupContext extends CommandContext {
  readonly deps: Deps;
  /** Set by a command that ends without an error but with a non-zero exit code. */
  exitCode?: number;
}

/** Flags every command accepts (SPEC §2 global options). */
export interface GlobalFlags {
  readonly org?: string;
  readonly output?: "json" | "table";
}

/** The stricli definitions of the global flags, spread into each command's flags. */
export const globalFlagParams = {
  org: {
    kind: "parsed",
    parse: String,
    brief: "Named session (org label) to use; env DD_ORG",
    optional: true,
    placeholder: "name",
  },
  output: {
    kind: "enum",
    values: ["json", "table"],
    brief: "Output format; JSON when stdout is not a terminal",
    optional: true,
  },
} as const;

/** The `-o` alias for `--output`. */
export const globalAliases = { o: "output" } as const;
