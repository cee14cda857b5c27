/**
 * Crash-safe file replacement: the new content goes to a temp file in the same directory,
 * created 0600 from its first byte, flushed to disk, then renamed over the target. A reader
 * sees the old file or the new one, never a mix; a killed writer leaves at most a temp file.
 *
 * @module
 */

import { StorageUnavailableError } from "../errors.ts";
import { fsError } from "./fs_error.ts";
import { MAX_STORE_FILE_BYTES } from "./store_files.ts";

/**
 * Atomically replaces `path` with `content` (mode 0600 on Unix).
 *
 * @param path the target file; its directory must exist
 * @param content the whole new content
 * @throws {StorageUnavailableError} when the content is over the size pup reads back
 *   (`MAX_STORE_FILE_BYTES`: nothing is written then), or naming the file when the OS refuses
 */
export async function atomicWrite(path: string, content: string): Promise<void> {
  const bytes = new TextEncoder().encode(content);
  // Never write what the reader would refuse: the store would be stuck until deleted by hand.
  if (bytes.length > MAX_STORE_FILE_BYTES) {
    throw new StorageUnavailableError(
      `Cannot write "${path}": the new content is ${bytes.length} bytes, over the ${MAX_STORE_FILE_BYTES}-byte limit of a pup store file; nothing was written. A token that large is a server fault: run 'pup auth login' again, or report it`,
    );
  }
  try {
    await writeAndRename(path, bytes);
  } catch (e) {
    throw fsError("write", path, e);
  }
}

async function writeAndRename(path: string, bytes: Uint8Array): Promise<void> {
  const slash = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  const dir = slash >= 0 ? path.slice(0, slash) : ".";
  const base = slash >= 0 ? path.slice(slash + 1) : path;
  const suffix = crypto.getRandomValues(new Uint8Array(6)).toHex();
  const tmp = `${dir}/.${base}.tmp-${suffix}`;
  const file = await Deno.open(tmp, { write: true, createNew: true, mode: 0o600 });
  try {
    let written = 0;
    while (written < bytes.length) written += await file.write(bytes.subarray(written));
    await file.syncData();
  } catch (e) {
    file.close();
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
  file.close();
  try {
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}

/**
 * Removes the temp files a killed `atomicWrite` left for `path`. Call it only while holding the
 * lock that guards `path`: then no writer can be between its temp file and its rename, so every
 * such file is stale. They are 0600 but may hold tokens, so they must not pile up.
 *
 * @param path the target file whose leftovers to remove
 * @returns how many were removed
 */
export async function removeStaleTemps(path: string): Promise<number> {
  const slash = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  const dir = slash >= 0 ? path.slice(0, slash) : ".";
  const prefix = `.${slash >= 0 ? path.slice(slash + 1) : path}.tmp-`;
  let removed = 0;
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isFile && entry.name.startsWith(prefix)) {
        await Deno.remove(`${dir}/${entry.name}`).then(() => removed++, () => {});
      }
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return removed;
}
