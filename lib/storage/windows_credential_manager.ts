/**
 * The Windows Credential Manager backend: advapi32 `CredReadW`/`CredWriteW`/`CredDeleteW`/
 * `CredFree` through `Deno.dlopen` (`wincred.ts`), as keyring-rs 3.6.3 calls them (SPEC §6.2
 * Windows, §6.3; ref §2.2), running the batches `chunking.ts` plans. Records are the keyring
 * 3.6.3 generic credentials the Rust `pup` reads: target `<name>.pup`, UserName `<name>`,
 * Comment `keyring v3.6.3`, TargetAlias empty, Persist ENTERPRISE, blob UTF-16LE without a NUL.
 *
 * A read is one batch (count, legacy record, chunks and journal). A write reads first unless
 * the last read of this instance already said whether the journal must be kept (as
 * `keychain_store.ts` does under its lock), and ends by reading the value back.
 *
 * The libraries are opened at the first call and kept by the instance; one that cannot be
 * loaded is a `StoreAbsentError`, so store selection falls back to files.
 *
 * @module
 */

import { StorageCorruptError, StorageUnavailableError } from "../errors.ts";
import {
  type ChunkedRead,
  interpretRead,
  readBatch,
  type RecordOp,
  type RecordResult,
  type StoredRecord,
} from "./chunking.ts";
import { deletedAnything, planDelete, planWrite, verifyWrite } from "./chunk_writes.ts";
import { type SecretStore, SERVICE, StoreAbsentError } from "./secret_store.ts";
import {
  CRED_MAX_CREDENTIAL_BLOB_SIZE,
  decodeBlob,
  DEFAULT_ADVAPI32,
  DEFAULT_KERNEL32,
  encodeBlob,
  ERROR_NO_SUCH_LOGON_SESSION,
  RPC_X_BAD_STUB_DATA,
  Win32CallError,
  WinCredApi,
} from "./wincred.ts";

/** The blob codec lives beside the FFI layer; re-exported for callers of this backend. */
export { decodeBlob, encodeBlob };

/** The Comment keyring-rs 3.6.3 gives every credential it writes. */
export const KEYRING_COMMENT = "keyring v3.6.3";

const ERROR_INVALID_PARAMETER = 87;

/** Options of `WindowsCredentialManager`. */
export interface WindowsCredentialManagerOptions {
  /** `PUP_ADVAPI32_LIB`, else `advapi32.dll`. */
  advapi32?: string;
  /** `PUP_KERNEL32_LIB` (for `GetLastError`), else `kernel32.dll`. */
  kernel32?: string;
  /** Told when a read recovered a value from the journal of an interrupted write. */
  onNotice?: (message: string) => void;
}

/** A `SecretStore` over Windows generic credentials, chunked and journaled. */
export class WindowsCredentialManager implements SecretStore {
  /** Backend name reported by `auth status`. */
  readonly name = "windows-credential-manager";
  /** Where the values live, for humans. */
  readonly location = "OS keychain (Windows Credential Manager)";
  readonly #advapi32: string;
  readonly #kernel32: string;
  readonly #onNotice?: (message: string) => void;
  #api?: WinCredApi | StoreAbsentError;
  /** Per account, what the last read said about the journal (instance state, not global). */
  readonly #keepJournal = new Map<string, boolean>();

  /**
   * Builds the backend; loads nothing until the first call.
   *
   * @param opts the library paths and the notice sink
   */
  constructor(opts: WindowsCredentialManagerOptions = {}) {
    this.#advapi32 = opts.advapi32 ?? DEFAULT_ADVAPI32;
    this.#kernel32 = opts.kernel32 ?? DEFAULT_KERNEL32;
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
  readDetailed(account: string): Promise<Extract<ChunkedRead, { ok: true }>> {
    return Promise.resolve().then(() => this.#readNow(account));
  }

  /**
   * Writes `value` crash-safely and verifies it by reading it back.
   *
   * @param account e.g. `state_datadoghq_com`
   * @param value non-empty, well-formed Unicode
   */
  async set(account: string, value: string): Promise<void> {
    if (value === "") throw new RangeError("The Windows backend cannot store an empty value");
    if (!value.isWellFormed()) throw new RangeError("The value is not well-formed Unicode");
    await Promise.resolve();
    let keep = this.#keepJournal.get(account);
    if (keep === undefined) {
      try {
        keep = this.#readNow(account).keepJournal;
      } catch (e) {
        if (!(e instanceof StorageCorruptError)) throw e;
        keep = false;
      }
    }
    const results = this.#execute(planWrite(account, value, keep));
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
    await Promise.resolve();
    const results = this.#execute(planDelete(account));
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

  #readNow(account: string): Extract<ChunkedRead, { ok: true }> {
    const read = interpretRead(account, this.#execute(readBatch(account)));
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

  /** Performs each primitive through the Win32 API, in order, stopping at the first failure. */
  #execute(ops: readonly RecordOp[]): RecordResult[] {
    const api = this.#library();
    try {
      return ops.map((op) => perform(api, op));
    } catch (e) {
      if (e instanceof Win32CallError) throw win32Error(e);
      throw e;
    }
  }

  #library(): WinCredApi {
    if (this.#api === undefined) {
      const opened = WinCredApi.open(this.#advapi32, this.#kernel32);
      this.#api = opened instanceof WinCredApi ? opened : new StoreAbsentError(
        `Cannot load "${opened.path}" (${opened.reason}): the Windows Credential Manager is not reachable; use DD_TOKEN_STORAGE=file`,
      );
    }
    if (this.#api instanceof StoreAbsentError) throw this.#api;
    return this.#api;
  }
}

function target(name: string): string {
  return `${name}.${SERVICE}`;
}

function readRecord(api: WinCredApi, name: string): StoredRecord | null {
  const found = api.read(target(name));
  if (found === null) return null;
  try {
    return { value: decodeBlob(found.blob), lastWritten: found.lastWritten };
  } catch (e) {
    const where = `Windows credential "${target(name)}"`;
    throw new StorageCorruptError(
      where,
      `Cannot read ${where}: ${
        (e as Error).message
      }. It was left untouched; remove it with 'cmdkey /delete:${
        target(name)
      }' and run 'pup auth login' again`,
    );
  }
}

function perform(api: WinCredApi, op: RecordOp): RecordResult {
  switch (op.op) {
    case "read":
      return { kind: "read", record: readRecord(api, op.name) };
    case "write":
      api.write({
        target: target(op.name),
        userName: op.name,
        comment: KEYRING_COMMENT,
        alias: "",
        blob: encodeBlob(op.value),
      });
      return { kind: "write" };
    case "delete":
      return { kind: "delete", found: api.delete(target(op.name)) };
    case "readSeq": {
      const records: StoredRecord[] = [];
      for (let i = op.start;; i++) {
        const record = readRecord(api, `${op.prefix}${i}`);
        if (record === null) return { kind: "readSeq", records };
        records.push(record);
      }
    }
    case "deleteSeq": {
      // Highest index first: a crash leaves a shorter run, never a gap.
      let end = op.start;
      while (api.read(target(`${op.prefix}${end}`)) !== null) end++;
      let deleted = 0;
      for (let i = end - 1; i >= op.start; i--) {
        if (api.delete(target(`${op.prefix}${i}`))) deleted++;
      }
      return { kind: "deleteSeq", deleted };
    }
  }
}

function win32Error(e: Win32CallError): StorageUnavailableError {
  const call = `${e.fn} error ${e.code} on "${e.target}"`;
  if (e.code === ERROR_NO_SUCH_LOGON_SESSION) {
    return new StoreAbsentError(
      `The Windows Credential Manager is not available in this logon session (${call}, typical of SSH and service sessions); use DD_TOKEN_STORAGE=file`,
      { cause: e },
    );
  }
  if (e.code === RPC_X_BAD_STUB_DATA) {
    return new StorageUnavailableError(
      `The Windows Credential Manager refused a record as too large (${call}; its limit is ${CRED_MAX_CREDENTIAL_BLOB_SIZE} bytes); use DD_TOKEN_STORAGE=file`,
      { cause: e },
    );
  }
  const hint = e.code === ERROR_INVALID_PARAMETER
    ? " (invalid parameter: a pup bug, report it)"
    : "";
  return new StorageUnavailableError(
    `The Windows Credential Manager call ${e.fn} failed with error ${e.code}${hint} on "${e.target}"; check Credential Manager, or use DD_TOKEN_STORAGE=file`,
    { cause: e },
  );
}
