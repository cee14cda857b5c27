/**
 * Cross-process exclusive locks on lock files (`flock` through `Deno.FsFile.lock`), and the
 * paths of every lock pup takes, in `<configDir>/locks/`. The kernel drops a lock when its
 * holder dies, so a killed process never leaves a lock behind.
 *
 * @module
 */

import { StorageUnavailableError } from "../errors.ts";
import { withDeadline } from "../platform/deadline.ts";
import { sanitizeSite } from "./codec.ts";
import { fsError } from "./fs_error.ts";
import { ensurePrivateDir } from "./private_dir.ts";

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
    throw fsError("create the lock file", path, e);
  }
  try {
    await withDeadline(file.lock(true), timeoutMs, () =>
      new StorageUnavailableError(
        `Cannot take the lock "${path}" within ${
          Math.round(timeoutMs / 1000)
        } s: another pup process holds it; wait for it to finish and try again`,
      ));
    try {
      return await fn();
    } finally {
      await file.unlock().catch(() => {});
    }
  } finally {
    file.close();
  }
}

/** The lock file guarding one site's store, shared by every backend. */
export function siteLockPath(configDir: string, site: string): string {
  return `${configDir}/locks/site_${sanitizeSite(site)}.lock`;
}

/**
 * The lock file held while a login finds or registers a site's DCR client, so concurrent first
 * logins register once. It is not the site lock: registration waits on the network, and the
 * store's own read-modify-write takes the site lock inside it.
 */
export function registrationLockPath(configDir: string, site: string): string {
  return `${configDir}/locks/register_${sanitizeSite(site)}.lock`;
}

/** The lock file guarding a refresh of one (site, org) session. */
export function refreshLockPath(configDir: string, site: string, orgKeyValue: string): string {
  let org = new TextEncoder().encode(orgKeyValue).toHex();
  // File names stop at 255 bytes: a long org keeps a prefix plus a hash of the whole name.
  if (org.length > 96) org = `${org.slice(0, 80)}_${fnv1a(orgKeyValue)}`;
  return `${configDir}/locks/refresh_${sanitizeSite(site)}_${org}.lock`;
}

/** Ensures the config dir and its `locks/` dir exist privately; returns the locks dir. */
export async function ensureLocksDir(configDir: string): Promise<string> {
  await ensurePrivateDir(configDir);
  const locks = `${configDir}/locks`;
  await ensurePrivateDir(locks);
  return locks;
}

function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(text)) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h.toString(16).padStart(8, "0");
}
