/**
 * The Windows Credential Manager backend: one `powershell.exe` process per operation running
 * the fixed interpreter of `windows_script.ts` on a batch of primitives planned by
 * `chunking.ts` (SPEC §6.2 Windows, §6.3; ref §2.2). Records are the keyring 3.6.3 generic
 * credentials the Rust `pup` reads: target `<name>.pup`, blob UTF-16LE.
 *
 * A read is one process (count, legacy record, chunks and journal in one batch). A write is one
 * process when the value was read first, as `keychain_store.ts` always does under its lock: the
 * read says whether the journal must be kept; a bare `set` reads first (two processes). The
 * write batch ends by reading the value back, so verification costs no extra process.
 *
 * UNVERIFIED ON REAL WINDOWS (see `windows_script.ts`); the batch logic is exercised through
 * `tests/_fakes/fake_powershell.ts`.
 *
 * @module
 */

import type { CommandRunner } from "../deps.ts";
import { StorageCorruptError, StorageUnavailableError } from "../errors.ts";
import {
  type ChunkedRead,
  deletedAnything,
  interpretRead,
  planDelete,
  planWrite,
  readBatch,
  type RecordOp,
  type RecordResult,
  verifyWrite,
} from "./chunking.ts";
import {
  DEFAULT_TOOL_TIMEOUT_MS,
  firstLine,
  runTool,
  StoreAbsentError,
  type ToolSpec,
} from "./run_tool.ts";
import { type SecretStore, SERVICE } from "./secret_store.ts";
import { powerShellArgs } from "./windows_script.ts";

/** Where PowerShell is looked up when `PUP_POWERSHELL_BIN` is not set. */
export const DEFAULT_POWERSHELL = "powershell.exe";

const ERROR_NO_SUCH_LOGON_SESSION = 1312;
const RPC_X_BAD_STUB_DATA = 1783;

/** Options of `WindowsCredentialManager`. */
export interface WindowsCredentialManagerOptions {
  /** Runs the tool (`deps.runner`). */
  runner: CommandRunner;
  /** `PUP_POWERSHELL_BIN`, else `powershell.exe`. */
  powershell?: string;
  /** Per-call timeout; 10 s by default. */
  timeoutMs?: number;
  /** Told when a read recovered a value from the journal of an interrupted write. */
  onNotice?: (message: string) => void;
}

/** The wire form of one primitive (see `windows_script.ts`). */
export type WireOp =
  | { op: "read"; target: string }
  | { op: "delete"; target: string }
  | { op: "write"; target: string; user: string; blob: string }
  | { op: "readSeq"; prefix: string; suffix: string; start: number }
  | { op: "deleteSeq"; prefix: string; suffix: string; start: number };

/** A `SecretStore` over Windows generic credentials, chunked and journaled. */
export class WindowsCredentialManager implements SecretStore {
  /** Backend name reported by `auth status`. */
  readonly name = "windows-credential-manager";
  /** Where the values live, for humans. */
  readonly location = "OS keychain (Windows Credential Manager)";
  readonly #tool: ToolSpec;
  readonly #onNotice?: (message: string) => void;
  /** Per account, what the last read said about the journal (instance state, not global). */
  readonly #keepJournal = new Map<string, boolean>();

  /**
   * Builds the backend; runs nothing until the first call.
   *
   * @param opts the runner, tool path and timeout
   */
  constructor(opts: WindowsCredentialManagerOptions) {
    this.#tool = {
      runner: opts.runner,
      tool: opts.powershell ?? DEFAULT_POWERSHELL,
      timeoutMs: opts.timeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS,
      installHint:
        "pup needs Windows PowerShell (powershell.exe) on the PATH, or PUP_POWERSHELL_BIN",
      hangHint: "check that 'powershell.exe -NoProfile' starts",
    };
    this.#onNotice = opts.onNotice;
  }

  /**
   * Reads the value stored for `account`.
   *
   * @param account e.g. `state_datadoghq_com`
   * @returns the value, or `undefined` when none is stored
   * @throws StorageCorruptError when the chunks are broken and no journal can stand in
   */
  async get(account: string): Promise<string | undefined> {
    const read = await this.readDetailed(account);
    return read.value;
  }

  /**
   * Reads `account` and says where the value came from (`source`, `recovered`), so a caller
   * can warn about a recovery; `get` reports recoveries through `onNotice`.
   *
   * @param account e.g. `state_datadoghq_com`
   * @returns the interpreted read
   * @throws StorageCorruptError when the chunks are broken and no journal can stand in
   */
  async readDetailed(account: string): Promise<Extract<ChunkedRead, { ok: true }>> {
    const results = await this.#batch(readBatch(account));
    const read = interpretRead(account, results);
    if (!read.ok) {
      this.#keepJournal.set(account, false);
      throw new StorageCorruptError(
        this.describe(account),
        `Cannot read ${
          this.describe(account)
        }: ${read.problem}. It was left untouched; remove it (${
          this.removalHint(account)
        }) and run 'pup auth login' again, or use DD_TOKEN_STORAGE=file`,
      );
    }
    this.#keepJournal.set(account, read.keepJournal);
    if (read.recovered) {
      this.#onNotice?.(
        `Recovered ${
          this.describe(account)
        } from the copy an interrupted pup write left behind; the next write tidies it up`,
      );
    }
    return read;
  }

  /**
   * Writes `value` crash-safely and verifies it in the same process.
   *
   * @param account e.g. `state_datadoghq_com`
   * @param value non-empty, well-formed Unicode
   */
  async set(account: string, value: string): Promise<void> {
    if (value === "") throw new RangeError("The Windows backend cannot store an empty value");
    if (!value.isWellFormed()) throw new RangeError("The value is not well-formed Unicode");
    let keep = this.#keepJournal.get(account);
    if (keep === undefined) {
      keep = await this.readDetailed(account).then((r) => r.keepJournal, (e) => {
        if (e instanceof StorageCorruptError) return false;
        throw e;
      });
    }
    const results = await this.#batch(planWrite(account, value, keep));
    this.#keepJournal.set(account, false);
    const problem = verifyWrite(value, results);
    if (problem) {
      throw new StorageUnavailableError(
        `Writing ${
          this.describe(account)
        } could not be verified (${problem}); run the command again, or use DD_TOKEN_STORAGE=file`,
      );
    }
  }

  /**
   * Removes the value stored for `account`.
   *
   * @param account e.g. `state_datadoghq_com`
   * @returns `false` when nothing was stored
   */
  async delete(account: string): Promise<boolean> {
    const results = await this.#batch(planDelete(account));
    this.#keepJournal.set(account, false);
    return deletedAnything(results);
  }

  /** How messages name the records of `account`. */
  describe(account: string): string {
    return `Windows credentials "${account}_*.${SERVICE}"`;
  }

  /** How a user removes the records of `account` by hand. */
  removalHint(account: string): string {
    return `cmdkey /list:${account}* lists them; cmdkey /delete:<target> removes each`;
  }

  async #batch(ops: RecordOp[]): Promise<RecordResult[]> {
    const wire = ops.map(toWire);
    const stdin = new TextEncoder().encode(JSON.stringify({ ops: wire })).toBase64();
    const out = await runTool(this.#tool, "Credential Manager batch", powerShellArgs(), stdin);
    let parsed: WireOutput;
    try {
      parsed = JSON.parse(out.stdout.trim());
    } catch {
      const detail = firstLine(out.stderr);
      throw new StorageUnavailableError(
        `"${this.#tool.tool}" exited with code ${out.code} without a result${
          detail ? ` (${detail})` : ""
        }; check that Windows PowerShell 5.1 runs, or use DD_TOKEN_STORAGE=file`,
      );
    }
    if (parsed.fatal !== undefined) {
      throw new StorageUnavailableError(
        `The Credential Manager script failed in "${this.#tool.tool}" (exit code ${out.code}, ${parsed.fatal}); use DD_TOKEN_STORAGE=file and report this`,
      );
    }
    if (parsed.error) throw this.#win32Error(parsed.error, wire[parsed.error.index]);
    return (parsed.results ?? []).map((r, i) => {
      try {
        return fromWire(ops[i], r);
      } catch (e) {
        const op = wire[i];
        const where = "target" in op ? `"${op.target}"` : `"${op.prefix}<n>${op.suffix}"`;
        throw new StorageCorruptError(
          `Windows credential ${where}`,
          `Cannot read Windows credential ${where}: ${
            (e as Error).message
          }. It was left untouched; remove it with 'cmdkey /delete:<target>' and run 'pup auth login' again`,
        );
      }
    });
  }

  #win32Error(err: { fn: string; code: number }, op: WireOp | undefined): Error {
    const target = op && "target" in op ? ` on "${op.target}"` : "";
    if (err.code === ERROR_NO_SUCH_LOGON_SESSION) {
      return new StoreAbsentError(
        `The Windows Credential Manager is not available in this logon session (${err.fn} error ${err.code}, typical of SSH and service sessions); use DD_TOKEN_STORAGE=file`,
      );
    }
    if (err.code === RPC_X_BAD_STUB_DATA) {
      return new StorageUnavailableError(
        `The Windows Credential Manager refused a record as too large (${err.fn} error ${err.code}${target}; its limit is 2560 bytes); use DD_TOKEN_STORAGE=file`,
      );
    }
    return new StorageUnavailableError(
      `The Windows Credential Manager call ${err.fn} failed with error ${err.code}${target}; check Credential Manager, or use DD_TOKEN_STORAGE=file`,
    );
  }
}

interface WireRecord {
  blob: string;
  lw: string;
}

interface WireOutput {
  results?: Array<
    { found?: boolean; blob?: string; lw?: string; items?: WireRecord[]; deleted?: number }
  >;
  error?: { index: number; fn: string; code: number } | null;
  fatal?: string;
}

/** A value as the credential blob the Rust crate writes: UTF-16LE bytes, no NUL, in base64. */
export function encodeBlob(value: string): string {
  const bytes = new Uint8Array(value.length * 2);
  for (let i = 0; i < value.length; i++) {
    bytes[2 * i] = value.charCodeAt(i) & 0xff;
    bytes[2 * i + 1] = value.charCodeAt(i) >> 8;
  }
  return bytes.toBase64();
}

/**
 * Decodes a credential blob as keyring 3.6.3 does: odd lengths and invalid UTF-16 are errors.
 *
 * @param blob base64 of the blob bytes
 * @returns the text
 */
export function decodeBlob(blob: string): string {
  const bytes = Uint8Array.fromBase64(blob);
  if (bytes.length % 2 !== 0) throw new TypeError("Credential blob has an odd length: not UTF-16");
  return new TextDecoder("utf-16le", { fatal: true, ignoreBOM: true }).decode(bytes);
}

function target(name: string): string {
  return `${name}.${SERVICE}`;
}

function toWire(op: RecordOp): WireOp {
  switch (op.op) {
    case "read":
      return { op: "read", target: target(op.name) };
    case "delete":
      return { op: "delete", target: target(op.name) };
    case "write":
      return { op: "write", target: target(op.name), user: op.name, blob: encodeBlob(op.value) };
    case "readSeq":
      return { op: "readSeq", prefix: op.prefix, suffix: `.${SERVICE}`, start: op.start };
    case "deleteSeq":
      return { op: "deleteSeq", prefix: op.prefix, suffix: `.${SERVICE}`, start: op.start };
  }
}

function record(r: WireRecord) {
  return { value: decodeBlob(r.blob), lastWritten: BigInt(r.lw) };
}

function fromWire(op: RecordOp, r: NonNullable<WireOutput["results"]>[number]): RecordResult {
  switch (op.op) {
    case "read":
      return {
        kind: "read",
        record: r.found && r.blob !== undefined ? record(r as WireRecord) : null,
      };
    case "readSeq":
      return { kind: "readSeq", records: (r.items ?? []).map(record) };
    case "write":
      return { kind: "write" };
    case "delete":
      return { kind: "delete", found: r.found === true };
    case "deleteSeq":
      return { kind: "deleteSeq", deleted: r.deleted ?? 0 };
  }
}
