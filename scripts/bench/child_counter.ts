/**
 * Counts the child processes a pup command starts: each tool pup may run (by `PATH` or through
 * `PUP_SECRET_TOOL_BIN` and friends) is replaced by a small `sh` wrapper that appends one line to
 * a log and then `exec`s the real tool, so behaviour and exit codes are unchanged.
 *
 * The log line holds the tool's name and its first argument only (the subcommand, such as
 * `lookup`): pup never puts a secret on argv, and the counter does not record more than it needs.
 *
 * @module
 */

/** The environment variable naming the log file each wrapper appends to. */
export const CHILD_LOG_ENV = "PUP_BENCH_CHILD_LOG";

/** One recorded child process. */
export interface ChildRecord {
  tool: string;
  /** The first argument (e.g. `lookup`), or "" when there was none. */
  subcommand: string;
}

/**
 * Quotes a string for a POSIX shell: single quotes, with each `'` written as `'\''`.
 *
 * @param text any string
 * @returns the quoted word
 */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * The text of one counting wrapper.
 *
 * @param name the tool's name as logged (letters, digits, `.`, `_`, `-`)
 * @param realPath the absolute path of the tool to run
 * @returns a `sh` script
 * @throws {TypeError} for a name that could not be logged as one word
 */
export function wrapperScript(name: string, realPath: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(name)) {
    throw new TypeError(`Cannot wrap a tool named ${JSON.stringify(name)}: use [A-Za-z0-9._-]`);
  }
  // Writes to /dev/null when the log is not set, so a stray run outside the bench still works;
  // `printf %s` keeps a first argument that starts with "-" or holds "%" literal.
  return `#!/bin/sh
printf '%s %s\\n' ${name} "\${1-}" >> "\${${CHILD_LOG_ENV}:-/dev/null}"
exec ${shellQuote(realPath)} "$@"
`;
}

/**
 * Finds a program on a `PATH` string, as a shell would.
 *
 * @param name the program name
 * @param path the `PATH` value (`:`-separated)
 * @returns the absolute path of the first executable match, or `undefined`
 */
export async function findOnPath(name: string, path: string): Promise<string | undefined> {
  for (const dir of path.split(":")) {
    if (!dir.startsWith("/")) continue;
    const candidate = `${dir}/${name}`;
    try {
      const info = await Deno.stat(candidate);
      if (info.isFile && info.mode !== null && (info.mode & 0o111) !== 0) return candidate;
    } catch {
      // Not in this directory; keep looking.
    }
  }
  return undefined;
}

/**
 * Writes one counting wrapper per tool into `dir` (made executable).
 *
 * @param dir an existing directory, typically put first on the child's `PATH`
 * @param tools tool name → absolute path of the real program
 * @returns tool name → wrapper path
 */
export async function writeCountingWrappers(
  dir: string,
  tools: Readonly<Record<string, string>>,
): Promise<Record<string, string>> {
  const wrappers: Record<string, string> = {};
  for (const [name, realPath] of Object.entries(tools)) {
    const path = `${dir}/${name}`;
    await Deno.writeTextFile(path, wrapperScript(name, realPath), { mode: 0o755 });
    // The mode option is masked by the umask; make sure the wrapper is executable.
    await Deno.chmod(path, 0o755);
    wrappers[name] = path;
  }
  return wrappers;
}

/**
 * Parses a wrapper log.
 *
 * @param text the log's content ("" when nothing ran)
 * @returns one record per child process, in order
 */
export function parseChildLog(text: string): ChildRecord[] {
  return text.split("\n").filter((line) => line !== "").map((line) => {
    const space = line.indexOf(" ");
    return space < 0
      ? { tool: line, subcommand: "" }
      : { tool: line.slice(0, space), subcommand: line.slice(space + 1) };
  });
}

/**
 * Reads a wrapper log; a log that was never created means no child ran.
 *
 * @param path the log file
 * @returns the records
 */
export async function readChildLog(path: string): Promise<ChildRecord[]> {
  try {
    return parseChildLog(await Deno.readTextFile(path));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
}

/** The subcommands that read a secure store, per tool. */
const READS: Readonly<Record<string, readonly string[]>> = {
  "secret-tool": ["lookup", "search"],
  keyctl: ["pipe", "print", "read", "search", "request"],
  security: ["find-generic-password"],
  // One PowerShell process per operation (SPEC §6.2): every run counts as one store access.
  powershell: [""],
  "powershell.exe": [""],
};

/**
 * How many of the records are secure-store reads.
 *
 * @param records the parsed log
 * @returns the number of reads (a PowerShell run counts whatever its arguments)
 */
export function countStoreReads(records: readonly ChildRecord[]): number {
  return records.filter((r) => {
    const subs = READS[r.tool];
    if (subs === undefined) return false;
    return subs.includes("") || subs.includes(r.subcommand);
  }).length;
}

/**
 * Summarises records as `tool sub ×n` groups, for the table.
 *
 * @param records the parsed log
 * @returns e.g. `"secret-tool lookup ×1"`, or `"none"`
 */
export function describeChildren(records: readonly ChildRecord[]): string {
  if (records.length === 0) return "none";
  const counts = new Map<string, number>();
  for (const r of records) {
    const key = r.subcommand ? `${r.tool} ${r.subcommand}` : r.tool;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => `${k} ×${n}`).join(", ");
}
