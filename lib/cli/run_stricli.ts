/**
 * Runs an argv through the stricli application: every route, flag form and help page.
 *
 * @module
 */

import { run, type StricliProcess } from "@stricli/core";
import type { Deps } from "../deps.ts";
import { buildPupApp, root } from "./app.ts";
import type { PupContext } from "./context.ts";
import { EXIT } from "./exit_codes.ts";
import { lazyImport } from "../lazy_import.ts";

/** Route maps: their subcommand is part of the command a help line names. */
const ROUTE_MAPS = new Set(["auth", "monitors", "logs", "metrics"]);
const COMMANDS = new Set([...ROUTE_MAPS, "api", "completions"]);

/**
 * The command an argv names, for "pup <command> --help": `auth login`, `api`, or none.
 *
 * @param argv the parsed arguments
 * @returns e.g. `auth login`, or `""`
 */
export function commandOf(argv: readonly string[]): string {
  if (!COMMANDS.has(argv[0] ?? "")) return "";
  const sub = argv[1];
  return ROUTE_MAPS.has(argv[0]) && sub && !sub.startsWith("-") ? `${argv[0]} ${sub}` : argv[0];
}

/**
 * A scanner error as pup words every usage error: `Error: ` first, flags in the kebab-case the
 * help shows (stricli suggests `--readOnly`), and the exact help command for that command last.
 *
 * @param text what stricli wrote
 * @param argv the parsed arguments
 * @returns the lines for stderr
 */
export function usageError(text: string, argv: readonly string[]): string {
  const kebab = text.trim().replace(
    /--([a-z]+(?:[A-Z][a-z0-9]*)+)\b/g,
    (_, name: string) => `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`,
  ).replace(/\bgot NaN\b/, "which is not a number");
  const command = commandOf(argv);
  const line = kebab.startsWith("Error:") ? kebab : `Error: ${kebab}`;
  return `${line}\nRun 'pup ${command ? `${command} ` : ""}--help' for usage.\n`;
}

/**
 * Runs `pup <argv>` through stricli.
 *
 * @param argv arguments after the program name
 * @param deps the seams
 * @returns the process exit code (SPEC §2)
 */
export async function runStricli(argv: readonly string[], deps: Deps): Promise<number> {
  // stricli writes only its own messages here (scanner errors); pup's go to deps.io.err.
  let scannerText = "";
  // A help page is reshaped as a whole (placeholders, EXAMPLES, wrapping): collect it first.
  const helpPage = argv.length === 0 || argv.includes("--help") || argv.includes("-h") ||
    (argv.length === 1 && ROUTE_MAPS.has(argv[0]));
  let helpText = "";
  const context: PupContext & { process: StricliProcess } = {
    process: {
      stdout: helpPage ? { write: (text: string) => void (helpText += text) } : deps.io.out,
      stderr: { write: (text: string) => void (scannerText += text) },
      env: { STRICLI_SKIP_VERSION_CHECK: "1", STRICLI_NO_COLOR: deps.io.color ? undefined : "1" },
      exitCode: undefined,
    },
    deps,
    root,
  };
  await run(buildPupApp(), argv, context);
  if (helpText) {
    const { formatHelp } = await lazyImport<typeof import("./help_format.ts")>(
      "./help_format.ts",
      import.meta.url,
    );
    deps.io.out.write(formatHelp(helpText, commandOf(argv), deps.io.columns));
  }
  const code = Number(context.process.exitCode ?? 0);
  // stricli reports scanner failures (unknown flag or command, bad value) as negative codes.
  if (code < 0) {
    deps.io.err.write(usageError(scannerText, argv));
    return EXIT.usage;
  }
  deps.io.err.write(scannerText);
  if (code !== 0) return code;
  return context.exitCode ?? EXIT.ok;
}
