/**
 * Colour for people at a terminal (issue 15): `Error:` red, `Warning:` and ⚠️ yellow, ✓/✅
 * green, ✗/❌ red, and the commands pup suggests ('pup auth login …') bold. `main.ts` wraps
 * stderr with it when stderr is a terminal and `NO_COLOR` is unset, and stdout likewise, where
 * only a line that starts with one of the marks is touched (data is never coloured).
 *
 * @see https://no-color.org/
 * @module
 */

const ESC = "\u001b[";
const paint = (code: string, text: string) => `${ESC}${code}m${text}${ESC}0m`;
const red = (t: string) => paint("31", t);
const green = (t: string) => paint("32", t);
const yellow = (t: string) => paint("33", t);
const bold = (t: string) => paint("1", t);

/**
 * Adds colour to human text, line by line.
 *
 * @param text what is about to be written
 * @param onlyMarked touch only lines that start with a mark (stdout, where data goes)
 * @returns the text with ANSI colour
 */
export function colorize(text: string, onlyMarked = false): string {
  return text.split("\n").map((line) => {
    const marked = /^\s*(✅|✓|❌|✗|⚠️)/.test(line);
    if (onlyMarked && !marked) return line;
    let out = line
      .replace(/^Error:/, red(bold("Error:")))
      .replace(/^Warning:/, yellow("Warning:"))
      .replace(/^(\s*)(✅|✓)/, (_, s: string, m: string) => s + green(m))
      .replace(/^(\s*)(❌|✗)/, (_, s: string, m: string) => s + red(m))
      .replace(/^(\s*)(⚠️)/, (_, s: string, m: string) => s + yellow(m));
    out = out.replace(/'(pup [^']*)'/g, (_, cmd: string) => `'${bold(cmd)}'`);
    return out;
  }).join("\n");
}
