/**
 * The interface every OS secure-store backend implements (one backend per file), after
 * zalando/go-keyring: "not found" is a value, every call runs the platform's own tool with a
 * timeout, and secrets reach the tool on stdin, never on argv.
 *
 * @module
 */

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
