/**
 * The seams every command may touch. `main.ts` builds the real ones; tests build fakes
 * (`tests/_fakes/`). Nothing here has an implementation.
 *
 * @module
 */

/** A sink for text: stdout or stderr. */
export interface Writer {
  /** Writes `text` as is (no newline added). */
  write(text: string): void;
}

/** Reads standard input one line at a time. */
export interface LineReader {
  /** Resolves with the next line without its line ending, or `null` at end of input. */
  readLine(): Promise<string | null>;
  /**
   * Reads everything left on the stream as bytes (`--input -`), untouched: CRs and the final
   * newline are kept.
   *
   * @param maxBytes refuse (with `PupError` INPUT_TOO_LARGE) past this many bytes
   */
  readAll(maxBytes: number): Promise<Uint8Array>;
}

/** Wall-clock time and sleeping, injectable so expiry and timeouts are testable. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Resolves after `ms` milliseconds, or rejects with the signal's reason when it aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** What a finished child process left behind. */
export interface CommandResult {
  /** Exit code; a process killed by a signal reports 128 + the signal number. */
  code: number;
  stdout: string;
  stderr: string;
}

/** Options for one child process. */
export interface RunOptions {
  /** Text written to the child's stdin, which is then closed. Secrets travel only here. */
  stdin?: string;
  /** Kill the child and reject with `CommandTimeoutError` after this many milliseconds. */
  timeoutMs?: number;
  /** Extra environment variables for the child (merged over the parent's). */
  env?: Record<string, string>;
}

/**
 * Runs child processes. Rejects with `CommandNotFoundError` when the program does not exist and
 * `CommandTimeoutError` when it outlives `timeoutMs`; any exit code is a value, not an error.
 */
export interface CommandRunner {
  run(cmd: string, args: readonly string[], opts?: RunOptions): Promise<CommandResult>;
}

/** Outcome of trying to open a URL in the user's browser. */
export type BrowserOpenResult = { opened: true; via: string } | { opened: false; reason: string };

/** Opens URLs for the user. */
export interface Browser {
  open(url: string): Promise<BrowserOpenResult>;
}

/** The operating systems pup knows. */
export type OsName = "darwin" | "linux" | "windows";

/** Standard streams plus what the terminal supports. */
export interface IO {
  out: Writer;
  err: Writer;
  stdin: LineReader;
  /** stdout is a terminal: render tables, not JSON. */
  isTerminal: boolean;
  /** stdin is a terminal. */
  stdinIsTerminal: boolean;
  /** stderr is a terminal: live progress (the login countdown) may redraw a line. */
  stderrIsTerminal: boolean;
  /** ANSI colour allowed on stderr (false when `NO_COLOR` is set). */
  color: boolean;
  /** The terminal's width when stdout is a terminal (help wraps to it), else undefined. */
  columns?: number;
}

/** Everything a command may use from the outside world. */
export interface Deps {
  fetch: typeof fetch;
  runner: CommandRunner;
  browser: Browser;
  clock: Clock;
  /** `n` bytes from a CSPRNG. */
  random: (n: number) => Uint8Array;
  /** A snapshot of the environment taken once in `main.ts`. */
  env: Readonly<Record<string, string | undefined>>;
  os: OsName;
  /** The config dir (SPEC §3); may not exist yet. */
  configDir: string;
  io: IO;
  /** Aborted on Ctrl-C; long waits race it and end with exit code 130. */
  interrupt: AbortSignal;
}
