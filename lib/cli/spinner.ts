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
 * @param deps stderr, whether it is a terminal, and the clock
 * @param label what is awaited, e.g. `Waiting for api.datadoghq.com`
 * @param work the wait
 * @returns what `work` resolves to
 */
export async function withSpinner<T>(
  deps: Pick<Deps, "io" | "clock">,
  label: string,
  work: Promise<T>,
): Promise<T> {
  if (!deps.io.stderrIsTerminal) return await work;
  const stop = new AbortController();
  let drawn = 0;
  const spin = async () => {
    try {
      await deps.clock.sleep(1000, stop.signal);
      for (let i = 0;; i++) {
        const text = `\r${FRAMES[i % FRAMES.length]} ${label}`;
        drawn = Math.max(drawn, text.length);
        deps.io.err.write(text);
        await deps.clock.sleep(100, stop.signal);
      }
    } catch {
      // stopped: the wait is over
    }
  };
  const spinning = spin();
  try {
    return await work;
  } finally {
    stop.abort();
    await spinning;
    if (drawn) deps.io.err.write(`\r${" ".repeat(drawn)}\r`);
  }
}
