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
 * Creates `dir` (and parents) with mode 0700 when it is absent. An existing directory is used as
 * it is, never `chmod`ed: it may be shared (a 1777 dir would lose its sticky bit) or reached
 * through a symlink; {@link looseDirWarning} says when it is open to others.
 *
 * @param dir the directory
 * @throws {StorageUnavailableError} naming the directory and the next step
 */
export async function ensurePrivateDir(dir: string): Promise<void> {
  try {
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    if (!(e instanceof Deno.errors.AlreadyExists)) throw fsError("create the directory", dir, e);
  }
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dir);
  } catch (e) {
    throw fsError("use the directory", dir, e);
  }
  if (!info.isDirectory) {
    throw new StorageUnavailableError(
      `Cannot use "${dir}": it is not a directory; move it aside or set PUP_CONFIG_DIR`,
    );
  }
}

/**
 * A warning for a config dir that others may write to (group- or world-writable), or
 * undefined when it is private or absent. Nothing is changed.
 *
 * @param dir the config dir
 * @returns the line for stderr, or undefined
 */
export function looseDirWarning(dir: string): string | undefined {
  if (Deno.build.os === "windows") return undefined;
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(dir);
  } catch {
    return undefined;
  }
  if (!info.isDirectory || info.mode === null || (info.mode & 0o022) === 0) return undefined;
  const mode = (info.mode & 0o7777).toString(8).padStart(4, "0");
  return `Warning: the config dir "${dir}" is writable by other users (mode ${mode}); pup leaves it as it is. Run 'chmod 700 "${dir}"' if it is yours alone, or set PUP_CONFIG_DIR to a private directory`;
}

/**
 * An error for a failed file-system call that names the path and the next step, never the
 * runtime's raw text.
 *
 * @param action what pup tried, e.g. `write` or `create the lock file`
 * @param path the file or directory
 * @param e what the call threw
 * @returns the error to throw
 */
export function fsError(action: string, path: string, e: unknown): StorageUnavailableError {
  let why: string;
  if (e instanceof Deno.errors.PermissionDenied) {
    why = "permission denied; check its owner and permissions, or set PUP_CONFIG_DIR";
  } else if (e instanceof Deno.errors.IsADirectory) {
    why = "a directory is in the way; move it aside";
  } else if (e instanceof Deno.errors.NotADirectory) {
    why = "part of the path is a file, not a directory; move it aside or set PUP_CONFIG_DIR";
  } else if (/read-only file system|os error 30/i.test(String((e as Error)?.message))) {
    why =
      "the file system is read-only; set PUP_CONFIG_DIR to a writable directory, or use DD_ACCESS_TOKEN or DD_API_KEY and DD_APP_KEY";
  } else if (/no space|os error 28|quota/i.test(String((e as Error)?.message))) {
    why = "the disk is full or over quota; free some space and try again";
  } else if (e instanceof Deno.errors.NotFound) {
    why = "a directory on the path is missing; check PUP_CONFIG_DIR";
  } else {
    why = "the operating system refused; check the path and its permissions";
  }
  return new StorageUnavailableError(`Cannot ${action} "${path}": ${why}`, { cause: e });
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
