/**
 * End-to-end helpers: run `scripts/pup` as a real process with a chosen environment, watch its
 * stderr while it runs, and decide whether Chromium tests run (`PUP_TEST_REQUIRE_CHROMIUM=1`
 * makes a missing Chromium a failure, not a skip). Every wait is bounded.
 *
 * @module
 */

import assert from "node:assert/strict";
import { type MockDatadog, startMockDatadog } from "../../scripts/mock_datadog.ts";

/** The repository root, with a trailing slash. */
export const ROOT = new URL("../../", import.meta.url).pathname;
/** The launcher that runs main.ts with the product's permission set. */
export const PUP = `${ROOT}scripts/pup`;
/** The `$BROWSER` stand-in that drives real headless Chromium. */
export const HEADLESS_BROWSER = `${ROOT}scripts/headless_browser.sh`;
/** The Deno binary the repository pins. */
export const DENO = `${ROOT}tools/node_modules/.bin/deno`;

// Variables of the parent that would change what pup does; a child gets only what a test sets.
const PUP_VARIABLES = /^(DD_|PUP_|BROWSER$|XDG_CONFIG_HOME$|NO_COLOR$)/;

/**
 * The environment of a pup child: the parent's (PATH, HOME, DENO_DIR...) without anything
 * that steers pup, plus `NO_COLOR=1` and the test's own variables.
 *
 * @param extra the test's variables
 * @returns the complete environment
 */
export function childEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(Deno.env.toObject())) {
    if (!PUP_VARIABLES.test(k)) env[k] = v;
  }
  return { ...env, NO_COLOR: "1", ...extra };
}

/** What a finished pup run left. */
export interface PupRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** A running pup process whose output is collected as it arrives. */
export class PupProcess {
  stdout = "";
  stderr = "";
  readonly #child: Deno.ChildProcess;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  readonly #done: Promise<PupRun>;

  /**
   * Starts `scripts/pup <args>`.
   *
   * @param args pup's arguments
   * @param env the test's variables (see {@link childEnv})
   */
  constructor(args: string[], env: Record<string, string>) {
    this.#child = new Deno.Command(PUP, {
      args,
      env: childEnv(env),
      clearEnv: true,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#stdin = this.#child.stdin.getWriter();
    const collect = async (stream: ReadableStream<Uint8Array>, key: "stdout" | "stderr") => {
      for await (const text of stream.pipeThrough(new TextDecoderStream())) this[key] += text;
    };
    this.#done = Promise.all([
      collect(this.#child.stdout, "stdout"),
      collect(this.#child.stderr, "stderr"),
      this.#child.status,
    ]).then(([, , status]) => ({ code: status.code, stdout: this.stdout, stderr: this.stderr }));
  }

  /** Writes a line to the child's stdin. */
  async writeLine(line: string): Promise<void> {
    await this.write(`${line}\n`);
  }

  /** Writes text to the child's stdin as it is. */
  async write(text: string): Promise<void> {
    await this.#stdin.write(new TextEncoder().encode(text));
  }

  /** Sends a signal, e.g. SIGINT for Ctrl-C. */
  kill(signal: Deno.Signal): void {
    this.#child.kill(signal);
  }

  /**
   * Resolves once stderr matches, failing the test after `timeoutMs` or if pup exits first.
   *
   * @param pattern what to wait for
   * @param timeoutMs the bound
   * @returns the first match
   */
  async waitForStderr(pattern: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
    let exited = false;
    void this.#done.then(() => (exited = true));
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const m = this.stderr.match(pattern);
      if (m) return m;
      if (exited) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    const m = this.stderr.match(pattern);
    if (m) return m;
    this.kill("SIGKILL");
    await this.#done;
    throw new assert.AssertionError({
      message: `pup's stderr never matched ${pattern}${
        exited ? " (it exited)" : ""
      }:\n${this.stderr}`,
    });
  }

  /**
   * Closes stdin and waits for the exit, killing the process after `timeoutMs`.
   *
   * @param timeoutMs the bound
   * @param opts `keepStdin`: leave stdin open until the exit (after a signal, so that the end of
   *   stdin cannot race the signal)
   * @returns exit code and output
   */
  async finish(timeoutMs = 90_000, opts: { keepStdin?: boolean } = {}): Promise<PupRun> {
    if (!opts.keepStdin) await this.#stdin.close().catch(() => {});
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((
      r,
    ) => (timer = setTimeout(() => r("timeout"), timeoutMs)));
    const first = await Promise.race([this.#done, timeout]);
    clearTimeout(timer);
    await this.#stdin.close().catch(() => {});
    if (first === "timeout") {
      this.kill("SIGKILL");
      await this.#done;
      throw new assert.AssertionError({
        message: `pup did not exit within ${timeoutMs} ms:\n${this.stderr}`,
      });
    }
    return first;
  }
}

/**
 * Runs `scripts/pup <args>` to completion: `stdin` (if any) is written, then stdin is closed.
 *
 * @param args pup's arguments
 * @param env the test's variables
 * @param opts kill it after `timeoutMs` (90 s by default); text for stdin
 * @returns exit code and output
 */
export async function runPup(
  args: string[],
  env: Record<string, string>,
  opts: { timeoutMs?: number; stdin?: string } = {},
): Promise<PupRun> {
  const pup = new PupProcess(args, env);
  if (opts.stdin !== undefined) await pup.write(opts.stdin);
  return await pup.finish(opts.timeoutMs);
}

/** Whether `chromium` can be run. */
export async function hasChromium(): Promise<boolean> {
  try {
    const out = await new Deno.Command("chromium", {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    }).output();
    return out.success;
  } catch {
    return false;
  }
}

/**
 * `ignore` for a test that needs Chromium: skip when it is missing, unless CI set
 * `PUP_TEST_REQUIRE_CHROMIUM=1`, in which case the test runs and {@link assertChromium} fails.
 */
export const CHROMIUM_MISSING_AND_OPTIONAL = !(await hasChromium()) &&
  Deno.env.get("PUP_TEST_REQUIRE_CHROMIUM") !== "1";

/** Fails the test when Chromium is required but missing. */
export async function assertChromium(): Promise<void> {
  assert.ok(await hasChromium(), "chromium is not installed, and PUP_TEST_REQUIRE_CHROMIUM=1");
}

/** Runs `fn` with a fresh config dir, removed afterwards. */
export async function withConfigDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "pup-e2e-" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** The names of the files (not directories) in `dir`, sorted. */
export async function filesIn(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) if (e.isFile) names.push(e.name);
  return names.sort();
}

/**
 * Runs `fn` with a mock Datadog started with `opts`, closed afterwards.
 *
 * @param opts the mock's options
 * @param fn what to run against it
 * @returns what `fn` returns
 */
export async function withMock<T>(
  opts: Parameters<typeof startMockDatadog>[0],
  fn: (mock: MockDatadog) => Promise<T>,
): Promise<T> {
  const mock = await startMockDatadog(opts);
  try {
    return await fn(mock);
  } finally {
    await mock.close();
  }
}
