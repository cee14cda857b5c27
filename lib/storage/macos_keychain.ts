/**
 * The macOS backend: generic passwords (service `pup`, account `state_<site>`) in the user's
 * default keychain through `/usr/bin/security` (SPEC §6.2 macOS; facts: secure-store-tools.md,
 * macOS table). Items written through `security` are readable by it without prompts, so access
 * is pinned to that tool rather than to pup's own code signature (ref §12 weakness 17).
 *
 * The secret never goes on argv: a write runs `security -i` and sends the
 * `add-generic-password -U …` command on its stdin, every token double-quoted with `\` and `"`
 * escaped. `security -i` reads at most 4095 bytes a line and runs the rest as another command,
 * so a longer line is refused before anything runs.
 *
 * @module
 */

import type { CommandRunner } from "../deps.ts";
import { StorageUnavailableError } from "../errors.ts";
import { DEFAULT_TOOL_TIMEOUT_MS, runTool, type ToolSpec, utf8Length } from "./run_tool.ts";
import { type SecretStore, SERVICE } from "./secret_store.ts";

/** The tool's fixed path (`PUP_SECURITY_BIN` overrides it for tests). */
export const DEFAULT_SECURITY_BIN = "/usr/bin/security";

/** `security -i` line buffer: 4096 bytes with the NUL, so 4095 including the newline. */
export const SECURITY_LINE_MAX_BYTES = 4095;

const NOT_FOUND = 44; // errSecItemNotFound -25300
const INTERACTION_NOT_ALLOWED = 36; // errSecInteractionNotAllowed -25308
const AUTH_FAILED = 51; // errSecAuthFailed -25293

/** Options of `MacosKeychain`. */
export interface MacosKeychainOptions {
  /** Runs the tool (`deps.runner`). */
  runner: CommandRunner;
  /** `PUP_SECURITY_BIN`, else `/usr/bin/security`. */
  security?: string;
  /** Per-call timeout; 10 s by default. */
  timeoutMs?: number;
}

/** A `SecretStore` over the macOS keychain. */
export class MacosKeychain implements SecretStore {
  /** Backend name reported by `auth status`. */
  readonly name = "macos-keychain";
  /** Where the values live, for humans. */
  readonly location = "OS keychain (macOS login keychain)";
  readonly #tool: ToolSpec;

  /**
   * Builds the backend; runs nothing until the first call.
   *
   * @param opts the runner, tool path and timeout
   */
  constructor(opts: MacosKeychainOptions) {
    this.#tool = {
      runner: opts.runner,
      tool: opts.security ?? DEFAULT_SECURITY_BIN,
      timeoutMs: opts.timeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS,
      installHint: "macOS ships it at /usr/bin/security (PUP_SECURITY_BIN overrides the path)",
      hangHint:
        "the keychain may be waiting for you to unlock it or allow access: answer the dialog",
    };
  }

  /**
   * Reads the value stored for `account`.
   *
   * @param account e.g. `state_datadoghq_com`
   * @returns the value, or `undefined` when there is no such item
   */
  async get(account: string): Promise<string | undefined> {
    const args = ["find-generic-password", "-a", account, "-s", SERVICE, "-w"];
    const out = await runTool(this.#tool, "find-generic-password", args);
    if (out.code === NOT_FOUND) return undefined;
    if (out.code !== 0) throw this.#failure("Reading", account, out.code);
    return decodeSecurityOutput(out.stdout.endsWith("\n") ? out.stdout.slice(0, -1) : out.stdout);
  }

  /**
   * Creates or updates the item, then reads it back.
   *
   * @param account e.g. `state_datadoghq_com`
   * @param value any text without newline or NUL whose command line fits 4095 bytes
   */
  async set(account: string, value: string): Promise<void> {
    if (/[\n\0]/.test(value) || /[\n\0]/.test(account)) {
      throw new RangeError("security -i cannot carry a newline or NUL character in a value");
    }
    if (isAmbiguousHex(value)) {
      throw new RangeError(
        "security prints some values as hex, and this one would read back as different text",
      );
    }
    const line = `add-generic-password -U -a ${quote(account)} -s ${quote(SERVICE)} -w ${
      quote(value)
    }\n`;
    const bytes = utf8Length(line);
    if (bytes > SECURITY_LINE_MAX_BYTES) {
      throw new StorageUnavailableError(
        `The value for ${
          this.describe(account)
        } is too large for the macOS keychain through 'security -i' (${bytes} bytes on its command line, the limit is ${SECURITY_LINE_MAX_BYTES}); nothing was written. Use DD_TOKEN_STORAGE=file`,
      );
    }
    const out = await runTool(this.#tool, "add-generic-password", ["-i"], line);
    if (out.code !== 0) throw this.#failure("Writing", account, out.code);
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
   * Removes the value stored for `account`.
   *
   * @param account e.g. `state_datadoghq_com`
   * @returns `false` when there was no such item
   */
  async delete(account: string): Promise<boolean> {
    const args = ["delete-generic-password", "-a", account, "-s", SERVICE];
    const out = await runTool(this.#tool, "delete-generic-password", args);
    if (out.code === NOT_FOUND) return false;
    if (out.code !== 0) throw this.#failure("Deleting", account, out.code);
    return true;
  }

  /** How messages name the item of `account`. */
  describe(account: string): string {
    return `macOS keychain item "${SERVICE}/${account}"`;
  }

  /** How a user removes the item by hand. */
  removalHint(account: string): string {
    return `security delete-generic-password -a ${account} -s ${SERVICE}`;
  }

  #failure(what: string, account: string, code: number): StorageUnavailableError {
    const item = this.describe(account);
    const tool = `"${this.#tool.tool}"`;
    if (code === INTERACTION_NOT_ALLOWED) {
      return new StorageUnavailableError(
        `${what} ${item} failed: the keychain is locked and cannot ask you now (${tool} exit code ${code}; typical over SSH). Unlock it with 'security unlock-keychain' or use DD_TOKEN_STORAGE=file`,
      );
    }
    if (code === AUTH_FAILED) {
      return new StorageUnavailableError(
        `${what} ${item} failed: access was denied (${tool} exit code ${code}). Allow access when macOS asks, or use DD_TOKEN_STORAGE=file`,
      );
    }
    return new StorageUnavailableError(
      `${what} ${item} failed: ${tool} exited with code ${code}. Check the keychain with 'security find-generic-password -s ${SERVICE} -a ${account}', or use DD_TOKEN_STORAGE=file`,
    );
  }
}

/**
 * Quotes one token for `security -i`: `"…"` with `\` and `"` escaped, which its parser
 * round-trips byte for byte (secure-store-tools.md, "quoting in -i").
 *
 * @param token text without newline or NUL
 * @returns the quoted token
 */
export function quote(token: string): string {
  return `"${token.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

function isPrintableAscii(bytes: Uint8Array): boolean {
  return bytes.every((b) => b >= 0x20 && b <= 0x7e);
}

function hexToBytes(hex: string): Uint8Array | undefined {
  if (hex.length % 2 !== 0 || !/^[0-9a-f]*$/.test(hex)) return undefined;
  return Uint8Array.fromHex(hex);
}

/**
 * Undoes `find-generic-password -w`'s hex form: when any byte of the value is outside
 * 0x20-0x7E, `security` prints the whole value as lowercase hex. Output that is even-length
 * lowercase hex and decodes to valid UTF-8 with such a byte was hex; anything else is literal.
 *
 * @param printed stdout without its final newline
 * @returns the stored value
 */
export function decodeSecurityOutput(printed: string): string {
  const bytes = hexToBytes(printed);
  if (bytes === undefined || bytes.length === 0 || isPrintableAscii(bytes)) return printed;
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return printed;
  }
}

/**
 * Whether `value` would be printed literally yet decoded as hex (a lowercase hex string
 * spelling UTF-8 text with a non-printable byte). JSON never is, so pup never meets it.
 */
export function isAmbiguousHex(value: string): boolean {
  return decodeSecurityOutput(value) !== value;
}
