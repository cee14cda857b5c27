/**
 * The real {@link Clock}: wall-clock time and an abortable sleep. Tests inject their own.
 *
 * @module
 */

import type { Clock } from "../deps.ts";
import { deadline } from "./deadline.ts";

/**
 * Builds the clock `main.ts` injects.
 *
 * @returns a clock on `Date.now()` and `deadline` (not `setTimeout`, whose first use costs
 *   10-12 ms of start-up in Deno 2.9); `sleep` rejects with the signal's reason
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
          disarm();
          reject(signal?.reason);
        };
        const disarm = deadline(ms, () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        });
        signal?.addEventListener("abort", onAbort, { once: true });
      });
    },
  };
}
