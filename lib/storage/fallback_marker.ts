/**
 * What auto-detection learned the hard way, remembered beside `sessions.json` as
 * `storage_fallback.json`: an OS store that answered reads but failed the write probe before a
 * login (a kernel keyring this process may add to but not read back, as in some containers).
 * Later commands skip that store, so the sessions the login saved in files are the ones they
 * read; without it, the next `auth status` would read the (empty) keychain and say "not logged
 * in". Every fallback warning is printed once per machine state (the lines already shown are
 * kept here too); `auth status` and `auth login` name the fallback in their own output (the
 * store's location). Deleting the file makes pup try the store again and warn again.
 *
 * @module
 */

import { ensurePrivateDir } from "./private_dir.ts";
import { readStoreFile } from "./store_files.ts";
import { writeMachinery } from "./write_machinery.ts";

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
  /** Fallback warnings already shown on this machine (each is shown once). */
  warned: string[];
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
    const strings = (x: unknown): string[] =>
      Array.isArray(x) ? x.filter((s): s is string => typeof s === "string") : [];
    if (v === null || typeof v !== "object") return undefined;
    return {
      skip: strings(v.skip),
      reason: String(v.reason ?? ""),
      since: String(v.since ?? ""),
      warned: strings(v.warned),
    };
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
  const marker: FallbackMarker = {
    skip,
    reason,
    since: now.toISOString(),
    warned: old?.warned ?? [],
  };
  await writeMarker(configDir, marker);
}

/**
 * Remembers that a fallback warning was shown, so the same one is not shown again while the
 * machine stays in that state (a different reason is a new state, and is shown). Written only
 * when the config dir exists: a first command on a new machine does not create it for this.
 *
 * @param configDir the config dir
 * @param line the warning as printed
 */
export async function recordWarning(configDir: string, line: string): Promise<void> {
  try {
    if (!(await Deno.stat(configDir)).isDirectory) return;
  } catch {
    return;
  }
  const old = await readFallbackMarker(configDir);
  const marker: FallbackMarker = {
    skip: old?.skip ?? [],
    reason: old?.reason ?? "",
    since: old?.since ?? "",
    warned: [...(old?.warned ?? []).filter((w) => w !== line), line].slice(-10),
  };
  await writeMarker(configDir, marker);
}

async function writeMarker(configDir: string, marker: FallbackMarker): Promise<void> {
  const { atomicWrite } = await writeMachinery();
  await atomicWrite(`${configDir}/${FALLBACK_MARKER}`, `${JSON.stringify(marker, null, 2)}\n`);
}
