import assert from "node:assert/strict";
import { type CallbackOutcome, validateCallbackParams } from "../../lib/auth/callback_handler.ts";
import { LoginTimeoutError, startLoginWait } from "../../lib/auth/login_wait.ts";
import { exitCodeFor } from "../../lib/cli/exit_codes.ts";
import type { Clock, LineReader } from "../../lib/deps.ts";
import { InterruptedError, StateMismatchError } from "../../lib/errors.ts";
import { Capture } from "../_fakes/fake_deps.ts";

const STATE = "s".repeat(32);

/** A clock that moves only when the test says so; no real timers. */
class ManualClock implements Clock {
  #sleepers: { until: number; resolve: () => void }[] = [];
  constructor(public ms = Date.UTC(2026, 1, 4, 12, 0, 0)) {}
  now(): number {
    return this.ms;
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const sleeper = { until: this.ms + ms, resolve };
      this.#sleepers.push(sleeper);
      signal?.addEventListener("abort", () => {
        this.#sleepers = this.#sleepers.filter((s) => s !== sleeper);
        reject(signal.reason);
      }, { once: true });
    });
  }
  /** Moves time on and wakes the sleepers that are due. */
  advance(ms: number): void {
    this.ms += ms;
    const due = this.#sleepers.filter((s) => s.until <= this.ms);
    this.#sleepers = this.#sleepers.filter((s) => s.until > this.ms);
    for (const s of due) s.resolve();
  }
  /** How many sleeps are pending: every one must end with the wait. */
  get pending(): number {
    return this.#sleepers.length;
  }
}

/** Stdin the test types into; `end()` is end of input. */
class TypedStdin implements LineReader {
  #lines: (string | null)[] = [];
  #waiting?: (line: string | null) => void;
  type(line: string | null): void {
    const w = this.#waiting;
    this.#waiting = undefined;
    if (w) w(line);
    else this.#lines.push(line);
  }
  readLine(): Promise<string | null> {
    if (this.#lines.length > 0) return Promise.resolve(this.#lines.shift()!);
    return new Promise((resolve) => (this.#waiting = resolve));
  }
  readAll(): Promise<Uint8Array> {
    return Promise.reject(new Error("a login never reads stdin whole"));
  }
}

function setup(o: { isTerminal?: boolean; interrupt?: AbortSignal } = {}) {
  const err = new Capture();
  const clock = new ManualClock();
  const stdin = new TypedStdin();
  const callback = Promise.withResolvers<CallbackOutcome>();
  const deps = {
    clock,
    interrupt: o.interrupt ?? new AbortController().signal,
    io: {
      out: new Capture(),
      err,
      stdin,
      isTerminal: o.isTerminal ?? false,
      stdinIsTerminal: false,
      stderrIsTerminal: false,
      color: false,
    },
  };
  const wait = startLoginWait(deps, { outcome: callback.promise, state: STATE });
  return { wait, err, clock, stdin, callback };
}

function codeOutcome(code: string): CallbackOutcome {
  const v = validateCallbackParams(new URLSearchParams({ code, state: STATE }), STATE);
  assert.equal(v.kind, "code");
  return v as CallbackOutcome;
}

const tick = () => new Promise((r) => setTimeout(r, 0));

Deno.test("startLoginWait() resolves with the callback's outcome and stops its timer", async () => {
  const { wait, callback, clock } = setup();
  const outcome = codeOutcome("c1");
  callback.resolve(outcome);
  assert.equal(await wait.result, outcome);
  assert.equal(wait.done, true);
  assert.equal(clock.pending, 0);
});

Deno.test("startLoginWait() times out after 5 minutes, not a moment before", async () => {
  const { wait, clock } = setup();
  clock.advance(299_999);
  await tick();
  assert.equal(wait.done, false);
  clock.advance(1);
  await assert.rejects(wait.result, (e: unknown) => {
    assert.ok(e instanceof LoginTimeoutError);
    assert.match(
      e.message,
      /^timeout waiting for OAuth callback \(300 s\): run 'pup auth login' again/,
    );
    assert.equal(exitCodeFor(e), 1);
    return true;
  });
});

Deno.test("startLoginWait() ends with InterruptedError (exit 130) on Ctrl-C, even one pressed before it started", async () => {
  const ctrlC = new AbortController();
  const { wait, clock } = setup({ interrupt: ctrlC.signal });
  ctrlC.abort();
  await assert.rejects(wait.result, (e: unknown) => {
    assert.ok(e instanceof InterruptedError);
    assert.equal(exitCodeFor(e), 130);
    return true;
  });
  assert.equal(clock.pending, 0);
  const early = setup({ interrupt: ctrlC.signal });
  await assert.rejects(early.wait.result, InterruptedError);
});

Deno.test("startLoginWait() reports the interrupt, not the closing, when Ctrl-C closes the callback server", async () => {
  const ctrlC = new AbortController();
  const { wait, callback } = setup({ interrupt: ctrlC.signal });
  // The server listens to the same signal; its rejection may arrive first.
  ctrlC.signal.addEventListener("abort", () => callback.reject(new Error("server closed")));
  ctrlC.abort();
  await assert.rejects(wait.result, InterruptedError);
});

Deno.test("startLoginWait() re-prompts after garbage pastes and resolves with a valid one", async () => {
  const { wait, err, stdin } = setup();
  wait.enablePaste();
  const prompt = "Paste the callback URL here (5:00 left, Ctrl-C to cancel):\n> ";
  assert.equal(err.text, prompt);
  stdin.type("hello there");
  stdin.type("   ");
  stdin.type("http://127.0.0.1:8000/oauth/callback?foo=bar");
  stdin.type(`http://127.0.0.1:8000/oauth/callback?code=pasted&state=${STATE}`);
  const outcome = await wait.result;
  assert.equal(outcome.kind === "code" && outcome.callback.code, "pasted");
  assert.equal(
    err.text,
    `${prompt}⚠️  not a valid URL: paste the whole address, starting with http://. ${prompt}` +
      `⚠️  URL is missing 'code' and 'state' query parameters. ${prompt}`,
  );
});

Deno.test("startLoginWait() ends with 'state parameter mismatch (CSRF protection)' for a pasted URL of another login", async () => {
  const { wait, stdin } = setup();
  wait.enablePaste();
  stdin.type("http://127.0.0.1:8000/oauth/callback?code=stolen&state=another-login");
  await assert.rejects(wait.result, (e: unknown) => {
    assert.ok(e instanceof StateMismatchError);
    assert.equal(e.message, "state parameter mismatch (CSRF protection)");
    return true;
  });
});

Deno.test("startLoginWait() with --no-browser ends at the end of stdin with what to do", async () => {
  const { wait, stdin } = setup();
  wait.enablePaste({ endOnEof: true });
  stdin.type(null);
  await assert.rejects(wait.result, /Standard input ended before a callback URL was pasted/);
});

Deno.test("startLoginWait() keeps waiting for the callback when stdin ends", async () => {
  const { wait, stdin, callback } = setup();
  wait.enablePaste();
  stdin.type(null);
  await tick();
  assert.equal(wait.done, false);
  const outcome = codeOutcome("late");
  callback.resolve(outcome);
  assert.equal(await wait.result, outcome);
});

Deno.test("startLoginWait() counts down on stderr every second and clears the line at the end", async () => {
  const { wait, err, clock, callback } = setup({ isTerminal: true });
  wait.startCountdown();
  assert.equal(err.text, "\r   5:00 left to authorize (Ctrl-C to cancel) ");
  clock.advance(1000);
  await tick();
  assert.ok(err.text.endsWith("\r   4:59 left to authorize (Ctrl-C to cancel) "));
  clock.advance(61_000);
  await tick();
  assert.ok(err.text.endsWith("\r   3:58 left to authorize (Ctrl-C to cancel) "), err.text);
  callback.resolve(codeOutcome("c"));
  await wait.result;
  assert.ok(err.text.endsWith(`\r${" ".repeat(45)}\r`), JSON.stringify(err.text.slice(-60)));
  assert.equal(clock.pending, 0);
});
