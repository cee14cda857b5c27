/**
 * `pup completions bash|zsh|fish`: a completion script generated from the route tree itself, so
 * it never lists a command that does not exist, with each command's and flag's description and
 * the values a flag takes: sites, output formats, callback ports, HTTP methods, shells, and the
 * org names of `sessions.json` (asked of `pup completions orgs` at completion time, local only).
 * Native scripts for each shell: bash `complete -F`, zsh `_describe`/`compadd`, fish `complete`.
 *
 * @module
 */

import type { Command, RouteMap } from "@stricli/core";
import { KNOWN_SITES } from "../../config/site.ts";
import type { Deps } from "../../deps.ts";
import { UsageError } from "../../errors.ts";
import { SessionsRegistry } from "../../storage/sessions.ts";
import type { GlobalFlags, PupContext } from "../context.ts";
import { OUTPUT_FORMATS } from "../output.ts";

/** The shells there are scripts for. */
export const SHELLS = ["bash", "zsh", "fish"] as const;

/** Options of `completions`: a shell's script, or the stored org names (for the scripts). */
export interface CompletionsOptions {
  shell: (typeof SHELLS)[number] | "orgs";
}

/** Flags and the shell argument → options (pure). */
export function parseCompletionsArgs(_flags: GlobalFlags, shell: string): CompletionsOptions {
  if (shell !== "orgs" && !(SHELLS as readonly string[]).includes(shell)) {
    throw new UsageError(`Cannot write completions for "${shell}": choose bash, zsh or fish`);
  }
  return { shell: shell as CompletionsOptions["shell"] };
}

/** A word to offer and what it means. */
export interface Choice {
  word: string;
  description: string;
}

/** One node of the command tree: the words leading to it, its subcommands and its flags. */
export interface TreeNode {
  path: string[];
  children: Choice[];
  flags: Choice[];
  /** Flags that take a value, with what to offer for it (`@orgs`: ask pup at completion time). */
  values: Record<string, string[]>;
  /** Words for the command's positional argument, when they are known. */
  positional: string[];
}

/** What a flag of a given name takes, when it is known. */
const FLAG_VALUES: Record<string, string[]> = {
  "--site": [...KNOWN_SITES],
  "--org": ["@orgs"],
  "--output": [...OUTPUT_FORMATS],
  "-o": [...OUTPUT_FORMATS],
  "--callback-port": ["8000", "8080", "8888", "9000"],
  "--method": ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"],
  "-X": ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"],
};

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

type Flag = { kind: string; brief?: string; hidden?: boolean };

/** Walks a stricli route map into a flat list of nodes. */
export function commandTree(
  target: Command<PupContext> | RouteMap<PupContext>,
  path: string[] = [],
): TreeNode[] {
  const routeMap = target as RouteMap<PupContext>;
  if (typeof routeMap.getAllEntries === "function") {
    const entries = routeMap.getAllEntries().filter((e) => !e.hidden);
    const children = entries.map((e) => ({
      word: e.name.original,
      description: (e.target as { brief?: string }).brief ?? "",
    }));
    // Global flags may come before the command (lib/cli/argv.ts): offer them at the root.
    const flags = path.length === 0
      ? [
        { word: "--org", description: "Named session (org label) to use" },
        { word: "--output", description: "Output format" },
        { word: "--help", description: "Print help information and exit" },
        { word: "--version", description: "Print the version and exit" },
      ]
      : [{ word: "--help", description: "Print help information and exit" }];
    const values: Record<string, string[]> = path.length === 0
      ? {
        "--org": FLAG_VALUES["--org"],
        "--output": FLAG_VALUES["--output"],
        "-o": FLAG_VALUES["-o"],
      }
      : {};
    return [
      { path, children, flags, values, positional: [] },
      ...entries.flatMap((e) =>
        commandTree(e.target as Command<PupContext> | RouteMap<PupContext>, [
          ...path,
          e.name.original,
        ])
      ),
    ];
  }
  const params = (target as {
    parameters: { flags?: Record<string, Flag>; aliases?: Record<string, string> };
  }).parameters;
  const flags: Choice[] = [];
  const values: Record<string, string[]> = {};
  for (const [name, f] of Object.entries(params.flags ?? {})) {
    if (f.hidden) continue;
    const word = `--${kebab(name)}`;
    flags.push({ word, description: f.brief ?? "" });
    if (f.kind !== "boolean") values[word] = FLAG_VALUES[word] ?? [];
  }
  for (const [alias, name] of Object.entries(params.aliases ?? {})) {
    const long = `--${kebab(name)}`;
    flags.push({
      word: `-${alias}`,
      description: flags.find((f) => f.word === long)?.description ?? "",
    });
    if (long in values) values[`-${alias}`] = values[long];
  }
  flags.push({ word: "--help", description: "Print help information and exit" });
  const positional = path.join(" ") === "completions" ? [...SHELLS] : [];
  return [{ path, children: [], flags, values, positional }];
}

const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

/** The shell words for a value list: static words, or the stored orgs asked of pup. */
function valueWords(list: string[], orgs: string): string {
  return list.includes("@orgs") ? orgs : list.join(" ");
}

/**
 * The shell loop both bash and zsh scripts run: the command words typed so far, skipping flags
 * and the values of flags that take one.
 */
function commandPath(valueFlags: string[], words: string, first: number, current: string): string {
  return `  for ((i = ${first}; i < ${current}; i++)); do
    case "\${${words}[i]}" in
      ${valueFlags.join("|")}) i=$((i + 1)) ;;
      -*) ;;
      *) path="\${path:+$path }\${${words}[i]}" ;;
    esac
  done
`;
}

function bash(nodes: readonly TreeNode[]): string {
  const valueFlags = [...new Set(nodes.flatMap((n) => Object.keys(n.values)))];
  const flagCases = [...new Set(nodes.flatMap((n) => Object.entries(n.values)))].map((
    [flag, list],
  ) => `    ${flag}) opts="${valueWords(list, "$(pup completions orgs 2>/dev/null)")}" ;;`);
  const uniqueFlagCases = [...new Set(flagCases)].join("\n");
  const cases = nodes.map((n) =>
    `    "${n.path.join(" ")}") opts="${
      [...n.children.map((c) => c.word), ...n.flags.map((f) => f.word), ...n.positional].join(" ")
    }" ;;`
  ).join("\n");
  return `# pup completions for bash. Install: echo 'source <(pup completions bash)' >> ~/.bashrc
_pup_complete() {
  local i path="" cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" opts=""
  case "$prev" in
${uniqueFlagCases}
  esac
  if [ -n "$opts" ] || [[ " ${valueFlags.join(" ")} " == *" $prev "* ]]; then
    COMPREPLY=( $(compgen -W "$opts" -- "$cur") )
    return
  fi
${commandPath(valueFlags, "COMP_WORDS", 1, "COMP_CWORD")}  case "$path" in
${cases}
  esac
  COMPREPLY=( $(compgen -W "$opts" -- "$cur") )
}
complete -F _pup_complete pup
`;
}

function zsh(nodes: readonly TreeNode[]): string {
  const described = (choices: Choice[]) =>
    choices.map((c) => quote(`${c.word.replaceAll(":", "\\:")}:${c.description}`)).join(" ");
  const valueFlags = [...new Set(nodes.flatMap((n) => Object.keys(n.values)))];
  const flagCases = [
    ...new Set(
      nodes.flatMap((n) => Object.entries(n.values)).map(([flag, list]) =>
        `    ${flag}) compadd -- ${
          list.includes("@orgs") ? '${(f)"$(pup completions orgs 2>/dev/null)"}' : list.join(" ")
        }; return ;;`
      ),
    ),
  ].join("\n");
  const cases = nodes.map((n) => {
    const parts = [];
    if (n.children.length) parts.push(`cmds=(${described(n.children)}); _describe 'command' cmds`);
    parts.push(`flags=(${described(n.flags)}); _describe 'flag' flags`);
    if (n.positional.length) parts.push(`compadd -- ${n.positional.join(" ")}`);
    return `    "${n.path.join(" ")}") ${parts.join("; ")} ;;`;
  }).join("\n");
  return `#compdef pup
# pup completions for zsh. Install: pup completions zsh > "\${fpath[1]}/_pup", then restart zsh
# (or: source <(pup completions zsh) after compinit).
_pup() {
  local -a cmds flags
  local i path="" prev="\${words[CURRENT-1]}"
  case "$prev" in
${flagCases}
  esac
${commandPath(valueFlags, "words", 2, "CURRENT")}  case "$path" in
${cases}
  esac
}
compdef _pup pup
`;
}

function fish(nodes: readonly TreeNode[]): string {
  const lines = [
    "# pup completions for fish. Install: pup completions fish > ~/.config/fish/completions/pup.fish",
  ];
  for (const n of nodes) {
    const cond = n.path.length === 0
      ? "__fish_use_subcommand"
      : `__fish_seen_subcommand_from ${n.path[n.path.length - 1]}`;
    for (const c of n.children) {
      lines.push(`complete -c pup -f -n '${cond}' -a ${quote(c.word)} -d ${quote(c.description)}`);
    }
    for (const f of n.flags) {
      const name = f.word.startsWith("--") ? `-l ${f.word.slice(2)}` : `-s ${f.word.slice(1)}`;
      const list = n.values[f.word];
      const takes = list === undefined
        ? ""
        : list.includes("@orgs")
        ? ` -x -a '(pup completions orgs 2>/dev/null)'`
        : list.length
        ? ` -x -a ${quote(list.join(" "))}`
        : " -r";
      lines.push(`complete -c pup -f -n '${cond}' ${name} -d ${quote(f.description)}${takes}`);
    }
    if (n.positional.length) {
      lines.push(`complete -c pup -f -n '${cond}' -a ${quote(n.positional.join(" "))}`);
    }
  }
  return lines.join("\n") + "\n";
}

/** Renders the script for one shell. */
export function renderCompletions(
  shell: (typeof SHELLS)[number],
  nodes: readonly TreeNode[],
): string {
  return shell === "bash" ? bash(nodes) : shell === "zsh" ? zsh(nodes) : fish(nodes);
}

/**
 * Prints the script, or (`orgs`) the org names of `sessions.json`, one per line.
 *
 * @param opts the shell
 * @param deps the seams
 * @param root the route tree to describe
 */
export async function runCompletions(
  opts: CompletionsOptions,
  deps: Deps,
  root: RouteMap<PupContext>,
): Promise<number> {
  if (opts.shell === "orgs") {
    const rows = await new SessionsRegistry(deps.configDir).read().catch(() => []);
    const orgs = [...new Set(rows.map((r) => r.org).filter((o): o is string => o !== null))];
    // Completion words must be plain: names with spaces or controls are left out.
    deps.io.out.write(
      orgs.filter((o) => /^[\w.@+-]+$/.test(o)).sort().map((o) => `${o}\n`).join(""),
    );
    return 0;
  }
  deps.io.out.write(renderCompletions(opts.shell, commandTree(root)));
  return 0;
}

/** The stricli entry point. */
export default async function completions(this: PupContext, flags: GlobalFlags, shell: string) {
  this.exitCode = await runCompletions(parseCompletionsArgs(flags, shell), this.deps, this.root!);
}
