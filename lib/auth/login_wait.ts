/**
 * The waiting part of a login (SPEC §4 steps 5-6): the callback, a pasted redirect URL, the
 * 5-minute timeout and Ctrl-C race, and the first to finish decides. Nothing here writes to a
 * store, so whatever ends the wait leaves the user's data as it was.
 *
 * @module
 */

import type { Deps } from "../deps.ts";
import { InterruptedError, PupError } from "../errors.ts";
import type { CallbackOutcome } from "./callback_handler.ts";
import { parsePastedCallback } from "./paste.ts";

/** How long a login waits for the browser: 5 minutes, as the Rust `pup` (ref §7.2). */
export const LOGIN_TIMEOUT_MS = 300_000;

/** The message of an interrupted login; the process exits 130. */
export const INTERRUPTED_MESSAGE = "Login interrupted (Ctrl-C); nothing was saved";

/** No callback and no paste arrived in time (exit 1). */
export class LoginTimeoutError extends PupError {
  constructor(timeoutMs: number) {
    super(
      "LOGIN_TIMEOUT",
      `timeout waiting for OAuth callback (${
        Math.round(timeoutMs / 1000)
      } s): run 'pup auth login' again; on a machine without a browser add --no-browser and paste the redirected URL`,
    );
  }
}

/** One login's wait, started before the browser opens so an early callback is not missed. */
export interface LoginWait {
  /** Settles with the first valid outcome, or rejects on timeout, Ctrl-C or a bad paste. */
  readonly result: Promise<CallbackOutcome>;
  /** Whether `result` has settled. */
  readonly done: boolean;
  /** Starts reading pasted redirect URLs from stdin (ref §7.4). */
  /**
   * Also reads pasted callback URLs from stdin. With `endOnEof` (no browser was asked for, so
   * nothing else can finish the login here), the end of stdin ends the wait with a clear error;
   * otherwise it only says that the browser's callback is now the one way left.
   */
  enablePaste(opts?: { endOnEof?: boolean }): void;
  /** Shows a carriage-return countdown on stderr, updated every second, until the end. */
  startCountdown(): void;
  /** Ends the wait (if still running) and releases timers and listeners. */
  dispose(): void;
}

/**
 * Starts waiting for the outcome of a login.
 *
 * @param deps clock (timeout, countdown), stdin and stderr (paste), interrupt (Ctrl-C)
 * @param p the callback server's outcome, the flow's `state`, and the timeout
 * @returns the wait; `result` rejects with {@link InterruptedError} on Ctrl-C,
 *   {@link LoginTimeoutError} on timeout and `StateMismatchError` for a pasted foreign URL
 * @see RFC 8252 §7.3, RFC 6749 §10.12
 */
export function startLoginWait(
  deps: Pick<Deps, "clock" | "io" | "interrupt">,
  p: { outcome: Promise<CallbackOutcome>; state: string; timeoutMs?: number },
): LoginWait {
  const timeoutMs = p.timeoutMs ?? LOGIN_TIMEOUT_MS;
  const deadline = deps.clock.now() + timeoutMs;
  const stop = new AbortController();
  const settled = Promise.withResolvers<CallbackOutcome>();
  // It may settle (timeout, Ctrl-C) before the flow awaits it; the flow still sees the reason.
  settled.promise.catch(() => {});
  let done = false;
  let countdownWidth = 0;

  const finish = (settle: () => void) => {
    if (done) return;
    done = true;
    stop.abort();
    deps.interrupt.removeEventListener("abort", onInterrupt);
    if (countdownWidth > 0) deps.io.err.write(`\r${" ".repeat(countdownWidth)}\r`);
    settle();
  };
  const fail = (e: unknown) => finish(() => settled.reject(e));
  function onInterrupt() {
    fail(new InterruptedError(INTERRUPTED_MESSAGE));
  }

  p.outcome.then(
    (o) => finish(() => settled.resolve(o)),
    // The server rejects when the interrupt closes it; report the interrupt, not the closing.
    (e) => fail(deps.interrupt.aborted ? new InterruptedError(INTERRUPTED_MESSAGE) : e),
  );
  if (deps.interrupt.aborted) onInterrupt();
  else deps.interrupt.addEventListener("abort", onInterrupt, { once: true });
  deps.clock.sleep(timeoutMs, stop.signal).then(
    () => fail(new LoginTimeoutError(timeoutMs)),
    () => {/* stopped: the wait ended first */},
  );

  const left = () => {
    const total = Math.ceil(Math.max(0, deadline - deps.clock.now()) / 1000);
    return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, "0")}`;
  };
  // Paste mode cannot redraw a countdown under what the user types: the prompt says the time.
  const prompt = () => `Paste the callback URL here (${left()} left, Ctrl-C to cancel):\n> `;
  const readPastes = async (endOnEof: boolean) => {
    deps.io.err.write(prompt());
    while (!done) {
      let line: string | null;
      try {
        line = await deps.io.stdin.readLine();
      } catch (e) {
        // An overlong line is refused with its reason; the login keeps waiting for a real one.
        if ((e as { code?: string })?.code !== "LINE_TOO_LONG") throw e;
        deps.io.err.write(`⚠️  ${(e as Error).message}. ${prompt()}`);
        continue;
      }
      if (done) return;
      if (line === null) {
        if (endOnEof) {
          fail(
            new PupError(
              "USAGE",
              "Standard input ended before a callback URL was pasted. Run 'pup auth login --no-browser' in a terminal and paste the URL your browser was sent to, or run 'pup auth login' without --no-browser",
            ),
          );
        } else {
          deps.io.err.write(
            `\nStandard input ended: waiting for the browser's callback only (${left()} left)\n`,
          );
        }
        return;
      }
      if (line.trim() === "") continue;
      let verdict;
      try {
        verdict = parsePastedCallback(line, p.state);
      } catch (e) {
        fail(e);
        return;
      }
      if (verdict.kind === "invalid") {
        deps.io.err.write(`⚠️  ${verdict.message}. ${prompt()}`);
        continue;
      }
      finish(() => settled.resolve(verdict));
      return;
    }
  };

  const countdown = async () => {
    while (!done) {
      const left = Math.max(0, deadline - deps.clock.now());
      const total = Math.ceil(left / 1000);
      const text = `\r   ${Math.floor(total / 60)}:${
        String(total % 60).padStart(2, "0")
      } left to authorize (Ctrl-C to cancel) `;
      countdownWidth = Math.max(countdownWidth, text.length - 1);
      deps.io.err.write(text);
      if (left <= 0) return;
      try {
        await deps.clock.sleep(Math.min(1000, left), stop.signal);
      } catch {
        return;
      }
    }
  };

  return {
    result: settled.promise,
    get done() {
      return done;
    },
    enablePaste(opts = {}) {
      if (!done) void readPastes(opts.endOnEof ?? false).catch(fail);
    },
    startCountdown() {
      if (!done) void countdown();
    },
    dispose() {
      fail(new InterruptedError(INTERRUPTED_MESSAGE));
    },
  };
}
