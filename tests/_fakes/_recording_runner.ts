/**
 * A `CommandRunner` decorator that records every call, argv and stdin apart, so tests can
 * assert that no secret ever reached an argv (SPEC §6.3 first rule) and count processes.
 * (For scripted answers without real processes, use `fake_runner.ts`.)
 *
 * @module
 */

import assert from "node:assert/strict";
import type { CommandResult, CommandRunner, RunOptions } from "../../lib/deps.ts";

/** One call as the code under test made it. */
export interface RecordedCall {
  cmd: string;
  args: string[];
  stdin?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}

/** Records calls and forwards them to an inner runner. */
export class RecordingRunner implements CommandRunner {
  /** Every call, in order. */
  readonly calls: RecordedCall[] = [];
  readonly #inner: CommandRunner;
  readonly #env?: Record<string, string>;

  /**
   * @param inner the runner that really runs the program
   * @param env variables merged over every child's environment (e.g. a test's D-Bus address)
   */
  constructor(inner: CommandRunner, env?: Record<string, string>) {
    this.#inner = inner;
    this.#env = env;
  }

  run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<CommandResult> {
    const env = this.#env || opts.env ? { ...opts.env, ...this.#env } : undefined;
    this.calls.push({ cmd, args: [...args], stdin: opts.stdin, env, timeoutMs: opts.timeoutMs });
    return this.#inner.run(cmd, args, { ...opts, ...(env ? { env } : {}) });
  }

  /**
   * Fails when any recorded argv (or program path) contains one of `secrets`.
   *
   * @param secrets values that must only ever travel on stdin
   */
  assertNoSecretInArgv(secrets: readonly string[]): void {
    assert.ok(this.calls.length > 0, "no command was recorded");
    for (const call of this.calls) {
      for (const part of [call.cmd, ...call.args]) {
        for (const secret of secrets) {
          assert.ok(!part.includes(secret), `a secret reached the argv of ${call.cmd}`);
        }
      }
    }
  }
}
