/**
 * What auto-detection learned the hard way, remembered beside `sessions.json` as
 * `storage_fallback.json`: an OS store that answered reads but failed the write probe before a
 * login (a kernel keyring this process may add to but not read back, as in some containers).
 * Later commands skip that store, so the sessions the login saved in files are the ones they
 * read; without it, the next `auth status` would read the (empty) keychain and say "not logged
 * in". The warning is printed once, when the marker is written; `auth status` and `auth login`
 * name the fallback in their own output. Deleting the file makes pup try the store again.
 *
 * @module
 */

import { atomicWrite } from "./atomic_write.ts";
import { ensurePrivateDir, readStoreFile } from "./store_files.ts";

/** The file name, in the config dir. */
export const FALLBACK_MARKER = "storage_fallback.json";

/** What the marker holds. */
export interface FallbackMarker {
  /** Backend names to skip, e.g. `kernel-keyring`. */
  skip: string[];
  /** Why, in words, for `auth status`. */
  reason: string;
  /** When it was written (RFC 3339). */
  since: string;
}

/**
 * Reads the marker; a missing or unreadable one is "nothing to skip" (it only saves a probe).
 *
 * @param configDir the config dir
 */
export async function readFallbackMarker(configDir: string): Promise<FallbackMarker | undefined> {
  try {
    const text = await readStoreFile(`${configDir}/${FALLBACK_MARKER}`);
    if (text === undefined) return undefined;
    const v = JSON.parse(text);
    if (!Array.isArray(v?.skip) || !v.skip.every((s: unknown) => typeof s === "string")) {
      return undefined;
    }
    return { skip: v.skip, reason: String(v.reason ?? ""), since: String(v.since ?? "") };
  } catch {
    return undefined;
  }
}

/**
 * Adds `backend` to the marker (0600, atomic).
 *
 * @param configDir the config dir
 * @param backend the backend that failed its write probe
 * @param reason why, for `auth status`
 * @param now the time to record
 */
export async function writeFallbackMarker(
  configDir: string,
  backend: string,
  reason: string,
  now: Date,
): Promise<void> {
  const old = await readFallbackMarker(configDir);
  const skip = [...new Set([...(old?.skip ?? []), backend])];
  await ensurePrivateDir(configDir);
  const marker: FallbackMarker = { skip, reason, since: now.toISOString() };
  await atomicWrite(`${configDir}/${FALLBACK_MARKER}`, `${JSON.stringify(marker, null, 2)}\n`);
}
