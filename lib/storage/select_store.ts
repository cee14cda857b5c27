/**
 * Picks where tokens live (SPEC §6; ref §2.3, §2.4): `DD_TOKEN_STORAGE` (non-empty) > config
 * `token_storage` > auto-detect. `file` is the file store; `keychain` is the OS secure store
 * or a clean error (the Rust `pup` panics, ref §12 weakness 18); anything else warns with the
 * Rust `pup`'s text and auto-detects. `PUP_KEYCHAIN_BACKEND` forces a backend for tests.
 *
 * The OS stores, in order: macOS keychain; Windows Credential Manager; on Linux the Secret
 * Service, then the kernel keyring. Auto-detect ends with the file store, announced by a
 * warning that names the real directory (ref §12 weakness 16 named the wrong one).
 *
 * No separate probe process. The Rust `pup` probes at start-up (a read on Linux, a
 * write-read-delete on Windows); we let the first real read be the probe: the returned store
 * settles on a backend at its first call, by reading that call's site from the first candidate
 * and moving on only when the store is *absent* (`StoreAbsentError`: no tool, no D-Bus
 * service, no kernel keyring). A present store in a bad state (locked, hung, ambiguous,
 * corrupt) is reported, never skipped, so tokens never end up split across two stores. So
 * `auth status` with a stored session runs one child process; the first call being an update
 * (a login) costs one extra read. macOS is never probed (ref §2.3: no extra prompt), and the
 * `backend`/`location` of the returned store are final after its first call. Warnings found
 * then are written to `deps.io.err`; those known at selection come back in `warnings`.
 *
 * @module
 */

import type { Deps, OsName } from "../deps.ts";
import { StorageUnavailableError } from "../errors.ts";
import { KernelKeyring } from "./kernel_keyring.ts";
import { readFallbackMarker, recordWarning, writeFallbackMarker } from "./fallback_marker.ts";
import { KeychainStore, WriteProbeError } from "./keychain_store.ts";
import { MacosKeychain } from "./macos_keychain.ts";
import { StoreAbsentError } from "./run_tool.ts";
import { SecretService } from "./secret_service.ts";
import type { SiteState, SiteStateStore } from "./types.ts";
import { WindowsCredentialManager } from "./windows_credential_manager.ts";

/** Options of `selectStore`. */
export interface SelectStoreOptions {
  /** `token_storage` from config.yaml, if set. */
  configTokenStorage?: string;
  /** Builds the file store; called only when files are used. */
  fileStore: () => SiteStateStore;
}

/** The chosen store and the warnings to print (each a stderr line without its newline). */
export interface SelectedStore {
  /** The token store. */
  store: SiteStateStore;
  /** Warnings known at selection, e.g. an unknown `DD_TOKEN_STORAGE` value. */
  warnings: string[];
}

const FORCED_OS: Record<string, OsName> = { macos: "darwin", linux: "linux", windows: "windows" };

/**
 * Chooses the token store for this process.
 *
 * @param deps env (`DD_TOKEN_STORAGE`, `PUP_KEYCHAIN_BACKEND`, tool paths), os, runner,
 *   configDir, io.err for warnings found later
 * @param opts config's `token_storage` and the file store factory
 * @returns the store (settled on a backend at its first call) and selection warnings
 */
export async function selectStore(deps: Deps, opts: SelectStoreOptions): Promise<SelectedStore> {
  const warnings: string[] = [];
  const fromEnv = deps.env.DD_TOKEN_STORAGE;
  const [value, source] = fromEnv !== undefined && fromEnv !== ""
    ? [fromEnv, "DD_TOKEN_STORAGE"]
    : [opts.configTokenStorage ?? "", "token_storage in config.yaml"];
  const choice = value.trim().toLowerCase();
  if (choice === "file") return { store: opts.fileStore(), warnings };
  if (choice !== "" && choice !== "keychain") {
    warnings.push(
      `Warning: unknown token storage backend "${value}" (set via DD_TOKEN_STORAGE or config token_storage; valid: "file", "keychain"), auto-detecting`,
    );
  }
  const os = resolveOs(deps, warnings);
  const candidates = osCandidates(deps, os);
  const write = (line: string) => deps.io.err.write(`${line}\n`);
  if (choice === "keychain") {
    const store = new FallbackStore(candidates, write, (reasons) =>
      new StorageUnavailableError(
        `${source} asks for "keychain", but no OS secure store is available (${
          reasons.join("; ")
        }). Set DD_TOKEN_STORAGE=file to keep tokens in files under "${deps.configDir}"`,
      ));
    return { store, warnings };
  }
  const marker = await readFallbackMarker(deps.configDir);
  const usable = candidates.filter((c) => !marker?.skip.includes(c.backend));
  const file: Candidate = {
    name: "file storage",
    backend: "file",
    make: opts.fileStore,
    note: marker && usable.length < candidates.length
      ? `the OS keychain failed a test write on ${
        marker.since.slice(0, 10)
      } (${marker.reason}); delete "${deps.configDir}/storage_fallback.json" to try it again`
      : undefined,
  };
  // Each fallback warning once per machine state (issue: it printed on every command).
  const warnOnce = (line: string) => {
    if (marker?.warned.includes(line)) return;
    write(line);
    return recordWarning(deps.configDir, line).catch(() => {});
  };
  // The file store is never absent, so the last callback cannot run.
  const store = new FallbackStore(
    [...usable, file],
    warnOnce,
    () => new TypeError("the file store is always available"),
    deps.configDir,
    (backend, reason) =>
      writeFallbackMarker(deps.configDir, backend, reason, new Date(deps.clock.now())),
  );
  return { store, warnings };
}

function resolveOs(deps: Deps, warnings: string[]): OsName {
  const forced = deps.env.PUP_KEYCHAIN_BACKEND;
  if (forced === undefined || forced === "") return deps.os;
  const os = FORCED_OS[forced.toLowerCase()];
  if (os) return os;
  warnings.push(
    `Warning: unknown PUP_KEYCHAIN_BACKEND "${forced}" (valid: "macos", "linux", "windows"), using this system's keychain`,
  );
  return deps.os;
}

interface Candidate {
  /** How warnings name it ("Secret Service"). */
  name: string;
  /** The backend name its store reports (`secret-service`), as the fallback marker lists it. */
  backend: string;
  make: () => SiteStateStore;
  /** Why it is used, when that is worth telling (shown after its location). */
  note?: string;
}

function osCandidates(deps: Deps, os: OsName): Candidate[] {
  const env = deps.env;
  const runner = deps.runner;
  const keychain = (secrets: ConstructorParameters<typeof KeychainStore>[0]["secrets"]) => () =>
    new KeychainStore({ secrets, configDir: deps.configDir });
  const bin = (name: string) => (env[name] ? env[name] : undefined);
  if (os === "darwin") {
    return [{
      name: "OS keychain",
      backend: "macos-keychain",
      make: keychain(new MacosKeychain({ library: bin("PUP_SECURITY_FRAMEWORK_LIB") })),
    }];
  }
  if (os === "windows") {
    const onNotice = (message: string) => deps.io.err.write(`Warning: ${message}\n`);
    return [{
      name: "OS keychain",
      backend: "windows-credential-manager",
      make: keychain(
        new WindowsCredentialManager({
          advapi32: bin("PUP_ADVAPI32_LIB"),
          kernel32: bin("PUP_KERNEL32_LIB"),
          onNotice,
        }),
      ),
    }];
  }
  return [
    {
      name: "Secret Service",
      backend: "secret-service",
      make: keychain(new SecretService({ library: bin("PUP_LIBSECRET_LIB") })),
    },
    {
      name: "kernel keyring",
      backend: "kernel-keyring",
      make: keychain(new KernelKeyring({ runner })),
    },
  ];
}

/**
 * Delegates to the first candidate that is present, found at the first call (see the module
 * notes). Instance state only: each process selects once.
 */
class FallbackStore implements SiteStateStore {
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
        this.#advance(new StoreAbsentError(e.message));
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
        this.#advance(e);
      }
    }
  }

  /** Why the last store was skipped, for `location` (status and login name the fallback). */
  #lastAbsence?: string;

  #say(line: string): void {
    const recording = this.#warn(line);
    if (recording) this.#recording.push(recording);
  }

  #advance(reason: StoreAbsentError): void {
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
    this.#index++;
    this.#current = next.make();
  }
}
