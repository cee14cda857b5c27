/**
 * The stricli application: every route, its flags and help. Command bodies load lazily, so
 * `pup --help` and `pup auth status` load only what they run.
 *
 * @module
 */

import {
  type Application,
  buildApplication,
  buildCommand,
  buildRouteMap,
  help,
  text_en,
  version,
} from "@stricli/core";
import { VERSION } from "../version.ts";
import { globalAliases, globalFlagParams, type PupContext } from "./context.ts";
import { exitCodeFor, formatError } from "./exit_codes.ts";
import { authRoutes } from "./routes/auth.ts";
import { dataRoutes } from "./routes/data.ts";
import { lazyImport } from "../lazy_import.ts";

const completions = buildCommand({
  loader: () =>
    lazyImport<typeof import("./commands/completions.ts")>(
      "./commands/completions.ts",
      import.meta.url,
    ),
  parameters: {
    flags: { ...globalFlagParams },
    aliases: globalAliases,
    positional: {
      kind: "tuple",
      parameters: [{ brief: "Shell: bash, zsh or fish", parse: String, placeholder: "shell" }],
    },
  },
  docs: {
    brief: "Print a shell completion script (bash, zsh or fish)",
    fullDescription: `Install:
  bash: echo 'source <(pup completions bash)' >> ~/.bashrc
  zsh:  pup completions zsh > "\${fpath[1]}/_pup"   (then restart zsh)
  fish: pup completions fish > ~/.config/fish/completions/pup.fish
The scripts complete commands, flags and their values (sites, formats, ports, methods), and org
names from sessions.json through 'pup completions orgs', which prints them one per line.`,
  },
});

/** The route tree; exported so completions can walk it. */
export const root = buildRouteMap({
  routes: {
    auth: authRoutes,
    ...dataRoutes,
    completions,
  },
  docs: {
    brief: "pup: a Datadog CLI with OAuth2 login, secure token storage and named sessions",
    fullDescription:
      "Global flags, before or after the command: --org <name> (env DD_ORG), -o/--output json|table|yaml|csv|tsv (env DD_OUTPUT), --jq <expr>, --read-only, -v/--verbose. 'pup help <command>' shows a command's flags. Exit codes: 0 ok, 1 error, 2 usage, 3 not authenticated, 130 interrupted.",
  },
});

/** Builds the application with pup's error format and exit codes. */
export function buildPupApp(): Application<PupContext> {
  const formatting = {
    useAliasInUsageLine: false,
    onlyRequiredInUsageLine: false,
    caseStyle: "convert-camel-to-kebab",
  } as const;
  // Explicit integrations leave out stricli's --help-all, which would take -H, the header flag
  // of `pup api` (curl's and the spelling); pup has no hidden commands to show.
  const integrations = {
    help: help<PupContext>({
      brief: "Print help information and exit",
      alias: "h",
      defaultForRouteMap: true,
      formatting,
    }),
    version: version<PupContext>({
      brief: "Print version information and exit",
      alias: "v",
      info: { currentVersion: VERSION },
    }),
  };
  return buildApplication(root, {
    name: "pup",
    scanner: { caseStyle: "allow-kebab-for-camel" },
    documentation: { caseStyle: "convert-camel-to-kebab" },
    determineExitCode: exitCodeFor,
    localization: {
      loadText: () => ({
        ...text_en,
        // stricli adds the line ending after these.
        exceptionWhileRunningCommand: (exc: unknown) => formatError(exc).trimEnd(),
        commandErrorResult: (err: Error) => formatError(err).trimEnd(),
      }),
    },
  }, integrations);
}
