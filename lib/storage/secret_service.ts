/**
 * The Linux Secret Service backend, through libsecret-1 loaded with `Deno.dlopen`
 * (`libsecret.ts`), writing exactly the item keyring-rs 3.6.3 writes, so this pup and the Rust
 * `pup` update one item (SPEC §6.2 Linux; facts: secure-store-tools.md, Linux table).
 *
 * Why not `secret-tool` any more: it keeps only the first 8192 bytes of its stdin and exits 0
 * (three default-scope sessions on a site do not fit), and a writer killed before it wrote its
 * stdin stored an empty secret over every session of the site. Through the library a value of
 * any size travels in one D-Bus message, and an update is one `SetSecret`: all or nothing.
 *
 * - New items get keyring-rs's attributes `service pup username <acct> target default
 *   application rust-keyring`, its label `<acct>@pup:default (keyring v3.6.3)`, content type
 *   `text/plain`, in the default collection.
 * - Reads follow keyring-rs: by `target`+`service`+`username`, else by `service`+`username` (a
 *   legacy item). Two matches are "ambiguous" for keyring-rs: we fail, naming them, and write
 *   nothing.
 * - Writes replace the secret of the one matching item in place, whatever its attributes, so
 *   a legacy or foreign item stays one item; every write is read back.
 * - No library, no D-Bus session, no Secret Service on the bus: `StoreAbsentError`, so
 *   auto-detection moves on. Locked, ambiguous, hung: reported, never skipped.
 *
 * @module
 */

import { StorageUnavailableError } from "../errors.ts";
import { DEFAULT_LIBSECRET, type FoundItem, Libsecret, LibsecretError } from "./libsecret.ts";
import { DEFAULT_TOOL_TIMEOUT_MS, StoreAbsentError } from "./run_tool.ts";
import { type SecretStore, SERVICE } from "./secret_store.ts";

/** The attributes keyring-rs 3.6.3 gives a new item. */
export function keyringRsAttributes(account: string): Array<[string, string]> {
  return [
    ["service", SERVICE],
    ["username", account],
    ["target", "default"],
    ["application", "rust-keyring"],
  ];
}

/** The label keyring-rs 3.6.3 gives a new item. */
export function keyringRsLabel(account: string): string {
  return `${account}@${SERVICE}:default (keyring v3.6.3)`;
}

const ABSENT_PATTERNS = [
  /Cannot autolaunch D-Bus/i,
  /Could not connect/i,
  /address is empty/i,
  /org\.freedesktop\.secrets/,
  /was not provided by any \.service files/i,
  /Object does not exist at path/i,
  /No such file or directory/i,
  /Connection refused/i,
];

/** Options of `SecretService`. */
export interface SecretServiceOptions {
  /** `PUP_LIBSECRET_LIB`, else the system's libsecret-1. */
  library?: string;
  /** Per-call timeout; 10 s by default. */
  timeoutMs?: number;
}

/** A `SecretStore` over the freedesktop Secret Service. */
export class SecretService implements SecretStore {
  /** Backend name reported by `auth status`. */
  readonly name = "secret-service";
  /** Where the values live, for humans. */
  readonly location = "OS keychain (Secret Service)";
  readonly #paths: readonly string[];
  readonly #timeoutMs: number;
  #lib?: Libsecret;

  /**
   * Builds the backend; loads nothing until the first call.
   *
   * @param opts the library path and the per-call timeout
   */
  constructor(opts: SecretServiceOptions = {}) {
    this.#paths = opts.library ? [opts.library] : DEFAULT_LIBSECRET;
    this.#timeoutMs = opts.timeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS;
  }

  /**
   * Reads the value stored for `account`.
   *
   * @param account e.g. `state_datadoghq_com`
   * @returns the value, or `undefined` when no item matches
   */
  async get(account: string): Promise<string | undefined> {
    return await this.#withItem(account, "Reading", (item) => {
      if (item === undefined) return undefined;
      return this.#text(account, item);
    });
  }

  /**
   * Replaces the secret of the one matching item, or creates keyring-rs's item; then reads it
   * back.
   *
   * @param account e.g. `state_datadoghq_com`
   * @param value any text (there is no size limit short of D-Bus's 128 MiB messages)
   */
  async set(account: string, value: string): Promise<void> {
    await this.#withItem(account, "Writing", async (item, lib) => {
      if (item) await lib.setSecret(item, value);
      else await lib.store(keyringRsAttributes(account), keyringRsLabel(account), value);
    });
    const back = await this.get(account);
    if (back !== value) {
      throw new StorageUnavailableError(
        `Writing ${this.describe(account)} could not be verified: the value read back ${
          back === undefined ? "is missing" : "differs"
        }; run the command again, or use DD_TOKEN_STORAGE=file`,
      );
    }
  }

  /**
   * Removes the one matching item (never several: two matches are an error).
   *
   * @param account e.g. `state_datadoghq_com`
   * @returns `false` when no item matched
   */
  async delete(account: string): Promise<boolean> {
    return await this.#withItem(account, "Deleting", async (item, lib) => {
      if (item === undefined) return false;
      await lib.deleteItem(item);
      return true;
    });
  }

  /** How messages name the item of `account`. */
  describe(account: string): string {
    return `Secret Service item "${SERVICE}/${account}"`;
  }

  /** How a user removes the item by hand. */
  removalHint(account: string): string {
    return `secret-tool clear service ${SERVICE} username ${account}`;
  }

  /**
   * Finds the one item keyring-rs would use for `account` and runs `use` on it, releasing
   * every item found afterwards; errors become storage errors naming the item.
   */
  async #withItem<T>(
    account: string,
    what: string,
    use: (item: FoundItem | undefined, lib: Libsecret) => T | Promise<T>,
  ): Promise<T> {
    const lib = this.#library();
    const found: FoundItem[] = [];
    try {
      const item = await this.#timed(what, account, async () => {
        const targeted = await lib.search([
          ["service", SERVICE],
          ["username", account],
          ["target", "default"],
        ]);
        found.push(...targeted);
        if (targeted.length === 0) {
          found.push(...await lib.search([["service", SERVICE], ["username", account]]));
        }
        return this.#one(account, found);
      });
      if (item?.locked) throw this.#locked(account);
      return await this.#timed(what, account, () => use(item, lib));
    } catch (e) {
      throw this.#translate(what, account, e);
    } finally {
      lib.release(found);
    }
  }

  #one(account: string, found: FoundItem[]): FoundItem | undefined {
    if (found.length <= 1) return found[0];
    const names = found.map((it) => `"${it.label}"`).join(", ");
    throw new StorageUnavailableError(
      `Found ${found.length} Secret Service items for "${SERVICE}/${account}" (${names}); pup cannot tell which one holds your session and changed none of them. List them with 'secret-tool search --all service ${SERVICE} username ${account}', remove the extra ones, or use DD_TOKEN_STORAGE=file`,
    );
  }

  #text(account: string, item: FoundItem): string {
    if (item.secret === undefined) {
      throw new StorageUnavailableError(
        `Reading ${
          this.describe(account)
        } failed: the Secret Service found it but did not hand over its secret; check your keyring, or use DD_TOKEN_STORAGE=file`,
      );
    }
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(item.secret);
    } catch {
      throw new StorageUnavailableError(
        `Reading ${
          this.describe(account)
        } failed: its secret is not UTF-8 text, so pup did not write it. It was left untouched; remove it ('${
          this.removalHint(account)
        }') and run 'pup auth login' again, or use DD_TOKEN_STORAGE=file`,
      );
    }
  }

  #library(): Libsecret {
    if (this.#lib) return this.#lib;
    const opened = Libsecret.open(this.#paths, keyringRsAttributes("").map(([k]) => k));
    if (!(opened instanceof Libsecret)) {
      throw new StoreAbsentError(
        `Cannot load libsecret ("${opened.path}": ${opened.reason}); install it ('apt-get install libsecret-1-0') or set PUP_LIBSECRET_LIB, or use DD_TOKEN_STORAGE=file`,
      );
    }
    return (this.#lib = opened);
  }

  async #timed<T>(what: string, account: string, run: () => T | Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() =>
        reject(
          new StorageUnavailableError(
            `${what} ${this.describe(account)} did not finish within ${
              this.#timeoutMs / 1000
            } s; the Secret Service (e.g. gnome-keyring) may be waiting for an unlock prompt: answer it, or use DD_TOKEN_STORAGE=file`,
          ),
        ), this.#timeoutMs);
    });
    try {
      return await Promise.race([run(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  #translate(what: string, account: string, e: unknown): unknown {
    if (!(e instanceof LibsecretError)) return e;
    const detail = e.message.split("\n")[0].slice(0, 200);
    if (ABSENT_PATTERNS.some((p) => p.test(e.message))) {
      return new StoreAbsentError(
        `No Secret Service is available (${detail}); start one (e.g. gnome-keyring in your desktop session), or use DD_TOKEN_STORAGE=file`,
      );
    }
    if (/locked/i.test(e.message)) return this.#locked(account);
    return new StorageUnavailableError(
      `${what} ${
        this.describe(account)
      } failed: ${detail}; check your keyring, or use DD_TOKEN_STORAGE=file`,
    );
  }

  #locked(account: string): StorageUnavailableError {
    return new StorageUnavailableError(
      `The Secret Service collection holding ${
        this.describe(account)
      } is locked: unlock it (log in to your desktop session, or run 'gnome-keyring-daemon --unlock' and type the keyring password), or use DD_TOKEN_STORAGE=file`,
    );
  }
}
