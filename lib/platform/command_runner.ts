/**
 * The real `CommandRunner`: every child process pup starts goes through here. Secrets reach a
 * child only on its stdin; the argv carries none.
 *
 * @module
 */

import type { CommandResult, CommandRunner, RunOptions } from "../deps.ts";
import { PupError } from "../errors.ts";

/** The program does not exist or cannot be executed. */
export class CommandNotFoundError extends PupError {
  /** The program that was asked for. */
  readonly command: string;
  constructor(command: string, options?: ErrorOptions) {
    super("COMMAND_NOT_FOUND", `Cannot run "${command}": the program was not found`, options);
    this.command = command;
  }
}

/** The program did not finish within its timeout and was killed. */
export class CommandTimeoutError extends PupError {
  readonly command: string;
  readonly timeoutMs: number;
  constructor(command: string, timeoutMs: number) {
    super(
      "COMMAND_TIMEOUT",
      `"${command}" did not finish within ${timeoutMs} ms and was stopped`,
    );
    this.command = command;
    this.timeoutMs = timeoutMs;
  }
}

const SIGNAL_NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

/** Builds the runner `main.ts` injects, on `Deno.Command`. */
export function createCommandRunner(): CommandRunner {
  return {
    async run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<CommandResult> {
      let child: Deno.ChildProcess;
      try {
        child = new Deno.Command(cmd, {
          args: [...args],
          stdin: opts.stdin === undefined ? "null" : "piped",
          stdout: "piped",
          stderr: "piped",
          env: opts.env,
        }).spawn();
      } catch (e) {
        if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.PermissionDenied) {
          throw new CommandNotFoundError(cmd, { cause: e });
        }
        throw e;
      }
      let timedOut = false;
      const timer = opts.timeoutMs === undefined ? undefined : setTimeout(() => {
        timedOut = true;
        try {
          child.kill("SIGKILL");
        } catch { /* already gone */ }
      }, opts.timeoutMs);
      try {
        if (opts.stdin !== undefined) {
          const writer = child.stdin.getWriter();
          // A child that exits without reading its stdin breaks the pipe; its exit code tells why.
          await writer.write(new TextEncoder().encode(opts.stdin)).catch(() => {});
          await writer.close().catch(() => {});
        }
        const out = await child.output();
        if (timedOut) throw new CommandTimeoutError(cmd, opts.timeoutMs!);
        const decoder = new TextDecoder();
        const code = out.signal ? 128 + (SIGNAL_NUMBERS[out.signal] ?? 0) : out.code;
        return { code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
