/**
 * An in-memory `SecretStore` for tests and the contract suite (go-keyring's mock provider).
 * Never chosen by backend selection: a fallback to memory would lose tokens silently
 * (DESIGN rule 6).
 *
 * @module
 */

import { type SecretStore, SERVICE } from "./secret_store.ts";

/** A `SecretStore` over a `Map`; each instance is its own empty store. */
export class MemorySecretStore implements SecretStore {
  /** Backend name reported by `auth status`. */
  readonly name = "memory";
  /** Where the values live, for humans. */
  readonly location = "memory (not persisted)";
  readonly #entries = new Map<string, string>();

  /**
   * Reads the value stored for `account`.
   *
   * @param account the entry name, e.g. `state_datadoghq_com`
   * @returns the value, or `undefined` when there is none
   */
  get(account: string): Promise<string | undefined> {
    return Promise.resolve(this.#entries.get(account));
  }

  /**
   * Stores `value` whole for `account`.
   *
   * @param account the entry name
   * @param value the whole value
   */
  set(account: string, value: string): Promise<void> {
    this.#entries.set(account, value);
    return Promise.resolve();
  }

  /**
   * Removes the value stored for `account`.
   *
   * @param account the entry name
   * @returns `false` when there was nothing to remove
   */
  delete(account: string): Promise<boolean> {
    return Promise.resolve(this.#entries.delete(account));
  }

  /**
   * How messages name the entry of `account`.
   *
   * @param account the entry name
   * @returns how messages name the entry
   */
  describe(account: string): string {
    return `memory entry "${SERVICE}/${account}"`;
  }
}
