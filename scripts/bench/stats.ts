/**
 * The bench's arithmetic: medians, ratios and how they are printed. Pure, so the smoke test
 * can check it without running anything.
 *
 * @module
 */

/**
 * The median of some samples (the mean of the two middle ones for an even count). The median,
 * not the mean, because one slow start (a page fault, a scheduler hiccup) should not move it.
 *
 * @param samples at least one finite number
 * @returns the median
 * @throws {RangeError} when there are no samples or one is not finite
 */
export function median(samples: readonly number[]): number {
  if (samples.length === 0) throw new RangeError("Cannot take the median of no samples");
  if (!samples.every(Number.isFinite)) {
    throw new RangeError("Cannot take the median of samples that are not finite numbers");
  }
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * How many times slower `value` is than `baseline`.
 *
 * @param value the measured figure (e.g. a median in ms)
 * @param baseline the reference figure, greater than 0
 * @returns `value / baseline`
 * @throws {RangeError} when the baseline is not a positive finite number
 */
export function ratio(value: number, baseline: number): number {
  if (!(baseline > 0) || !Number.isFinite(baseline)) {
    throw new RangeError(`Cannot compute a ratio against a baseline of ${baseline}`);
  }
  return value / baseline;
}

/**
 * Whether a ratio meets an "at most `limit` times" target. Ratios are compared after rounding
 * to the two decimals that are printed, so a table never shows "1.50x FAIL" against "≤ 1.50x".
 *
 * @param value the ratio
 * @param limit the largest allowed ratio
 * @returns true when the printed ratio is at most `limit`
 */
export function withinRatio(value: number, limit: number): boolean {
  return Math.round(value * 100) <= Math.round(limit * 100);
}

/**
 * Prints a ratio as the table shows it: two decimals and an `x`.
 *
 * @param value the ratio
 * @returns e.g. `"1.23x"`
 */
export function formatRatio(value: number): string {
  return `${value.toFixed(2)}x`;
}

/**
 * Prints a duration in milliseconds with one decimal.
 *
 * @param ms the duration
 * @returns e.g. `"14.2 ms"`
 */
export function formatMs(ms: number): string {
  return `${ms.toFixed(1)} ms`;
}
