/**
 * A self-checking fake `CommandRunner`: tests register the commands they expect, in order,
 * with a result for each. A call that does not match the next expectation fails the test
 * (`verify()` reports it even when the code under test swallows the rejection), and
 * `verify()` fails on expectations never used.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { CommandResult, CommandRunner, RunOptions } from "../../lib/deps.ts";

/** One expected command and what it does. */
export interface RunExpectation {
  /** The program, exactly. */
  cmd: string;
  /** The arguments, exactly, when given. */
  args?: readonly string[];
  /** The stdin text, exactly, when given (`null`: no stdin at all). */
  stdin?: string | null;
  /** The result (`code` defaults to 0, output to ""); or an error to reject with. */
  result?: Partial<CommandResult> | Error;
  /** Settles the call instead of `result`: for a command still running. */
  pending?: Promise<CommandResult>;
}

/** A call the runner received. */
export interface RunCall {
  cmd: string;
  args: readonly string[];
  opts?: RunOptions;
}

/** The fake; pass it where a `CommandRunner` is expected. */
export class FakeRunner implements CommandRunner {
  readonly #queue: RunExpectation[] = [];
  readonly #failures: unknown[] = [];
  /** Every call received, in order. */
  readonly calls: RunCall[] = [];

  /** Adds an expectation after the ones already registered. */
  expect(e: RunExpectation): this {
    this.#queue.push(e);
    return this;
  }

  /** Runs nothing: checks the call against the next expectation and answers for it. */
  run(cmd: string, args: readonly string[], opts?: RunOptions): Promise<CommandResult> {
    this.calls.push({ cmd, args: [...args], opts });
    const next = this.#queue.shift();
    try {
      assert.ok(next, `unexpected command: ${cmd} ${args.join(" ")}`);
      assert.equal(cmd, next.cmd, "command");
      if (next.args !== undefined) assert.deepEqual([...args], [...next.args], `${cmd} args`);
      if (next.stdin !== undefined) assert.equal(opts?.stdin ?? null, next.stdin, `${cmd} stdin`);
    } catch (e) {
      this.#failures.push(e);
      return Promise.reject(e);
    }
    if (next.pending) return next.pending;
    if (next.result instanceof Error) return Promise.reject(next.result);
    return Promise.resolve({ code: 0, stdout: "", stderr: "", ...next.result });
  }

  /** Fails on any mismatched call seen so far and on expectations never used. */
  verify(): void {
    if (this.#failures.length > 0) throw this.#failures[0];
    assert.deepEqual(
      this.#queue.map((e) => e.cmd),
      [],
      "expected commands that never ran",
    );
  }
}
