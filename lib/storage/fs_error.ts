/**
 * File-system failures as errors that name the path and the next step, never the runtime's raw
 * text (which may be "os error 30" and nothing more).
 *
 * @module
 */

import { StorageUnavailableError } from "../errors.ts";

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
