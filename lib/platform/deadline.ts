/**
 * Timeouts that cost nothing at start-up. In Deno 2.9 the first touch of the global
 * `setTimeout` loads Node's timers module, measured at 10-12 ms here: a fifth of a hello
 * world, paid by every command that merely armed a timeout. `AbortSignal.timeout` costs
 * about 0.5 ms; its timer keeps the process alive only while a listener is attached, so
 * removing the listener disarms it.
 *
 * @module
 */

/**
 * Calls `onTimeout` once, after `ms` milliseconds, unless disarmed first.
 *
 * @param ms the delay (a negative one is 0)
 * @param onTimeout what to do when it passes
 * @returns disarms the deadline (safe to call twice, or after it fired)
 */
export function deadline(ms: number, onTimeout: () => void): () => void {
  const signal = AbortSignal.timeout(Math.max(0, ms));
  const listener = () => onTimeout();
  signal.addEventListener("abort", listener, { once: true });
  return () => signal.removeEventListener("abort", listener);
}

/**
 * Settles as `work` does, or rejects with `onTimeout()`'s error once `ms` have passed.
 *
 * @param work the promise to wait for
 * @param ms how long to wait
 * @param onTimeout builds the error (and may clean up, e.g. close a connection)
 */
export async function withDeadline<T>(
  work: Promise<T>,
  ms: number,
  onTimeout: () => Error,
): Promise<T> {
  let disarm = () => {};
  const timeout = new Promise<never>((_, reject) => {
    disarm = deadline(ms, () => reject(onTimeout()));
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    disarm();
  }
}
