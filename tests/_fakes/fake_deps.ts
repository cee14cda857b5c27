/**
 * Test `Deps`: captured stdout/stderr, a settable clock, and fetch/runner/browser that fail the
 * test when called unless a test supplies its own.
 *
 * @module
 */

import type { Browser, CommandRunner, Deps, IO, LineReader, OsName } from "../../lib/deps.ts";

/** A writer that keeps what was written. */
export class Capture {
  text = "";
  write(t: string): void {
    this.text += t;
  }
}

/** A clock whose time the test sets; `sleep` advances it instantly. */
export class FakeClock {
  constructor(public ms: number) {}
  now(): number {
    return this.ms;
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    this.ms += ms;
    return Promise.resolve();
  }
}

/** Options for `makeDeps`. */
export interface FakeDepsOptions {
  env?: Record<string, string | undefined>;
  configDir: string;
  nowMs?: number;
  os?: OsName;
  fetch?: typeof fetch;
  runner?: CommandRunner;
  browser?: Browser;
  stdinLines?: string[];
  /** stdout is a terminal; also stderr unless `stderrIsTerminal` says otherwise. */
  isTerminal?: boolean;
  stderrIsTerminal?: boolean;
  interrupt?: AbortSignal;
}

const unexpectedRunner: CommandRunner = {
  run(cmd, args) {
    throw new Error(`unexpected child process: ${cmd} ${args.join(" ")}`);
  },
};

const unexpectedFetch = ((input: RequestInfo | URL) => {
  throw new Error(`unexpected fetch: ${String(input instanceof Request ? input.url : input)}`);
}) as typeof fetch;

const unexpectedBrowser: Browser = {
  open(url) {
    throw new Error(`unexpected browser open: ${url}`);
  },
};

/** Builds test deps; `out` and `err` capture the streams. */
export function makeDeps(
  o: FakeDepsOptions,
): Deps & { out: Capture; err: Capture; fakeClock: FakeClock } {
  const out = new Capture();
  const err = new Capture();
  const lines = [...(o.stdinLines ?? [])];
  const stdin: LineReader = {
    readLine: () => Promise.resolve(lines.length ? lines.shift()! : null),
    // The lines as one text, each line ended by a newline, as a piped file would give them.
    readAll: () =>
      Promise.resolve(new TextEncoder().encode(lines.splice(0).map((l) => `${l}\n`).join(""))),
  };
  const io: IO = {
    out,
    err,
    stdin,
    isTerminal: o.isTerminal ?? false,
    stdinIsTerminal: false,
    stderrIsTerminal: o.stderrIsTerminal ?? o.isTerminal ?? false,
    color: false,
  };
  const fakeClock = new FakeClock(o.nowMs ?? Date.UTC(2026, 1, 4, 12, 0, 0));
  return {
    fetch: o.fetch ?? unexpectedFetch,
    runner: o.runner ?? unexpectedRunner,
    browser: o.browser ?? unexpectedBrowser,
    clock: fakeClock,
    random: (n) => crypto.getRandomValues(new Uint8Array(n)),
    env: { DD_TOKEN_STORAGE: "file", ...o.env },
    os: o.os ?? "linux",
    configDir: o.configDir,
    io,
    interrupt: o.interrupt ?? new AbortController().signal,
    out,
    err,
    fakeClock,
  };
}

/** Runs `fn` with a fresh temp dir, removed afterwards. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "pup-test-" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/**
 * Stderr without the one line every command prints while `PUP_MOCK_SERVER` is set, for tests
 * that compare the rest exactly.
 *
 * @param text captured stderr
 * @returns the text without that line
 */
export function stripMockNotice(text: string): string {
  return text.replace(/^Note: PUP_MOCK_SERVER is set: .*\n/m, "");
}
