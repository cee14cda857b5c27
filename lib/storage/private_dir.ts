/**
 * The private directories pup keeps its files in: created 0700 when absent, never `chmod`ed
 * when present (a shared or symlinked directory is left as it is, with a warning).
 *
 * @module
 */

import type { OsName } from "../deps.ts";
import { StorageUnavailableError } from "../errors.ts";
import { fsError } from "./fs_error.ts";

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
 * @param os the OS (`deps.os`): Windows has no mode bits
 * @returns the line for stderr, or undefined
 */
export function looseDirWarning(dir: string, os: OsName): string | undefined {
  if (os === "windows") return undefined;
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
