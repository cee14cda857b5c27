/**
 * The Linux Secret Service backend, over pup's own D-Bus client (`secret_service_api.ts`),
 * writing exactly the item keyring-rs 3.6.3 writes, so this pup and the Rust `pup` update one
 * item (SPEC §6.2 Linux; facts: secure-store-tools.md, Linux table).
 *
 * Why not `secret-tool` any more: it keeps only the first 8192 bytes of its stdin and exits 0
 * (three default-scope sessions on a site do not fit), and a writer killed before it wrote its
 * stdin stored an empty secret over every session of the site. Why not libsecret through FFI
 * either (the first shape of this backend): loading libsecret with GLib and GIO and its own
 * D-Bus session cost 45-70 ms per command, more than pup's whole start-up budget; speaking
 * D-Bus directly costs two round trips (docs/architecture.md). A value of any size travels in
 * one message, and an update is one `SetSecret`: all or nothing.
 *
 * - New items get keyring-rs's attributes `service pup username <acct> target default
 *   application rust-keyring`, its label `<acct>@pup:default (keyring v3.6.3)`, content type
 *   `text/plain`, in the default collection.
 * - Reads follow keyring-rs: by `target`+`service`+`username`, else by `service`+`username` (a
 *   legacy item). Two matches are "ambiguous" for keyring-rs: we fail, naming them, and write
 *   nothing.
 * - Writes replace the secret of the one matching item in place, whatever its attributes, so
 *   a legacy or foreign item stays one item; every write is read back.
 * - A locked item is unlocked through the service's prompt (the desktop's dialog).
 * - No D-Bus session, or no Secret Service on it: `StoreAbsentError`, so auto-detection moves
 *   on. Locked and dismissed, ambiguous, hung: reported, never skipped.
 *
 * @module
 */

import { StorageUnavailableError } from "../errors.ts";
import {
  DBusCallError,
  DBusTimeoutError,
  DBusUnavailableError,
  sessionBusSocket,
} from "../platform/dbus.ts";
import { DBusWireError } from "../platform/dbus_wire.ts";
import {
  DEFAULT_STORE_TIMEOUT_MS,
  type SecretStore,
  SERVICE,
  StoreAbsentError,
} from "./secret_store.ts";
import { PromptDismissedError, SecretServiceSession } from "./secret_service_api.ts";

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

/** D-Bus errors that mean "there is no Secret Service here" (nothing owns or can start it). */
const ABSENT_ERRORS = [
  "org.freedesktop.DBus.Error.ServiceUnknown",
  "org.freedesktop.DBus.Error.NameHasNoOwner",
  "org.freedesktop.DBus.Error.Spawn.",
];

/** D-Bus errors of an object that is not there (e.g. no default collection). */
const NO_OBJECT_ERRORS = [
  "org.freedesktop.Secret.Error.NoSuchObject",
  "org.freedesktop.DBus.Error.UnknownObject",
  "org.freedesktop.DBus.Error.UnknownMethod",
];

/** How long an unlock dialog may wait for its user. */
export const DEFAULT_PROMPT_TIMEOUT_MS = 60_000;

/** Options of `SecretService`. */
export interface SecretServiceOptions {
  /** `DBUS_SESSION_BUS_ADDRESS`. */
  busAddress?: string;
  /** `XDG_RUNTIME_DIR` (the bus is `$XDG_RUNTIME_DIR/bus` when no address is set). */
  runtimeDir?: string;
  /** How long one operation's D-Bus exchange may take (a watchdog per connection); 10 s default. */
  timeoutMs?: number;
  /** How long an unlock prompt may take; 60 s by default. */
  promptTimeoutMs?: number;
}

/** The one item keyring-rs would use, by object path. */
interface Item {
  path: string;
}

/** A `SecretStore` over the freedesktop Secret Service. */
export class SecretService implements SecretStore {
  /** Backend name reported by `auth status`. */
  readonly name = "secret-service";
  /** Where the values live, for humans. */
  readonly location = "OS keychain (Secret Service)";
  readonly #busAddress?: string;
  readonly #runtimeDir?: string;
  readonly #timeouts: { callMs: number; promptMs: number };

  /**
   * Builds the backend; connects to nothing until the first call.
   *
   * @param opts where the session bus is, and the timeouts
   */
  constructor(opts: SecretServiceOptions = {}) {
    this.#busAddress = opts.busAddress;
    this.#runtimeDir = opts.runtimeDir;
    this.#timeouts = {
      callMs: opts.timeoutMs ?? DEFAULT_STORE_TIMEOUT_MS,
      promptMs: opts.promptTimeoutMs ?? DEFAULT_PROMPT_TIMEOUT_MS,
    };
  }

  /**
   * Reads the value stored for `account`.
   *
   * @param account e.g. `state_datadoghq_com`
   * @returns the value, or `undefined` when no item matches
   */
  async get(account: string): Promise<string | undefined> {
    return await this.#withItem(account, "Reading", async (item, ss) => {
      if (item === undefined) return undefined;
      return this.#text(account, (await ss.secrets([item.path])).get(item.path));
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
    const bytes = new TextEncoder().encode(value);
    await this.#withItem(account, "Writing", async (item, ss) => {
      if (item) await ss.setSecret(item.path, bytes);
      else await ss.createItem(keyringRsLabel(account), keyringRsAttributes(account), bytes);
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
    return await this.#withItem(account, "Deleting", async (item, ss) => {
      if (item === undefined) return false;
      await ss.deleteItem(item.path);
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
   * Finds the one item keyring-rs would use for `account`, unlocking it if need be, and runs
   * `use` on it in the same connection; errors become storage errors naming the item.
   */
  async #withItem<T>(
    account: string,
    what: string,
    use: (item: Item | undefined, ss: SecretServiceSession) => Promise<T>,
  ): Promise<T> {
    const socket = sessionBusSocket(this.#busAddress, this.#runtimeDir);
    if ("reason" in socket) throw this.#absent(socket.reason);
    let ss: SecretServiceSession | undefined;
    try {
      ss = SecretServiceSession.open(socket.path, this.#timeouts);
      // The targeted search goes out with the session in one write; the legacy one only when
      // it finds nothing, as keyring-rs does.
      let found = await ss.search([["service", SERVICE], ["username", account], [
        "target",
        "default",
      ]]);
      if (found.unlocked.length + found.locked.length === 0) {
        found = await ss.search([["service", SERVICE], ["username", account]]);
      }
      const paths = [...found.unlocked, ...found.locked];
      if (paths.length > 1) throw await this.#ambiguous(account, ss, paths);
      if (paths.length === 0) return await use(undefined, ss);
      const path = paths[0];
      if (found.locked.includes(path) && !(await ss.unlock([path])).includes(path)) {
        throw this.#locked(account);
      }
      return await use({ path }, ss);
    } catch (e) {
      throw this.#translate(what, account, e);
    } finally {
      await ss?.close();
    }
  }

  async #ambiguous(account: string, ss: SecretServiceSession, paths: string[]) {
    const labels = await Promise.all(paths.map((p) => ss.label(p).catch(() => p)));
    const names = labels.map((l) => `"${l}"`).join(", ");
    return new StorageUnavailableError(
      `Found ${paths.length} Secret Service items for "${SERVICE}/${account}" (${names}); pup cannot tell which one holds your session and changed none of them. List them with 'secret-tool search --all service ${SERVICE} username ${account}', remove the extra ones, or use DD_TOKEN_STORAGE=file`,
    );
  }

  #text(account: string, secret: Uint8Array | undefined): string {
    if (secret === undefined) {
      throw new StorageUnavailableError(
        `Reading ${
          this.describe(account)
        } failed: the Secret Service found it but did not hand over its secret; check your keyring, or use DD_TOKEN_STORAGE=file`,
      );
    }
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(secret);
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

  #absent(detail: string): StoreAbsentError {
    return new StoreAbsentError(
      `No Secret Service is available (${detail}); start one (e.g. gnome-keyring in your desktop session), or use DD_TOKEN_STORAGE=file`,
    );
  }

  #translate(what: string, account: string, e: unknown): unknown {
    if (e instanceof StorageUnavailableError) return e;
    if (e instanceof DBusUnavailableError) return this.#absent(e.message);
    if (e instanceof DBusTimeoutError) {
      return new StorageUnavailableError(
        `${what} ${
          this.describe(account)
        } did not finish: ${e.message}; the Secret Service (e.g. gnome-keyring) may be hung or waiting for an unlock prompt: answer it, or use DD_TOKEN_STORAGE=file`,
      );
    }
    if (e instanceof PromptDismissedError) {
      return new StorageUnavailableError(
        `${what} ${
          this.describe(account)
        } failed: ${e.message} (or could not be shown: no desktop session?); unlock your keyring (log in to your desktop session, or run 'gnome-keyring-daemon --unlock' and type the keyring password) and run the command again, or use DD_TOKEN_STORAGE=file`,
      );
    }
    if (e instanceof DBusCallError) {
      if (ABSENT_ERRORS.some((name) => e.errorName.startsWith(name))) {
        return this.#absent(
          `nothing on the session bus provides org.freedesktop.secrets: ${e.errorName}`,
        );
      }
      if (e.errorName === "org.freedesktop.Secret.Error.IsLocked") return this.#locked(account);
      if (what === "Writing" && NO_OBJECT_ERRORS.includes(e.errorName)) {
        return new StorageUnavailableError(
          `${what} ${
            this.describe(account)
          } failed: the Secret Service has no default collection (${e.errorName}); create a default keyring (e.g. in Seahorse, "Passwords and Keys"), or use DD_TOKEN_STORAGE=file`,
        );
      }
    }
    if (e instanceof DBusCallError || e instanceof DBusWireError) {
      return new StorageUnavailableError(
        `${what} ${this.describe(account)} failed: ${
          e.message.split("\n")[0].slice(0, 200)
        }; check your keyring, or use DD_TOKEN_STORAGE=file`,
      );
    }
    return e;
  }

  #locked(account: string): StorageUnavailableError {
    return new StorageUnavailableError(
      `The Secret Service collection holding ${
        this.describe(account)
      } is locked: unlock it (log in to your desktop session, or run 'gnome-keyring-daemon --unlock' and type the keyring password), or use DD_TOKEN_STORAGE=file`,
    );
  }
}
