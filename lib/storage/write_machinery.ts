/**
 * The write machinery of the stores (cross-process locks, crash-safe file replacement), loaded
 * on the first write: the commands that only read (`auth status`, an API call with a fresh
 * token) never load it, and every module costs start-up time (SPEC §8).
 *
 * @module
 */

import { lazyImport } from "../lazy_import.ts";

/** What `lock.ts` and `atomic_write.ts` export. */
export type WriteMachinery = typeof import("./lock.ts") & typeof import("./atomic_write.ts");

/**
 * Loads `lock.ts` and `atomic_write.ts` (once; later calls reuse the modules).
 *
 * @returns their exports together
 */
export async function writeMachinery(): Promise<WriteMachinery> {
  const [lock, atomic] = await Promise.all([
    lazyImport<typeof import("./lock.ts")>("./lock.ts", import.meta.url),
    lazyImport<typeof import("./atomic_write.ts")>("./atomic_write.ts", import.meta.url),
  ]);
  return { ...lock, ...atomic };
}
