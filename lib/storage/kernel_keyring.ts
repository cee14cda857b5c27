/**
 * The Linux kernel keyring backend through `keyctl` (keyutils): the Rust `pup`'s fallback when
 * no Secret Service answers, and its only Linux store before 1.10.6 (SPEC §6.2; ref §0.1;
 * facts: secure-store-tools.md, "kernel key keyring-rs writes", "`keyctl` interplay",
 * "kernel limits").
 *
 * Keys are what keyring-rs 3.6.3 writes: type `user`, description `keyring-rs:<acct>@pup`, in
 * the session keyring `@s` and linked into the user's persistent keyring, which outlives the
 * login session (not a reboot, and it expires after 3 idle days).
 *
 * - Read, one process when the key is reachable: `keyctl pipe %user:<desc>`. That lookup falls
 *   back to scanning /proc/keys and can hit another session's key it may not read, so on any
 *   miss we link the persistent keyring into `@s` (`keyctl get_persistent @s`, as keyring-rs
 *   does when it opens an entry) and search `@s` properly.
 * - Write: `keyctl padd user <desc> @s` with the value on stdin, link it into the persistent
 *   keyring (best effort), read it back by id. The kernel refuses payloads over 32767 bytes, and
 *   a non-root user's keys share a 20000-byte quota ("Disk quota exceeded"); a refused update
 *   leaves the old payload.
 *
 * @module
 */

import type { CommandResult, CommandRunner } from "../deps.ts";
import { StorageUnavailableError } from "../errors.ts";
import { firstLine, runTool, type ToolSpec, utf8Length } from "./run_tool.ts";
import {
  DEFAULT_STORE_TIMEOUT_MS,
  type SecretStore,
  SERVICE,
  StoreAbsentError,
} from "./secret_store.ts";

/** The program looked up on PATH. */
export const DEFAULT_KEYCTL = "keyctl";

/** Largest payload of a `user` key. */
export const KERNEL_KEY_MAX_BYTES = 32767;

/** Default per-user quota of key payload bytes for non-root users (`/proc/sys/kernel/keys/maxbytes`). */
export const KERNEL_USER_QUOTA_BYTES = 20000;

const ABSENT_PATTERNS = [
  "Function not implemented",
  "Operation not supported",
  "Operation not permitted",
];
// "Permission denied": another session's key seen through /proc/keys; "revoked"/"expired": a
// key just invalidated, waiting for the kernel's garbage collector.
const MISSING_PATTERNS = [
  "Can't find",
  "Required key not available",
  "Permission denied",
  "Key has been revoked",
  "Key has expired",
];

/** keyring-rs's key description for `account`. */
export function keyDescription(account: string): string {
  return `keyring-rs:${account}@${SERVICE}`;
}

/** Options of `KernelKeyring`. */
export interface KernelKeyringOptions {
  /** Runs the tool (`deps.runner`). */
  runner: CommandRunner;
  /** The `keyctl` program; `keyctl` on PATH by default. */
  keyctl?: string;
  /** Per-call timeout; 10 s by default. */
  timeoutMs?: number;
  /** Link keys into the persistent keyring as keyring-rs does (default true). */
  persistent?: boolean;
}

/** A `SecretStore` over the Linux kernel key retention service. */
export class KernelKeyring implements SecretStore {
  /** Backend name reported by `auth status`. */
  readonly name = "kernel-keyring";
  /** Where the values live, for humans; says they do not survive a reboot. */
  readonly location = "OS keychain (Linux kernel keyring; keys do not survive a reboot)";
  /** The kernel refuses `user` key payloads over this many bytes. */
  readonly maxBytes = KERNEL_KEY_MAX_BYTES;
  readonly #tool: ToolSpec;
  readonly #persistent: boolean;

  /**
   * Builds the backend; runs nothing until the first call.
   *
   * @param opts the runner, tool path and timeout
   */
  constructor(opts: KernelKeyringOptions) {
    this.#tool = {
      runner: opts.runner,
      tool: opts.keyctl ?? DEFAULT_KEYCTL,
      timeoutMs: opts.timeoutMs ?? DEFAULT_STORE_TIMEOUT_MS,
      installHint: "install it with 'apt-get install keyutils'",
      hangHint: "check that 'keyctl show @s' answers",
    };
    this.#persistent = opts.persistent ?? true;
  }

  /**
   * Reads the value stored for `account`.
   *
   * @param account e.g. `state_datadoghq_com`
   * @returns the value, or `undefined` when no reachable key has that description
   */
  async get(account: string): Promise<string | undefined> {
    const fast = await this.#keyctl("pipe", ["pipe", `%user:${keyDescription(account)}`]);
    if (fast.code === 0) return fast.stdout;
    if (!isMiss(fast)) throw this.#failure("Reading", account, fast);
    const id = await this.#findId(account);
    if (id === undefined) return undefined;
    const out = await this.#keyctl("pipe", ["pipe", id]);
    if (out.code !== 0) throw this.#failure("Reading", account, out);
    return out.stdout;
  }

  /**
   * Stores `value` whole for `account`.
   *
   * @param account e.g. `state_datadoghq_com`
   * @param value non-empty text of at most 32767 UTF-8 bytes
   */
  async set(account: string, value: string): Promise<void> {
    if (value === "") throw new RangeError("The kernel keyring cannot hold an empty value");
    const bytes = utf8Length(value);
    if (bytes > KERNEL_KEY_MAX_BYTES) {
      throw new StorageUnavailableError(
        `The value for ${
          this.describe(account)
        } is ${bytes} bytes; the kernel keyring takes at most ${KERNEL_KEY_MAX_BYTES} per key (and ${KERNEL_USER_QUOTA_BYTES} for all of a non-root user's keys), so nothing was written. Use DD_TOKEN_STORAGE=file`,
      );
    }
    const added = await this.#keyctl(
      "padd",
      ["padd", "user", keyDescription(account), "@s"],
      value,
    );
    if (added.code !== 0) throw this.#failure("Writing", account, added);
    const id = added.stdout.trim();
    if (this.#persistent) {
      // Best effort, as keyring-rs: without it the key only lives as long as the session.
      const persistent = await runTool(this.#tool, "get_persistent", ["get_persistent", "@s"]);
      if (persistent.code === 0) {
        await runTool(this.#tool, "link", ["link", id, persistent.stdout.trim()]);
      }
    }
    const back = await this.#keyctl("pipe", ["pipe", id]);
    if (back.code !== 0 || back.stdout !== value) {
      const detail = back.code !== 0 ? `: ${firstLine(back.stderr)}` : "";
      throw new StorageUnavailableError(
        `Writing ${
          this.describe(account)
        } could not be verified (keyctl exit code ${back.code}${detail}); a shell without a session keyring of its own (e.g. in a container) can add keys it cannot read back. Use DD_TOKEN_STORAGE=file`,
      );
    }
  }

  /**
   * Invalidates every reachable key with the description (session and persistent keyrings).
   *
   * @param account e.g. `state_datadoghq_com`
   * @returns `false` when there was none
   */
  async delete(account: string): Promise<boolean> {
    let removed = false;
    // The session and the persistent keyring can each hold a key of that name.
    for (let round = 0; round < 4; round++) {
      const id = await this.#findId(account);
      if (id === undefined) return removed;
      const out = await this.#keyctl("invalidate", ["invalidate", id]);
      if (out.code !== 0) throw this.#failure("Deleting", account, out);
      removed = true;
    }
    throw new StorageUnavailableError(
      `${this.describe(account)} keeps coming back after 'keyctl invalidate'; remove it by hand (${
        this.removalHint(account)
      })`,
    );
  }

  /** How messages name the key of `account`. */
  describe(account: string): string {
    return `kernel key "${keyDescription(account)}"`;
  }

  /** How a user removes the key by hand. */
  removalHint(account: string): string {
    return `keyctl purge user ${keyDescription(account)}`;
  }

  async #findId(account: string): Promise<string | undefined> {
    // Best effort: kernels without persistent keyrings answer "Operation not supported".
    if (this.#persistent) await runTool(this.#tool, "get_persistent", ["get_persistent", "@s"]);
    const out = await this.#keyctl("search", ["search", "@s", "user", keyDescription(account)]);
    if (out.code === 0) return out.stdout.trim();
    if (isMiss(out)) return undefined;
    throw this.#failure("Reading", account, out);
  }

  async #keyctl(action: string, args: string[], stdin?: string): Promise<CommandResult> {
    const out = await runTool(this.#tool, action, args, stdin);
    if (out.code !== 0 && ABSENT_PATTERNS.some((p) => out.stderr.includes(p))) {
      throw new StoreAbsentError(
        `The kernel keyring is not usable here ("${this.#tool.tool} ${action}" exit code ${out.code}: ${
          firstLine(out.stderr)
        }; containers often block it); use DD_TOKEN_STORAGE=file`,
      );
    }
    return out;
  }

  #failure(what: string, account: string, out: CommandResult): StorageUnavailableError {
    const detail = firstLine(out.stderr);
    if (out.stderr.includes("Disk quota exceeded")) {
      return new StorageUnavailableError(
        `${what} ${
          this.describe(account)
        } failed: the kernel keyring quota is full (non-root users get ${KERNEL_USER_QUOTA_BYTES} bytes for all their keys, see /proc/sys/kernel/keys/maxbytes); the old value was kept. Use DD_TOKEN_STORAGE=file`,
      );
    }
    return new StorageUnavailableError(
      `${what} ${this.describe(account)} failed: "${this.#tool.tool}" exited with code ${out.code}${
        detail ? ` (${detail})` : ""
      }; check 'keyctl show @s', or use DD_TOKEN_STORAGE=file`,
    );
  }
}

function isMiss(out: CommandResult): boolean {
  return out.code === 1 && MISSING_PATTERNS.some((p) => out.stderr.includes(p));
}
