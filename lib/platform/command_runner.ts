/**
 * The real `CommandRunner`: every child process pup starts goes through here. Secrets reach a
 * child only on its stdin; the argv carries none.
 *
 * @module
 */

import type { CommandResult, CommandRunner, RunOptions } from "../deps.ts";
import { PupError } from "../errors.ts";
import { deadline } from "./deadline.ts";

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

// pup's own seams: a browser or keyctl has no use for them, and they say where tokens live.
const SEAMS =
  /^(PUP_(CONFIG_DIR|MOCK_SERVER|KEYCHAIN_BACKEND|TRUST_SITE|OAUTH_CALLBACK_PORT|HTTP_TIMEOUT_MS|[A-Z0-9_]*_LIB|[A-Z0-9_]*_BIN)|DD_TOKEN_STORAGE)$/;

/**
 * The environment a child process gets: the parent's without Datadog secrets (`DD_API_KEY`,
 * `DD_APP_KEY`, `DD_ACCESS_TOKEN`, any `DD_*` name with KEY, TOKEN, SECRET or PASSWORD in it)
 * and without pup's test seams (SPEC §6.3: no secret in a child's environment).
 *
 * @param parent the parent's environment
 * @param extra variables the caller sets for this child, applied last
 * @returns the child's whole environment
 */
export function childEnvironment(
  parent: Readonly<Record<string, string | undefined>>,
  extra: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(parent)) {
    if (v === undefined) continue;
    const upper = k.toUpperCase();
    if (upper.startsWith("DD_") && /KEY|TOKEN|SECRET|PASSWORD/.test(upper)) continue;
    if (SEAMS.test(upper)) continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

/**
 * Builds the runner `main.ts` injects, on `Deno.Command`.
 *
 * @param parentEnv the environment children start from, filtered by {@link childEnvironment}
 * @returns the runner
 */
export function createCommandRunner(
  parentEnv: Readonly<Record<string, string | undefined>> = Deno.env.toObject(),
): CommandRunner {
  const base = childEnvironment(parentEnv);
  return {
    async run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<CommandResult> {
      let child: Deno.ChildProcess;
      try {
        child = new Deno.Command(cmd, {
          args: [...args],
          stdin: opts.stdin === undefined ? "null" : "piped",
          stdout: "piped",
          stderr: "piped",
          env: { ...base, ...opts.env },
          clearEnv: true,
        }).spawn();
      } catch (e) {
        if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.PermissionDenied) {
          throw new CommandNotFoundError(cmd, { cause: e });
        }
        throw e;
      }
      let timedOut = false;
      const disarm = opts.timeoutMs === undefined ? () => {} : deadline(opts.timeoutMs, () => {
        timedOut = true;
        try {
          child.kill("SIGKILL");
        } catch { /* already gone */ }
      });
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
        disarm();
      }
    },
  };
}
