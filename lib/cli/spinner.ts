/**
 * A spinner on stderr while a network wait lasts more than a second, on a terminal only (issue
 * 15: a slow API call was a blank screen for up to 30 s). It draws on one line with `\r` and
 * clears that line when the wait ends, so nothing of it stays in the output.
 *
 * @module
 */

import type { Deps } from "../deps.ts";

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/**
 * Runs `work`, showing `label` with a spinner once it has taken a second.
 *
 * @param deps stderr and whether it is a terminal
 * @param label what is awaited, e.g. `Waiting for api.datadoghq.com`
 * @param work the wait
 * @param timing when the spinner appears and how fast it turns (tests shorten both)
 * @returns what `work` resolves to
 */
export async function withSpinner<T>(
  deps: Pick<Deps, "io">,
  label: string,
  work: Promise<T>,
  timing: { delayMs: number; frameMs: number } = { delayMs: 1000, frameMs: 100 },
): Promise<T> {
  if (!deps.io.stderrIsTerminal) return await work;
  // Real timers, not deps.clock: a fake clock that jumps would spin without end. The spinner
  // only draws; nothing of what a command does depends on it.
  let frame = 0;
  let drawn = 0;
  let ticker: ReturnType<typeof setInterval> | undefined;
  const draw = () => {
    const text = `\r${FRAMES[frame++ % FRAMES.length]} ${label}`;
    drawn = Math.max(drawn, text.length);
    deps.io.err.write(text);
  };
  const starter = setTimeout(() => {
    draw();
    ticker = setInterval(draw, timing.frameMs);
  }, timing.delayMs);
  try {
    return await work;
  } finally {
    clearTimeout(starter);
    clearInterval(ticker);
    if (drawn) deps.io.err.write(`\r${" ".repeat(drawn)}\r`);
  }
}
