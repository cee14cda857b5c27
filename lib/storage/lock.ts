/**
 * Cross-process exclusive locks on lock files (`flock` through `Deno.FsFile.lock`). The kernel
 * drops a lock when its holder dies, so a killed process never leaves a lock behind.
 *
 * @module
 */

import { StorageUnavailableError } from "../errors.ts";

/** How long to wait for another pup process before giving up. */
export const DEFAULT_LOCK_TIMEOUT_MS = 60_000;

/**
 * Runs `fn` while holding an exclusive lock on `path` (created 0600 if missing).
 *
 * @param path lock file path; its directory must exist
 * @param fn the critical section
 * @param timeoutMs how long to wait for the lock
 * @returns what `fn` returns
 */
export async function withLock<T>(
  path: string,
  fn: () => Promise<T>,
  timeoutMs = DEFAULT_LOCK_TIMEOUT_MS,
): Promise<T> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true, write: true, create: true, mode: 0o600 });
  } catch (e) {
    const { fsError } = await import("./store_files.ts");
    throw fsError("create the lock file", path, e);
  }
  try {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new StorageUnavailableError(
              `Cannot take the lock "${path}" within ${
                Math.round(timeoutMs / 1000)
              } s: another pup process holds it; wait for it to finish and try again`,
            ),
          ),
        timeoutMs,
      );
    });
    try {
      await Promise.race([file.lock(true), timeout]);
    } finally {
      clearTimeout(timer);
    }
    try {
      return await fn();
    } finally {
      await file.unlock().catch(() => {});
    }
  } finally {
    file.close();
  }
}
