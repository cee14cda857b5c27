/**
 * Argument forms people type that stricli's grammar does not take as they are, rewritten
 * before parsing: global flags before the command (`pup --org x auth status`, `pup -o json auth
 * list`, as gh and the Rust pup accept), `pup help <command>` and `pup version`.
 *
 * @module
 */

/** Global flags that take a value, by every spelling. */
const WITH_VALUE = new Set(["--org", "--output", "-o", "--site", "--jq"]);
/** Global switches. `-v` is `--verbose` only before a command: alone it is `--version`. */
const SWITCHES = new Set(["--read-only", "--verbose", "-v", "--trust-site"]);

/**
 * Rewrites `argv` into the form stricli parses: leading global flags move after the command
 * (where every command accepts them); `help [command...]` becomes `[command...] --help`;
 * `version` becomes `--version`.
 *
 * @param argv the arguments after the program name
 * @returns the arguments to parse (a new array)
 */
export function normalizeArgv(argv: readonly string[]): string[] {
  const moved: string[] = [];
  let i = 0;
  while (i < argv.length) {
    const arg = argv[i];
    const name = arg.includes("=") ? arg.slice(0, arg.indexOf("=")) : arg;
    if (WITH_VALUE.has(name)) {
      if (name === arg) {
        if (i + 1 >= argv.length) break;
        moved.push(arg, argv[i + 1]);
        i += 2;
      } else {
        moved.push(arg);
        i += 1;
      }
    } else if (SWITCHES.has(arg) && i + 1 < argv.length) {
      moved.push(arg === "-v" ? "--verbose" : arg);
      i += 1;
    } else {
      break;
    }
  }
  if (moved.length === 0 || i >= argv.length) return rewriteWords([...argv]);
  return [...rewriteWords(argv.slice(i)), ...moved];
}

function rewriteWords(argv: string[]): string[] {
  if (argv[0] === "help") return [...argv.slice(1), "--help"];
  if (argv[0] === "version" && argv.length === 1) return ["--version"];
  return argv;
}
