/**
 * Runs pup (and the hello-world baseline) as real processes, exactly as `scripts/pup` does:
 * `deno run --quiet --no-prompt -P=pup --config deno.json <file>`, with a controlled
 * environment, a time limit, and the wall time from spawn to exit.
 *
 * @module
 */

/** Where the repo's pieces are. */
export interface RepoPaths {
  repo: string;
  denoJson: string;
  mainTs: string;
  /** The Deno that runs the bench, used for every child. */
  deno: string;
  /** The auto-approving `$BROWSER` stand-in. */
  fastBrowser: string;
  secretServiceWrapper: string;
}

/**
 * The repo's paths, from this module's location.
 *
 * @returns absolute paths
 */
export function repoPaths(): RepoPaths {
  const repo = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");
  return {
    repo,
    denoJson: `${repo}/deno.json`,
    mainTs: `${repo}/main.ts`,
    deno: Deno.execPath(),
    fastBrowser: `${repo}/scripts/fast_browser.sh`,
    secretServiceWrapper: `${repo}/scripts/with_secret_service.sh`,
  };
}

/** Variables a child keeps from the bench's environment: what Deno and the tools need. */
const KEPT = [
  "PATH",
  "HOME",
  "TMPDIR",
  "DENO_DIR",
  "XDG_CACHE_HOME",
  "DENO_TLS_CA_STORE",
  "DBUS_SESSION_BUS_ADDRESS",
  "XDG_RUNTIME_DIR",
  "GNOME_KEYRING_CONTROL",
];

/**
 * The environment every child starts from: a few variables kept from `parent` (so Deno finds
 * its cache and tools their bus), `NO_COLOR`, and nothing of the user's Datadog settings
 * (`DD_SITE`, `DD_API_KEY`, ...), which would change what is measured.
 *
 * @param parent the bench's environment
 * @returns a fresh environment
 */
export function childEnv(parent: Readonly<Record<string, string>>): Record<string, string> {
  const env: Record<string, string> = { NO_COLOR: "1", RUST_BACKTRACE: "0" };
  for (const key of KEPT) if (parent[key] !== undefined) env[key] = parent[key];
  return env;
}

/**
 * The `deno` arguments that run a file the way `scripts/pup` runs `main.ts`.
 *
 * @param paths the repo paths
 * @param file the entry file (main.ts, or the hello world)
 * @param args its arguments
 * @returns the argv after `deno`
 */
export function denoRunArgs(paths: RepoPaths, file: string, args: readonly string[]): string[] {
  return ["run", "--quiet", "--no-prompt", "-P=pup", "--config", paths.denoJson, file, ...args];
}

/** What one child did. */
export interface TimedResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit. */
  ms: number;
  timedOut: boolean;
}

/** Options for {@link runTimed}. */
export interface RunTimedOptions {
  env: Record<string, string>;
  cwd?: string;
  /** Killed (SIGKILL) after this long; the result then has `timedOut`. */
  timeoutMs: number;
}

/**
 * Runs one process to completion with stdin closed and output captured.
 *
 * @param cmd the program
 * @param args its arguments
 * @param opts environment (replacing the bench's), working dir and time limit
 * @returns its exit code, output and wall time
 */
export async function runTimed(
  cmd: string,
  args: readonly string[],
  opts: RunTimedOptions,
): Promise<TimedResult> {
  const start = performance.now();
  const child = new Deno.Command(cmd, {
    args: [...args],
    env: opts.env,
    clearEnv: true,
    cwd: opts.cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      child.kill("SIGKILL");
    } catch {
      // It exited in the meantime.
    }
  }, opts.timeoutMs);
  try {
    const out = await child.output();
    const ms = performance.now() - start;
    const decoder = new TextDecoder();
    return {
      code: out.code,
      stdout: decoder.decode(out.stdout),
      stderr: decoder.decode(out.stderr),
      ms,
      timedOut,
    };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs `pup <args>` from source.
 *
 * @param paths the repo paths
 * @param args pup's arguments
 * @param opts environment and time limit
 * @returns the result
 */
export function runPup(
  paths: RepoPaths,
  args: readonly string[],
  opts: RunTimedOptions,
): Promise<TimedResult> {
  return runTimed(paths.deno, denoRunArgs(paths, paths.mainTs, args), {
    cwd: paths.repo,
    ...opts,
  });
}

/**
 * A one-line description of a failed run for the table, without its output (which could hold
 * a token if pup misbehaved).
 *
 * @param what the command, e.g. "pup auth login"
 * @param r the result
 * @returns e.g. `pup auth login exited 1: Error: ...` with only the first `Error:` line
 */
export function describeFailure(what: string, r: TimedResult): string {
  if (r.timedOut) return `${what} timed out`;
  const error = r.stderr.split("\n").find((l) => l.startsWith("Error:"));
  return `${what} exited ${r.code}${error ? `: ${error.slice(0, 200)}` : ""}`;
}
