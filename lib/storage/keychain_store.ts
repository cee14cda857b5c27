/**
 * A `SiteStateStore` over any `SecretStore`: one entry per site, account `state_<site>`,
 * compact JSON `{"tokens": {...}, "client": ... | null}` (SPEC §6.2; ref §2.1).
 *
 * Beyond the Rust `pup` (ref §12 weaknesses 2 and 4): every update holds a cross-process lock
 * per site and re-reads under it, so concurrent pup processes never lose each other's orgs; a
 * value that does not parse is reported and never overwritten; nothing is written when the
 * mutation changed nothing. Each site's state is cached for the life of the instance (ref §2.5),
 * so a command reads the secure store at most once per site (one macOS prompt at most).
 *
 * @module
 */

import { StorageCorruptError, StorageUnavailableError } from "../errors.ts";
import { parseSiteData, sanitizeSite, serializeSiteData } from "./codec.ts";
import type { SecretStore } from "./secret_store.ts";
import type { SiteState, SiteStateStore } from "./types.ts";
import { writeMachinery } from "./write_machinery.ts";

/** What a backend may add to `SecretStore` so messages name its entries well. */
export interface DescribedSecretStore extends SecretStore {
  /** Where the values live, for humans ("OS keychain (Secret Service)"). */
  readonly location?: string;
  /** How messages name an entry, e.g. `Secret Service item "pup/state_datadoghq_com"`. */
  describe?(account: string): string;
  /** A command that removes an entry by hand. */
  removalHint?(account: string): string;
  /** Most UTF-8 bytes one value may have, when the store has a limit (the kernel keyring). */
  readonly maxBytes?: number;
}

/**
 * A store that answered reads but failed the write probe before a login: auto-detection may
 * move on to the next store (nothing of this site would be left behind in this one).
 */
export class WriteProbeError extends StorageUnavailableError {
  /** Whether the store already holds data for the site (then moving on would split it). */
  readonly holdsSite: boolean;

  /**
   * @param message what failed and what to do
   * @param holdsSite the store already holds data for the site
   * @param options the cause
   */
  constructor(message: string, holdsSite: boolean, options?: ErrorOptions) {
    super(message, options);
    this.holdsSite = holdsSite;
  }
}

/** Options of `KeychainStore`. */
export interface KeychainStoreOptions {
  /** The backend holding the entries. */
  secrets: DescribedSecretStore;
  /** The config dir; per-site lock files live in `<configDir>/locks/`. */
  configDir: string;
}

/** The account of a site's entry: `state_<sanitized site>` (ref §2.1). */
export function stateAccount(site: string): string {
  return `state_${sanitizeSite(site)}`;
}

function isEmpty(state: SiteState): boolean {
  return Object.keys(state.tokens).length === 0 && state.client === null;
}

/** Per-site state in an OS secure store. */
export class KeychainStore implements SiteStateStore {
  /** The backend's name, e.g. "secret-service". */
  readonly backend: string;
  /** Where the data lives, for humans. */
  readonly location: string;
  readonly #secrets: DescribedSecretStore;
  readonly #configDir: string;
  readonly #cache = new Map<string, SiteState>();

  /**
   * Builds the store; reads nothing until the first call.
   *
   * @param opts the backend and the config dir for lock files
   */
  constructor(opts: KeychainStoreOptions) {
    this.#secrets = opts.secrets;
    this.#configDir = opts.configDir;
    this.backend = opts.secrets.name;
    this.location = opts.secrets.location ?? `OS keychain (${opts.secrets.name})`;
  }

  /**
   * Reads one site's state: from the cache, else one secure-store read.
   *
   * @param site a normalized site, e.g. `datadoghq.com`
   * @returns the state (empty when nothing is stored); a copy the caller may change
   * @throws StorageCorruptError when the stored value does not parse
   */
  async read(site: string): Promise<SiteState> {
    let state = this.#cache.get(site);
    if (state === undefined) {
      state = (await this.#load(stateAccount(site))).state;
      this.#cache.set(site, state);
    }
    return structuredClone(state);
  }

  /**
   * Reads one site's state from the secure store, past the cache, and refreshes the cache.
   *
   * @param site a normalized site
   * @returns a copy of the state
   * @throws StorageCorruptError when the stored value does not parse
   */
  async readLatest(site: string): Promise<SiteState> {
    const state = (await this.#load(stateAccount(site))).state;
    this.#cache.set(site, state);
    return structuredClone(state);
  }

  /**
   * Locks the site, re-reads it, applies `mutate`, and writes the result when it changed;
   * deletes the entry when no tokens and no client remain.
   *
   * @param site a normalized site
   * @param mutate gets a copy of the current state, returns the new state
   * @returns the state as stored
   * @throws StorageCorruptError when the stored value does not parse (nothing is written)
   */
  async update(site: string, mutate: (state: SiteState) => SiteState): Promise<SiteState> {
    const account = stateAccount(site);
    const { ensureLocksDir, siteLockPath, withLock } = await writeMachinery();
    await ensureLocksDir(this.#configDir);
    return await withLock(siteLockPath(this.#configDir, site), async () => {
      const { state: current, stored } = await this.#load(account);
      const next = mutate(structuredClone(current));
      const text = serializeSiteData(next);
      if (text !== serializeSiteData(current)) {
        if (isEmpty(next)) {
          if (stored) await this.#secrets.delete(account);
        } else {
          await this.#secrets.set(account, text);
        }
      }
      const written = parseSiteData(text, this.#describe(account));
      this.#cache.set(site, written);
      return structuredClone(written);
    });
  }

  /**
   * Checks that `site`'s value would still fit after a login adds about `addBytes`, then
   * writes, reads back and removes a throwaway entry (SPEC §6.2 "Choosing a store").
   *
   * @param site a normalized site
   * @param addBytes what the login is expected to add (a token set with its scopes)
   * @throws StorageUnavailableError over the size limit (nothing was written)
   * @throws WriteProbeError when the throwaway entry cannot be written and read back
   */
  async prepareWrite(site: string, addBytes: number): Promise<void> {
    const current = await this.read(site);
    const holdsSite = !isEmpty(current);
    const max = this.#secrets.maxBytes;
    if (max !== undefined) {
      const bytes = new TextEncoder().encode(serializeSiteData(current)).length + addBytes;
      if (bytes > max) {
        throw new StorageUnavailableError(
          `This login would make ${
            this.#describe(stateAccount(site))
          } about ${bytes} bytes, and the ${this.location} holds at most ${max} bytes per entry; nothing was written and no browser was opened. Use DD_TOKEN_STORAGE=file, or remove sessions you no longer need ('pup auth logout --org <name>')`,
        );
      }
    }
    const probe = `state_pup_probe_${crypto.getRandomValues(new Uint8Array(6)).toHex()}`;
    const marker = `{"probe":"${probe}"}`;
    try {
      await this.#secrets.set(probe, marker);
      const back = await this.#secrets.get(probe);
      if (back !== marker) throw new Error("the value read back differs from the one written");
    } catch (e) {
      throw new WriteProbeError(
        `${this.location} answered reads but a test write failed (${(e as Error).message})`,
        holdsSite,
        { cause: e },
      );
    } finally {
      await this.#secrets.delete(probe).catch(() => {});
    }
  }

  async #load(account: string): Promise<{ state: SiteState; stored: boolean }> {
    const raw = await this.#secrets.get(account);
    if (raw === undefined) return { state: { tokens: {}, client: null }, stored: false };
    const entry = this.#describe(account);
    try {
      return { state: parseSiteData(raw, entry), stored: true };
    } catch (e) {
      if (!(e instanceof StorageCorruptError)) throw e;
      throw new StorageCorruptError(
        entry,
        corruptMessage(entry, e.message, this.#removal(account)),
        {
          cause: e,
        },
      );
    }
  }

  #describe(account: string): string {
    return this.#secrets.describe?.(account) ?? `${this.#secrets.name} entry "pup/${account}"`;
  }

  #removal(account: string): string | undefined {
    return this.#secrets.removalHint?.(account);
  }
}

/** Rewords the codec's message for a keychain entry, keeping its detail. */
function corruptMessage(entry: string, codecMessage: string, removal: string | undefined): string {
  const m = /^Cannot read "[^]*?": ([^]*?)\. It was left untouched/.exec(codecMessage);
  const detail = m ? m[1] : codecMessage;
  const remove = removal ? `remove it ('${removal}') and` : "remove it and";
  return `Cannot read ${entry}: ${detail}. It was left untouched; ${remove} run 'pup auth login' again, or use DD_TOKEN_STORAGE=file`;
}
