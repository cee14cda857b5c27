/**
 * Runs a secure-store tool (today only `keyctl`: the other stores are reached in-process) with
 * a timeout, and turns "cannot run it" and "it hung" into storage errors that name the tool and
 * say what to do next, so every tool call has a timeout and the same failure wording (DESIGN
 * rule 5; SPEC §6.3 last rule).
 *
 * @module
 */

import type { CommandResult, CommandRunner } from "../deps.ts";
import { StorageUnavailableError } from "../errors.ts";
import { CommandNotFoundError, CommandTimeoutError } from "../platform/command_runner.ts";
import { StoreAbsentError } from "./secret_store.ts";

/** One tool and how to talk about it. */
export interface ToolSpec {
  /** Runs the program. */
  runner: CommandRunner;
  /** Program name or absolute path. */
  tool: string;
  /** Kill it after this many milliseconds. */
  timeoutMs: number;
  /** Remedy when the program is missing, e.g. `install it with 'apt-get install keyutils'`. */
  installHint: string;
  /** Remedy when the program hangs, e.g. `unlock the keychain first`. */
  hangHint: string;
}

/**
 * Runs `spec.tool` once. Exit codes come back as values; only "not found" and "timed out" throw.
 *
 * @param spec the tool, its timeout and remedies
 * @param action what the call does, for messages (`find-generic-password`); never a secret
 * @param args argv after the program; never holds a secret
 * @param stdin text for the child's stdin, the only place a secret may travel
 * @returns exit code, stdout and stderr
 * @throws StoreAbsentError when the program does not exist
 * @throws StorageUnavailableError when it outlives `spec.timeoutMs`
 */
export async function runTool(
  spec: ToolSpec,
  action: string,
  args: readonly string[],
  stdin?: string,
): Promise<CommandResult> {
  try {
    return await spec.runner.run(spec.tool, args, { stdin, timeoutMs: spec.timeoutMs });
  } catch (e) {
    if (e instanceof CommandNotFoundError) {
      throw new StoreAbsentError(
        `Cannot run "${spec.tool}": the program was not found; ${spec.installHint}, or use DD_TOKEN_STORAGE=file`,
        { cause: e },
      );
    }
    if (e instanceof CommandTimeoutError) {
      throw new StorageUnavailableError(
        `"${spec.tool}" (${action}) did not answer within ${
          formatSeconds(spec.timeoutMs)
        } and was stopped; ${spec.hangHint}, or use DD_TOKEN_STORAGE=file`,
        { cause: e },
      );
    }
    throw e;
  }
}

/**
 * The first non-empty line of a tool's stderr, trimmed and capped, for error messages. Only use
 * it for tools that never echo their stdin (where secrets travel).
 *
 * @param stderr the captured stderr
 * @returns `""` when there is nothing to show
 */
export function firstLine(stderr: string): string {
  const line = stderr.split("\n").map((l) => l.trim()).find((l) => l !== "") ?? "";
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/** UTF-8 length of `text` in bytes: the unit every tool limit is stated in. */
export function utf8Length(text: string): number {
  return new TextEncoder().encode(text).length;
}
