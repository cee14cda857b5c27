/**
 * Safe reading of pup's own files and the directories they live in: no following symlinks, no
 * directories, no huge files, and errors that name the file and the next step.
 *
 * @module
 */

import { StorageCorruptError, StorageUnavailableError } from "../errors.ts";
import { sanitizeSite } from "./codec.ts";

/** The largest store file pup reads; a real one is a few kilobytes. */
export const MAX_STORE_FILE_BYTES = 1024 * 1024;

/**
 * Reads a store file, or `undefined` when it does not exist. Store files are a few kilobytes, so
 * the reads are synchronous: that avoids a thread-pool round trip per call on every command's
 * start-up path (see docs/bench.md).
 *
 * @param path the file
 * @throws {StorageCorruptError} for a symlink, a directory or a file over 1 MiB
 * @throws {StorageUnavailableError} when it cannot be read (permissions)
 */
export function readStoreFile(path: string): Promise<string | undefined> {
  try {
    return Promise.resolve(readStoreFileSync(path));
  } catch (e) {
    return Promise.reject(e);
  }
}

function readStoreFileSync(path: string): string | undefined {
  let info: Deno.FileInfo;
  try {
    info = Deno.lstatSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw unreadable(path, e);
  }
  if (info.isSymlink) {
    throw new StorageCorruptError(
      path,
      `Cannot read "${path}": it is a symbolic link, which pup does not follow for credential files; replace it with a regular file or remove it`,
    );
  }
  if (info.isDirectory) {
    throw new StorageCorruptError(
      path,
      `Cannot read "${path}": it is a directory, not a file; move it aside`,
    );
  }
  if (!info.isFile) {
    // A FIFO or device would block or stream forever.
    throw new StorageCorruptError(
      path,
      `Cannot read "${path}": it is not a regular file; move it aside`,
    );
  }
  if (info.size > MAX_STORE_FILE_BYTES) {
    throw new StorageCorruptError(
      path,
      `Cannot read "${path}": it is ${info.size} bytes, over the ${MAX_STORE_FILE_BYTES}-byte limit for a pup store; it was left untouched, move it aside`,
    );
  }
  try {
    return Deno.readTextFileSync(path);
  } catch (e) {
    throw unreadable(path, e);
  }
}

function unreadable(path: string, e: unknown): StorageUnavailableError {
  const reason = e instanceof Deno.errors.PermissionDenied
    ? "permission denied"
    : (e as Error).message;
  return new StorageUnavailableError(
    `Cannot read "${path}": ${reason}; check its owner and permissions (pup files should be 0600 and owned by you)`,
    { cause: e },
  );
}

/**
 * Creates `dir` (and parents) with mode 0700, and tightens an existing one to 0700 on Unix.
 *
 * @param dir the directory
 */
export async function ensurePrivateDir(dir: string): Promise<void> {
  try {
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    if (!(e instanceof Deno.errors.AlreadyExists)) {
      throw new StorageUnavailableError(`Cannot create "${dir}": ${(e as Error).message}`, {
        cause: e,
      });
    }
  }
  if (Deno.build.os === "windows") return;
  const info = await Deno.stat(dir);
  if (!info.isDirectory) {
    throw new StorageUnavailableError(
      `Cannot use "${dir}": it is not a directory; move it aside or set PUP_CONFIG_DIR`,
    );
  }
  if (info.mode !== null && (info.mode & 0o077) !== 0) await Deno.chmod(dir, 0o700).catch(() => {});
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
