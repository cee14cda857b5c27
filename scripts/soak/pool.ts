/**
 * Runs async jobs with a concurrency limit, keeping results in input order.
 *
 * @module
 */

/**
 * Maps `items` through `fn`, at most `limit` at a time.
 *
 * @param items the inputs
 * @param limit how many run at once
 * @param fn the job
 * @returns the results, in the order of `items`
 */
export async function mapPool<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
