/**
 * advapi32's generic-credential calls (`CredReadW`, `CredWriteW`, `CredDeleteW`, `CredFree`) and
 * kernel32's `GetLastError`, through `Deno.dlopen`, as keyring-rs 3.6.3's `windows.rs` makes them
 * (SPEC §6.2 Windows): Type `CRED_TYPE_GENERIC`, Persist `CRED_PERSIST_ENTERPRISE`, no attributes,
 * Flags 0. This file only moves bytes; `windows_credential_manager.ts` decides what to store.
 *
 * Every call is synchronous, so `GetLastError` runs on the same thread right after the call that
 * failed. "Not found" (1168) is a value; any other failure throws `Win32CallError`.
 *
 * @module
 */

import {
  copyBytes,
  type LibraryLoadFailure,
  openLibrary,
  pinnedCopy,
  pointerSlot,
  slotPointer,
  wideString,
} from "../platform/native.ts";

/** The library holding the credential calls when no path is configured. */
export const DEFAULT_ADVAPI32 = "advapi32.dll";
/** The library holding `GetLastError` when no path is configured. */
export const DEFAULT_KERNEL32 = "kernel32.dll";

/** `ERROR_NOT_FOUND`: no credential has that target. */
export const ERROR_NOT_FOUND = 1168;
/** `ERROR_NO_SUCH_LOGON_SESSION`: this logon session has no credential set (SSH, services). */
export const ERROR_NO_SUCH_LOGON_SESSION = 1312;
/** `RPC_X_BAD_STUB_DATA`: what `CredWriteW` answers for a blob over 2560 bytes. */
export const RPC_X_BAD_STUB_DATA = 1783;
/** `CRED_MAX_CREDENTIAL_BLOB_SIZE`. */
export const CRED_MAX_CREDENTIAL_BLOB_SIZE = 2560;

const CRED_TYPE_GENERIC = 1;
const CRED_PERSIST_ENTERPRISE = 3;
/** `sizeof(CREDENTIALW)` on x64, and the offsets of the fields pup reads or writes. */
const CREDENTIALW_SIZE = 80;
const AT = {
  type: 4,
  targetName: 8,
  comment: 16,
  lastWritten: 24,
  blobSize: 32,
  blob: 40,
  persist: 48,
  targetAlias: 64,
  userName: 72,
} as const;

const ADVAPI32_SYMBOLS = {
  CredReadW: { parameters: ["buffer", "u32", "u32", "buffer"], result: "i32" },
  CredWriteW: { parameters: ["buffer", "u32"], result: "i32" },
  CredDeleteW: { parameters: ["buffer", "u32", "u32"], result: "i32" },
  CredFree: { parameters: ["pointer"], result: "void" },
} as const;

const KERNEL32_SYMBOLS = {
  GetLastError: { parameters: [], result: "u32" },
} as const;

/** A Win32 credential call failed with a code other than "not found". */
export class Win32CallError extends Error {
  /** The call, e.g. `CredWriteW`. */
  readonly fn: string;
  /** Its `GetLastError()` code. */
  readonly code: number;
  /** The TargetName it was called with. */
  readonly target: string;

  /**
   * @param fn the call
   * @param code the last error
   * @param target the TargetName
   */
  constructor(fn: string, code: number, target: string) {
    super(`${fn} failed with error ${code} on "${target}"`);
    this.name = "Win32CallError";
    this.fn = fn;
    this.code = code;
    this.target = target;
  }
}

/** What `read` returns: the blob bytes and the system's LastWritten. */
export interface ReadCredential {
  /** `CredentialBlob`, copied out of the block `CredFree` released. */
  blob: Uint8Array<ArrayBuffer>;
  /** `LastWritten` as a FILETIME (100 ns ticks since 1601). */
  lastWritten: bigint;
}

/** What `write` stores besides the fixed Type, Persist and Flags. */
export interface GenericCredential {
  /** TargetName, e.g. `state_datadoghq_com_0.pup`. */
  target: string;
  /** UserName. */
  userName: string;
  /** Comment. */
  comment: string;
  /** TargetAlias (keyring-rs passes an empty string). */
  alias: string;
  /** CredentialBlob, at most 2560 bytes. */
  blob: Uint8Array;
}

/** The generic-credential calls of one opened advapi32 and kernel32. */
export class WinCredApi {
  readonly #advapi: Deno.DynamicLibrary<typeof ADVAPI32_SYMBOLS>["symbols"];
  readonly #lastError: () => number;

  private constructor(
    advapi: Deno.DynamicLibrary<typeof ADVAPI32_SYMBOLS>["symbols"],
    lastError: () => number,
  ) {
    this.#advapi = advapi;
    this.#lastError = lastError;
  }

  /**
   * Opens both libraries.
   *
   * @param advapi32 path or name of advapi32
   * @param kernel32 path or name of kernel32
   * @returns the API, or the library that could not be loaded and why
   */
  static open(advapi32: string, kernel32: string): WinCredApi | LibraryLoadFailure {
    const advapi = openLibrary([advapi32], ADVAPI32_SYMBOLS);
    if (!advapi.ok) return advapi;
    const kernel = openLibrary([kernel32], KERNEL32_SYMBOLS);
    if (!kernel.ok) {
      advapi.lib.close();
      return kernel;
    }
    return new WinCredApi(advapi.lib.symbols, () => kernel.lib.symbols.GetLastError());
  }

  /**
   * `CredReadW` of a generic credential, then `CredFree` of the block it returned.
   *
   * @param target the TargetName
   * @returns the blob and LastWritten, or `null` when there is no such credential
   * @throws Win32CallError for any failure but "not found"
   */
  read(target: string): ReadCredential | null {
    const slot = pointerSlot();
    if (this.#advapi.CredReadW(wideString(target), CRED_TYPE_GENERIC, 0, slot) === 0) {
      const code = this.#lastError();
      if (code === ERROR_NOT_FOUND) return null;
      throw new Win32CallError("CredReadW", code, target);
    }
    const block = slotPointer(slot);
    if (block === null) throw new Win32CallError("CredReadW", 0, target);
    try {
      const view = new Deno.UnsafePointerView(block);
      const low = BigInt(view.getUint32(AT.lastWritten));
      const high = BigInt(view.getUint32(AT.lastWritten + 4));
      return {
        blob: copyBytes(view.getPointer(AT.blob), view.getUint32(AT.blobSize)),
        lastWritten: (high << 32n) | low,
      };
    } finally {
      this.#advapi.CredFree(block);
    }
  }

  /**
   * `CredWriteW` of a generic credential with Persist ENTERPRISE, creating or replacing it.
   *
   * @param cred what to store
   * @throws Win32CallError on failure (1783 when the blob is over 2560 bytes)
   */
  write(cred: GenericCredential): void {
    const target = pinnedCopy(wideString(cred.target));
    const comment = pinnedCopy(wideString(cred.comment));
    const alias = pinnedCopy(wideString(cred.alias));
    const user = pinnedCopy(wideString(cred.userName));
    const blob = pinnedCopy(cred.blob);
    const struct = new Uint8Array(new ArrayBuffer(CREDENTIALW_SIZE));
    const view = new DataView(struct.buffer);
    view.setUint32(AT.type, CRED_TYPE_GENERIC, true);
    view.setBigUint64(AT.targetName, target.address, true);
    view.setBigUint64(AT.comment, comment.address, true);
    view.setUint32(AT.blobSize, cred.blob.length, true);
    view.setBigUint64(AT.blob, cred.blob.length > 0 ? blob.address : 0n, true);
    view.setUint32(AT.persist, CRED_PERSIST_ENTERPRISE, true);
    view.setBigUint64(AT.targetAlias, alias.address, true);
    view.setBigUint64(AT.userName, user.address, true);
    const ok = this.#advapi.CredWriteW(struct, 0);
    const code = ok === 0 ? this.#lastError() : 0;
    // The struct points into these buffers: keep them alive until the call has returned.
    void [target.keep, comment.keep, alias.keep, user.keep, blob.keep];
    if (ok === 0) throw new Win32CallError("CredWriteW", code, cred.target);
  }

  /**
   * `CredDeleteW` of a generic credential.
   *
   * @param target the TargetName
   * @returns `false` when there was no such credential
   * @throws Win32CallError for any failure but "not found"
   */
  delete(target: string): boolean {
    if (this.#advapi.CredDeleteW(wideString(target), CRED_TYPE_GENERIC, 0) !== 0) return true;
    const code = this.#lastError();
    if (code === ERROR_NOT_FOUND) return false;
    throw new Win32CallError("CredDeleteW", code, target);
  }
}

/** A value as the credential blob keyring 3.6.3 writes: UTF-16LE code units, no NUL. */
export function encodeBlob(value: string): Uint8Array<ArrayBuffer> {
  return wideString(value).slice(0, value.length * 2);
}

/**
 * Decodes a credential blob as keyring 3.6.3 does: odd lengths and invalid UTF-16 are errors.
 *
 * @param blob the blob bytes
 * @returns the text
 * @throws TypeError for an odd length or a lone surrogate
 */
export function decodeBlob(blob: Uint8Array): string {
  if (blob.length % 2 !== 0) throw new TypeError("Credential blob has an odd length: not UTF-16");
  return new TextDecoder("utf-16le", { fatal: true, ignoreBOM: true }).decode(blob);
}
