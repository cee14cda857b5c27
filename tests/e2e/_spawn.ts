/**
 * Runs `scripts/pup` as a real process with a clean, explicit environment (nothing inherited
 * but PATH, HOME and Deno's own settings), a bounded wait, and the output decoded.
 *
 * @module
 */

const repo = new URL("../../", import.meta.url).pathname;

/** What a finished `pup` process left behind. */
export interface PupRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options for one run. */
export interface SpawnOptions {
  /** Variables for pup (PUP_CONFIG_DIR, PUP_MOCK_SERVER, DD_*). */
  env: Record<string, string>;
  /** Text for stdin; stdin is closed (null) when absent. */
  stdin?: string;
  /** Kill the process after this long (SIGKILL) and fail; 60 s by default. */
  timeoutMs?: number;
}

/** Variables every run gets: enough for Deno to find its cache, and no colour. */
function baseEnv(): Record<string, string> {
  const keep = ["PATH", "HOME", "DENO_DIR", "DENO_TLS_CA_STORE", "TMPDIR"];
  const env: Record<string, string> = { NO_COLOR: "1", RUST_BACKTRACE: "0" };
  for (const k of keep) {
    const v = Deno.env.get(k);
    if (v !== undefined) env[k] = v;
  }
  return env;
}

/**
 * Runs `scripts/pup <args>`.
 *
 * @param args pup's arguments
 * @param opts environment, stdin and timeout
 * @returns exit code and output
 * @throws {Error} when the process outlives the timeout (it is killed first)
 */
export async function runPup(args: readonly string[], opts: SpawnOptions): Promise<PupRun> {
  const child = new Deno.Command(`${repo}scripts/pup`, {
    args: [...args],
    cwd: repo,
    clearEnv: true,
    env: { ...baseEnv(), ...opts.env },
    stdin: opts.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (opts.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(opts.stdin));
    await w.close();
  }
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, opts.timeoutMs ?? 60_000);
  try {
    const out = await child.output();
    if (timedOut) throw new Error(`pup ${args.join(" ")} did not finish within the timeout`);
    const dec = new TextDecoder();
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  } finally {
    clearTimeout(timer);
  }
}
