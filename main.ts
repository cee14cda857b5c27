/**
 * The composition root: builds the real `Deps`, runs the CLI and exits with its code. The only
 * file that calls `Deno.exit`, reads `Deno.env` wholesale or touches `console`.
 *
 * @module
 */

import { runCli } from "./lib/cli/run_cli.ts";
import { EXIT, formatError } from "./lib/cli/exit_codes.ts";
import { resolveConfigDir } from "./lib/config/config_dir.ts";
import type { CommandRunner, Deps, LineReader, OsName, Writer } from "./lib/deps.ts";
import { InterruptedError } from "./lib/errors.ts";
import { createClock } from "./lib/platform/clock.ts";
import { lazyImport } from "./lib/lazy_import.ts";

function syncWriter(file: { writeSync(p: Uint8Array): number }): Writer {
  const encoder = new TextEncoder();
  return {
    write(text: string) {
      let bytes = encoder.encode(text);
      try {
        while (bytes.length > 0) bytes = bytes.subarray(file.writeSync(bytes));
      } catch (e) {
        // A closed pipe (`pup auth list | head`) is not an error of ours.
        if (!(e instanceof Deno.errors.BrokenPipe)) throw e;
      }
    },
  };
}

async function main(): Promise<number> {
  const env = Deno.env.toObject();
  const os: OsName = Deno.build.os === "darwin"
    ? "darwin"
    : Deno.build.os === "windows"
    ? "windows"
    : "linux";
  const colorErr = !env.NO_COLOR && Deno.stderr.isTerminal();
  const colorOut = !env.NO_COLOR && Deno.stdout.isTerminal();
  const { colorize } = colorErr || colorOut
    ? await lazyImport<typeof import("./lib/cli/style.ts")>("./lib/cli/style.ts", import.meta.url)
    : { colorize: (t: string) => t };
  const plainErr = syncWriter(Deno.stderr);
  const plainOut = syncWriter(Deno.stdout);
  const err: Writer = colorErr ? { write: (t) => plainErr.write(colorize(t)) } : plainErr;
  let configDir: string;
  try {
    configDir = resolveConfigDir(env, os);
  } catch (e) {
    err.write(formatError(e));
    return EXIT.error;
  }
  const interrupt = new AbortController();
  let interrupts = 0;
  const onInterrupt = () => {
    // The first Ctrl-C lets a waiting login clean up; a second one leaves at once.
    if (++interrupts > 1) Deno.exit(EXIT.interrupted);
    interrupt.abort(new InterruptedError());
  };
  // Ctrl-C is ours from the first use of `deps.interrupt` (a wait, a request, a login) on:
  // binding the listener costs about 1 ms that a command which never waits (`auth status`)
  // does not pay. Before that, Ctrl-C ends the process as the system does, which the stores'
  // crash safety covers (a write is a rename or one keychain call).
  let listening = false;
  // What most commands never use loads on first use: every module costs start-up time.
  let realRunner: Promise<CommandRunner> | undefined;
  const runner: CommandRunner = {
    run: async (cmd, args, opts) =>
      (await (realRunner ??= lazyImport<typeof import("./lib/platform/command_runner.ts")>(
        "./lib/platform/command_runner.ts",
        import.meta.url,
      ).then((m) => m.createCommandRunner(env))))
        .run(cmd, args, opts),
  };
  let realStdin: Promise<LineReader> | undefined;
  const loadStdin = () =>
    realStdin ??= lazyImport<typeof import("./lib/platform/stdin.ts")>(
      "./lib/platform/stdin.ts",
      import.meta.url,
    ).then((m) => m.createLineReader(() => Deno.stdin.readable));
  const stdin: LineReader = {
    readLine: async () => (await loadStdin()).readLine(),
    readAll: async (maxBytes) => (await loadStdin()).readAll(maxBytes),
  };
  const deps: Deps = {
    fetch: globalThis.fetch,
    runner,
    browser: {
      open: async (url) =>
        (await lazyImport<typeof import("./lib/platform/browser.ts")>(
          "./lib/platform/browser.ts",
          import.meta.url,
        )).createBrowser(runner, env, os).open(url),
    },
    clock: createClock(),
    random: (n) => crypto.getRandomValues(new Uint8Array(n)),
    env,
    os,
    configDir,
    io: {
      out: colorOut ? { write: (t: string) => plainOut.write(colorize(t, true)) } : plainOut,
      err,
      stdin,
      isTerminal: Deno.stdout.isTerminal(),
      stdinIsTerminal: Deno.stdin.isTerminal(),
      stderrIsTerminal: Deno.stderr.isTerminal(),
      color: colorErr,
      columns: Deno.stdout.isTerminal() ? Deno.consoleSize().columns : undefined,
    },
    get interrupt() {
      if (!listening) {
        listening = true;
        Deno.addSignalListener("SIGINT", onInterrupt);
      }
      return interrupt.signal;
    },
  };
  try {
    return await runCli(Deno.args, deps);
  } catch (e) {
    err.write(formatError(e));
    return EXIT.error;
  } finally {
    if (listening) Deno.removeSignalListener("SIGINT", onInterrupt);
  }
}

Deno.exit(await main());
