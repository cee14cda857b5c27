/**
 * Runs the real CLI (`deno run -P=pup main.ts`, as `scripts/pup` does) as a child process with
 * a controlled environment and a hard time limit, optionally as another user (`setpriv`) or
 * under `strace`. Used by the fault tests and `deno task soak`.
 *
 * @module
 */

const REPO = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");

/** The repository root. */
export const REPO_DIR = REPO;

/** What a finished CLI run left. */
export interface PupRun {
  code: number;
  stdout: string;
  stderr: string;
  /** The run outlived its time limit and was killed. */
  timedOut: boolean;
  ms: number;
}

/** Options of {@link runPup}. */
export interface RunPupOptions {
  /** Variables on top of the minimal inherited set (PATH, HOME, DENO_DIR, TLS, D-Bus). */
  env?: Record<string, string>;
  /** Text for stdin; stdin is closed (`null`) when absent. */
  stdin?: string;
  /** Killed with SIGKILL after this long (default 30 s). */
  timeoutMs?: number;
  /** Run as this uid/gid through `setpriv` (e.g. 65534, nobody). */
  asUser?: number;
  /** Write an `strace -f -e trace=execve` log of every descendant's argv here. */
  straceLog?: string;
}

const INHERITED = [
  "PATH",
  "HOME",
  "DENO_DIR",
  "DENO_TLS_CA_STORE",
  "DBUS_SESSION_BUS_ADDRESS",
  "GNOME_KEYRING_CONTROL",
  "TMPDIR",
];

/**
 * The environment a CLI run gets: a few variables inherited from this process (never the
 * caller's `DD_*` or `PUP_*`), then `extra`.
 *
 * @param extra variables to set
 * @returns the child environment
 */
export function pupEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = { NO_COLOR: "1", RUST_BACKTRACE: "0" };
  for (const name of INHERITED) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  env.DENO_TLS_CA_STORE ??= "system";
  return { ...env, ...extra };
}

/**
 * The argv that runs pup from source with the `pup` permission set.
 *
 * @param args pup's arguments
 * @returns program and arguments
 */
export function pupCommand(args: readonly string[]): [string, string[]] {
  return [Deno.execPath(), [
    "run",
    "--quiet",
    "--no-prompt",
    "--config",
    `${REPO}/deno.json`,
    "-P=pup",
    `${REPO}/main.ts`,
    ...args,
  ]];
}

/**
 * Runs `pup <args>` and collects its output.
 *
 * @param args pup's arguments
 * @param opts environment, stdin, time limit, user, strace log
 * @returns exit code and output; a killed run has `timedOut` and code 137
 */
export async function runPup(args: readonly string[], opts: RunPupOptions = {}): Promise<PupRun> {
  let [cmd, argv] = pupCommand(args);
  if (opts.straceLog) {
    argv = ["-f", "-qq", "-e", "trace=execve", "-s", "65535", "-o", opts.straceLog, cmd, ...argv];
    cmd = "strace";
  }
  if (opts.asUser !== undefined) {
    const id = String(opts.asUser);
    argv = [`--reuid=${id}`, `--regid=${id}`, "--clear-groups", cmd, ...argv];
    cmd = "setpriv";
  }
  const start = performance.now();
  const child = new Deno.Command(cmd, {
    args: argv,
    cwd: REPO,
    clearEnv: true,
    env: pupEnv(opts.env),
    stdin: opts.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
  }, opts.timeoutMs ?? 30_000);
  try {
    if (opts.stdin !== undefined) {
      const w = child.stdin.getWriter();
      await w.write(new TextEncoder().encode(opts.stdin)).catch(() => {});
      await w.close().catch(() => {});
    }
    const out = await child.output();
    const d = new TextDecoder();
    return {
      code: out.signal ? 128 + (out.signal === "SIGKILL" ? 9 : 15) : out.code,
      stdout: d.decode(out.stdout),
      stderr: d.decode(out.stderr),
      timedOut,
      ms: performance.now() - start,
    };
  } finally {
    clearTimeout(timer);
  }
}
