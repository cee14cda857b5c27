/**
 * The interface every OS secure-store backend implements (one backend per file), after
 * zalando/go-keyring: "not found" is a value, every call has a time limit, and a secret never
 * travels on an argv. Also what every backend shares without loading another's code: the
 * "absent" error that moves auto-detection on, and the default time limit.
 *
 * @module
 */

import { StorageUnavailableError } from "../errors.ts";

/** How long one secure-store operation may take (a GUI unlock dialog can block). */
export const DEFAULT_STORE_TIMEOUT_MS = 10_000;

/**
 * The kind of secure store a backend needs is not present on this machine (no tool, no D-Bus
 * Secret Service, no kernel keyring). Auto-detection falls back to the next store on this error
 * only; a present store in a bad state (locked, hung, corrupt) is reported, never skipped.
 */
export class StoreAbsentError extends StorageUnavailableError {}

/** One OS secure store, addressed by account under the fixed service `pup`. */
export interface SecretStore {
  /** "macos-keychain" | "secret-service" | "kernel-keyring" | "windows-credential-manager" | "memory". */
  readonly name: string;
  /** The value stored for `account`, or `undefined` when there is none. */
  get(account: string): Promise<string | undefined>;
  /** Stores `value` whole (verified by reading it back) or throws, leaving the old value. */
  set(account: string, value: string): Promise<void>;
  /** Removes `account`; resolves `false` when there was nothing to remove. */
  delete(account: string): Promise<boolean>;
}

/** The service name every pup entry is stored under. */
export const SERVICE = "pup";
