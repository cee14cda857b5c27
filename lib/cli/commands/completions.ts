/**
 * `pup completions bash|zsh|fish`: a completion script generated from the route tree itself, so
 * it never lists a command that does not exist.
 *
 * @module
 */

import type { Command, RouteMap } from "@stricli/core";
import type { Deps } from "../../deps.ts";
import { UsageError } from "../../errors.ts";
import type { GlobalFlags, PupContext } from "../context.ts";

/** Options of `completions`. */
export interface CompletionsOptions {
  shell: "bash" | "zsh" | "fish";
}

/** Flags and the shell argument → options (pure). */
export function parseCompletionsArgs(_flags: GlobalFlags, shell: string): CompletionsOptions {
  if (shell !== "bash" && shell !== "zsh" && shell !== "fish") {
    throw new UsageError(`Cannot write completions for "${shell}": choose bash, zsh or fish`);
  }
  return { shell };
}

/** One node of the command tree: the words leading to it, its subcommands and its flags. */
export interface TreeNode {
  path: string[];
  children: string[];
  flags: string[];
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** Walks a stricli route map into a flat list of nodes. */
export function commandTree(
  target: Command<PupContext> | RouteMap<PupContext>,
  path: string[] = [],
): TreeNode[] {
  const routeMap = target as RouteMap<PupContext>;
  if (typeof routeMap.getAllEntries === "function") {
    const entries = routeMap.getAllEntries().filter((e) => !e.hidden);
    const node = { path, children: entries.map((e) => e.name.original), flags: ["--help"] };
    return [
      node,
      ...entries.flatMap((e) =>
        commandTree(e.target as Command<PupContext> | RouteMap<PupContext>, [
          ...path,
          e.name.original,
        ])
      ),
    ];
  }
  const params = (target as {
    parameters: { flags?: Record<string, unknown>; aliases?: Record<string, string> };
  })
    .parameters;
  const flags = Object.keys(params.flags ?? {}).map((f) => `--${kebab(f)}`);
  for (const alias of Object.keys(params.aliases ?? {})) flags.push(`-${alias}`);
  return [{ path, children: [], flags: [...flags, "--help"] }];
}

/** Renders the script for one shell. */
export function renderCompletions(
  shell: CompletionsOptions["shell"],
  nodes: readonly TreeNode[],
): string {
  const words = (n: TreeNode) => [...n.children, ...n.flags].join(" ");
  if (shell === "fish") {
    const lines = [
      "# pup completions for fish: pup completions fish > ~/.config/fish/completions/pup.fish",
    ];
    for (const n of nodes) {
      const cond = n.path.length === 0
        ? "__fish_use_subcommand"
        : `__fish_seen_subcommand_from ${n.path[n.path.length - 1]}`;
      for (const c of n.children) lines.push(`complete -c pup -f -n '${cond}' -a '${c}'`);
      for (const f of n.flags) {
        if (f.startsWith("--")) lines.push(`complete -c pup -f -n '${cond}' -l '${f.slice(2)}'`);
      }
    }
    return lines.join("\n") + "\n";
  }
  const cases = nodes.map((n) => `    "${n.path.join(" ")}") opts="${words(n)}" ;;`).join("\n");
  const body = `_pup_complete() {
  local i path="" cur="\${COMP_WORDS[COMP_CWORD]}"
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in -*) ;; *) path="\${path:+\$path }\${COMP_WORDS[i]}" ;; esac
  done
  local opts=""
  case "\$path" in
${cases}
  esac
  COMPREPLY=( \$(compgen -W "\$opts" -- "\$cur") )
}
`;
  if (shell === "bash") {
    return `# pup completions for bash: source <(pup completions bash)\n${body}complete -F _pup_complete pup\n`;
  }
  return `#compdef pup\n# pup completions for zsh: pup completions zsh > "\${fpath[1]}/_pup"\nautoload -U +X bashcompinit && bashcompinit\n${body}complete -F _pup_complete pup\n`;
}

/** Prints the script. */
export async function runCompletions(opts: CompletionsOptions, deps: Deps): Promise<number> {
  const { root } = await import("../app.ts");
  deps.io.out.write(renderCompletions(opts.shell, commandTree(root)));
  return 0;
}

/** The stricli entry point. */
export default async function completions(this: PupContext, flags: GlobalFlags, shell: string) {
  this.exitCode = await runCompletions(parseCompletionsArgs(flags, shell), this.deps);
}
