/**
 * The root help text, generated from stricli's output by `deno task gen-help`
 * (scripts/gen_root_help.ts); tests/cli/fast_path_test.ts fails when it is stale.
 *
 * @module
 */

/** What `pup --help` prints. */
export const ROOT_HELP: string =
  "USAGE\n  pup auth login|status|refresh|logout|list|token|test|switch|scopes ...\n  pup api [--org <name>] [--output <json|table|yaml|csv|tsv>] [--jq <expr>] [--read-only] [--verbose] [--trust-site] [--method <METHOD>] [--field <key=value>]... [--header <header>]... [--input <file>] <path>\n  pup monitors list|get ...\n  pup logs query ...\n  pup metrics query ...\n  pup completions [--org <name>] [--output <json|table|yaml|csv|tsv>] [--jq <expr>] [--read-only] [--verbose] <shell>\n  pup --help\n  pup --version\n\nGlobal flags, before or after the command: --org <name> (env DD_ORG), -o/--output json|table|yaml|csv|tsv (env DD_OUTPUT), --jq <expr>, --read-only, -v/--verbose. 'pup help <command>' shows a command's flags. Exit codes: 0 ok, 1 error, 2 usage, 3 not authenticated, 130 interrupted.\n\nFLAGS\n  -h --help     Print help information and exit\n  -v --version  Print version information and exit\n\nCOMMANDS\n  auth         Log in, inspect and manage sessions\n  api          Call any Datadog API endpoint and print the JSON answer\n  monitors     List and show monitors\n  logs         Search logs\n  metrics      Query metrics\n  completions  Print a shell completion script (bash, zsh or fish)\n\nEXAMPLES\n  pup auth login\n  pup --org prod monitors list\n  pup help auth login\n";
