/**
 * The store `selectStore` hands out in auto-detect and `keychain` modes: it delegates to the
 * first candidate that is present, found at its first call (a real read is the probe), and,
 * before a login, has that store prove a write (`prepareWrite`). See `select_store.ts` for the
 * order of candidates and the rules.
 *
 * @module
 */

import { WriteProbeError } from "./keychain_store.ts";
import { StoreAbsentError } from "./secret_store.ts";
import type { SiteState, SiteStateStore } from "./types.ts";

/** One store auto-detection may settle on. */
export interface Candidate {
  /** How warnings name it ("Secret Service"). */
  name: string;
  /** The backend name its store reports (`secret-service`), as the fallback marker lists it. */
  backend: string;
  make: () => SiteStateStore;
  /**
   * Loads the backend's code before `make` runs, for a store only reached when the ones before
   * it are absent (the kernel keyring, behind the Secret Service): start-up then never pays for
   * a backend it does not use. The first candidate has none.
   */
  load?: () => Promise<void>;
  /** Why it is used, when that is worth telling (shown after its location). */
  note?: string;
}

/**
 * Delegates to the first candidate that is present, found at the first call (see the module
 * notes). Instance state only: each process selects once.
 */
export class FallbackStore implements SiteStateStore {
  readonly #candidates: Candidate[];
  readonly #warn: (line: string) => void | Promise<void>;
  /** Warnings being remembered; awaited before a call returns, so none is lost at exit. */
  #recording: Promise<void>[] = [];
  readonly #exhausted: (reasons: string[]) => Error;
  readonly #filePath?: string;
  readonly #remember?: (backend: string, reason: string) => Promise<void>;
  readonly #reasons: string[] = [];
  #index = 0;
  #current: SiteStateStore;
  #settled = false;
  #fatal?: Error;
  #pending?: Promise<void>;

  constructor(
    candidates: Candidate[],
    warn: (line: string) => void | Promise<void>,
    exhausted: (reasons: string[]) => Error,
    filePath?: string,
    remember?: (backend: string, reason: string) => Promise<void>,
  ) {
    this.#candidates = candidates;
    this.#warn = warn;
    this.#exhausted = exhausted;
    this.#filePath = filePath;
    this.#remember = remember;
    this.#current = candidates[0].make();
  }

  get backend(): string {
    return this.#current.backend;
  }

  get location(): string {
    const absent = this.#lastAbsence !== undefined && this.#current.backend === "file"
      ? `no OS keychain: ${this.#lastAbsence.split(/; |\. /)[0]}`
      : undefined;
    const note = this.#candidates[this.#index].note ?? absent;
    return note ? `${this.#current.location} (${note})` : this.#current.location;
  }

  async read(site: string): Promise<SiteState> {
    return await (await this.#ready(site)).read(site);
  }

  async readLatest(site: string): Promise<SiteState> {
    return await (await this.#ready(site)).readLatest(site);
  }

  async update(site: string, mutate: (state: SiteState) => SiteState): Promise<SiteState> {
    return await (await this.#ready(site)).update(site, mutate);
  }

  /**
   * Settles on a store for `site`, then has it prove a write before a login. In auto-detect
   * mode a store that answers reads but fails the test write, and holds nothing for `site`,
   * is skipped from now on (remembered in `storage_fallback.json`, warned once) and the next
   * one is tried, files last; a store that already holds this site's sessions, or one asked
   * for by `DD_TOKEN_STORAGE=keychain`, is an error instead, so sessions are never split.
   *
   * @param site a normalized site
   * @param addBytes what the login is expected to add
   */
  async prepareWrite(site: string, addBytes: number): Promise<void> {
    for (;;) {
      const store = await this.#ready(site);
      try {
        await store.prepareWrite?.(site, addBytes);
        return;
      } catch (e) {
        const last = this.#index + 1 >= this.#candidates.length;
        if (!(e instanceof WriteProbeError) || e.holdsSite || !this.#remember || last) throw e;
        const from = this.#candidates[this.#index];
        await this.#remember(from.backend, e.message).catch(() => {});
        await this.#advance(new StoreAbsentError(e.message));
        this.#settled = false;
      }
    }
  }

  async #ready(site: string): Promise<SiteStateStore> {
    while (!this.#settled) {
      if (this.#pending) {
        await this.#pending.catch(() => {});
        continue;
      }
      this.#pending = this.#probe(site).finally(() => (this.#pending = undefined));
      await this.#pending;
    }
    await Promise.all(this.#recording.splice(0));
    if (this.#fatal) throw this.#fatal;
    return this.#current;
  }

  async #probe(site: string): Promise<void> {
    for (;;) {
      try {
        // A keychain store caches what it read, so the caller's own read costs nothing more.
        await this.#current.read(site);
        this.#settled = true;
        return;
      } catch (e) {
        if (!(e instanceof StoreAbsentError)) {
          this.#settled = true;
          throw e;
        }
        await this.#advance(e);
      }
    }
  }

  /** Why the last store was skipped, for `location` (status and login name the fallback). */
  #lastAbsence?: string;

  #say(line: string): void {
    const recording = this.#warn(line);
    if (recording) this.#recording.push(recording);
  }

  async #advance(reason: StoreAbsentError): Promise<void> {
    const from = this.#candidates[this.#index];
    this.#lastAbsence = reason.message;
    this.#reasons.push(`${from.name}: ${reason.message}`);
    const next = this.#candidates[this.#index + 1];
    if (next === undefined) {
      this.#settled = true;
      this.#fatal = this.#exhausted(this.#reasons);
      throw this.#fatal;
    }
    if (next.name === "file storage") {
      const also = from.name === "kernel keyring"
        ? "kernel keyring also unavailable"
        : `${from.name} not available`;
      this.#say(`Warning: ${also} (${reason.message}), using file storage (${this.#filePath})`);
    } else {
      this.#say(`Warning: ${from.name} not available (${reason.message}), trying ${next.name}`);
    }
    await next.load?.();
    this.#index++;
    this.#current = next.make();
  }
}
