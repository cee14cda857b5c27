/**
 * The stricli command context: the streams stricli writes help to, plus pup's `Deps`.
 *
 * @module
 */

import type { CommandContext, RouteMap } from "@stricli/core";
import type { Deps } from "../deps.ts";
import { OUTPUT_FORMATS, type OutputFormat } from "./output.ts";

/** What every pup command receives as `this`. */
export interface PupContext extends CommandContext {
  readonly deps: Deps;
  /** The route tree, for commands that describe it (completions); set by `run_stricli.ts`. */
  readonly root?: RouteMap<PupContext>;
  /** Set by a command that ends without an error but with a non-zero exit code. */
  exitCode?: number;
}

/** Flags every command accepts (SPEC §2 global options). */
export interface GlobalFlags {
  readonly org?: string;
  readonly output?: OutputFormat;
  readonly jq?: string;
  readonly readOnly?: boolean;
  readonly verbose?: boolean;
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
    values: OUTPUT_FORMATS,
    brief: "Output format; env DD_OUTPUT or PUP_OUTPUT; JSON when stdout is not a terminal",
    optional: true,
  },
  jq: {
    kind: "parsed",
    parse: String,
    brief: "Filter the JSON result through a jq expression",
    optional: true,
    placeholder: "expr",
  },
  readOnly: {
    kind: "boolean",
    brief: "Read-only mode: refuse API calls that change anything; logins ask read scopes only",
    optional: true,
    withNegated: false,
  },
  verbose: {
    kind: "boolean",
    brief: "Print each request line and rate-limit headers to stderr (never a credential)",
    optional: true,
    withNegated: false,
  },
} as const;

/** The `-o` alias for `--output`, `-v` for `--verbose`. */
export const globalAliases = { o: "output", v: "verbose" } as const;
