/**
 * Safe reading of pup's own files: no following symlinks, no directories or FIFOs, no huge
 * files, and errors that name the file and the next step. (Private directories are in
 * `private_dir.ts`, file-system errors in `fs_error.ts`, lock paths beside the lock in
 * `lock.ts`.)
 *
 * @module
 */

import { StorageCorruptError, StorageUnavailableError } from "../errors.ts";

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
