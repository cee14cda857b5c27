/**
 * The real {@link Clock}: wall-clock time and an abortable sleep. Tests inject their own.
 *
 * @module
 */

import type { Clock } from "../deps.ts";

/**
 * Builds the clock `main.ts` injects.
 *
 * @returns a clock on `Date.now()` and `setTimeout`; `sleep` rejects with the signal's reason
 *   as soon as the signal aborts (at once if it already has) and leaves no timer behind
 * @see RFC 6749 §5.1 (`expires_in` is measured against this clock)
 */
export function createClock(): Clock {
  return {
    now: () => Date.now(),
    sleep(ms: number, signal?: AbortSignal): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        if (signal?.aborted) {
          reject(signal.reason);
          return;
        }
        const onAbort = () => {
          clearTimeout(timer);
          reject(signal?.reason);
        };
        const timer = setTimeout(() => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        }, Math.max(0, ms));
        signal?.addEventListener("abort", onAbort, { once: true });
      });
    },
  };
}
