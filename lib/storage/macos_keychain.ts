/**
 * The macOS backend: generic passwords (service `pup`, account `state_<site>`, password the
 * UTF-8 bytes of the value) in the user's default keychain, through Security.framework's
 * SecKeychain API called with `Deno.dlopen`, exactly as keyring-rs 3.6.3 (`macos.rs`) does, so
 * items are byte-identical to the Rust `pup`'s (SPEC §6.2 macOS).
 *
 * keyring-rs's sequences: get = Find (password out) then FreeContent; set = Find (item out),
 * then ModifyAttributesAndData on that item, or Add when there was none; delete = Find (item
 * out) then ItemDelete. Item refs are released with CFRelease. The calls are synchronous: each
 * is one round trip to securityd, and a keychain dialog must block pup anyway. The old backend
 * (`/usr/bin/security -i`) read at most 4095 bytes a line, one org per site; this one has no
 * small limit (SPEC §6.2 asks for about 50 KB).
 *
 * @module
 */

import { StorageCorruptError, StorageUnavailableError } from "../errors.ts";
import {
  copyBytes,
  cString,
  openLibrary,
  pointerSlot,
  slotPointer,
  utf8Bytes,
} from "../platform/native.ts";
import { type SecretStore, SERVICE, StoreAbsentError } from "./secret_store.ts";

/** Where macOS keeps the Security framework (`PUP_SECURITY_FRAMEWORK_LIB` overrides it). */
export const SECURITY_FRAMEWORK_PATH = "/System/Library/Frameworks/Security.framework/Security";

/** The functions pup binds, with Apple's C signatures (OSStatus = i32, UInt32 = u32). */
export const SECURITY_SYMBOLS = {
  SecKeychainFindGenericPassword: {
    // keychainOrArray, serviceLen, service, accountLen, account, *passwordLength,
    // **passwordData, *itemRef
    parameters: ["pointer", "u32", "buffer", "u32", "buffer", "buffer", "buffer", "buffer"],
    result: "i32",
  },
  SecKeychainAddGenericPassword: {
    // keychain, serviceLen, service, accountLen, account, passwordLength, passwordData, *itemRef
    parameters: ["pointer", "u32", "buffer", "u32", "buffer", "u32", "buffer", "buffer"],
    result: "i32",
  },
  SecKeychainItemModifyAttributesAndData: {
    // itemRef, attrList, length, data
    parameters: ["pointer", "pointer", "u32", "buffer"],
    result: "i32",
  },
  SecKeychainItemDelete: { parameters: ["pointer"], result: "i32" },
  SecKeychainItemFreeContent: { parameters: ["pointer", "pointer"], result: "i32" },
  CFRelease: { parameters: ["pointer"], result: "void" },
} as const satisfies Deno.ForeignLibraryInterface;

type Security = Deno.DynamicLibrary<typeof SECURITY_SYMBOLS>["symbols"];

/** OSStatus values pup tells apart (Security/SecBase.h, MacErrors.h). */
export const OSSTATUS = {
  itemNotFound: -25300,
  duplicateItem: -25299,
  interactionNotAllowed: -25308,
  authFailed: -25293,
  userCanceled: -128,
  noSuchKeychain: -25294,
  noDefaultKeychain: -25307,
  param: -50,
} as const;

const U32_MAX = 0xffff_ffff;

/** Options of `MacosKeychain`. */
export interface MacosKeychainOptions {
  /** The Security framework to load: `PUP_SECURITY_FRAMEWORK_LIB`, else the system one. */
  library?: string;
}

/** A `SecretStore` over the macOS default keychain, through Security.framework. */
export class MacosKeychain implements SecretStore {
  /** Backend name reported by `auth status`. */
  readonly name = "macos-keychain";
  /** Where the values live, for humans. */
  readonly location = "OS keychain (macOS login keychain)";
  readonly #path: string;
  #security?: Security;

  /**
   * Builds the backend; loads nothing until the first call.
   *
   * @param opts `library`: the Security framework's path (default the system one)
   */
  constructor(opts: MacosKeychainOptions = {}) {
    this.#path = opts.library || SECURITY_FRAMEWORK_PATH;
  }

  /**
   * Reads the value stored for `account`.
   *
   * @param account e.g. `state_datadoghq_com`
   * @returns the value, or `undefined` when there is no such item
   * @throws StoreAbsentError when the Security framework cannot be loaded
   * @throws StorageCorruptError when the password is not UTF-8 (the item is left as it is)
   */
  get(account: string): Promise<string | undefined> {
    return Promise.resolve().then(() => this.#get(account));
  }

  /**
   * Creates or updates the item (one Modify on an existing item, never delete-then-add), then
   * reads it back.
   *
   * @param account e.g. `state_datadoghq_com`
   * @param value any text whose UTF-8 form fits a UInt32 length
   */
  set(account: string, value: string): Promise<void> {
    return Promise.resolve().then(() => this.#set(account, value));
  }

  /**
   * Removes the item stored for `account`.
   *
   * @param account e.g. `state_datadoghq_com`
   * @returns `false` when there was no such item
   */
  delete(account: string): Promise<boolean> {
    return Promise.resolve().then(() => this.#delete(account));
  }

  /** How messages name the item of `account`. */
  describe(account: string): string {
    return `macOS keychain item "${SERVICE}/${account}"`;
  }

  /** How a user removes the item by hand. */
  removalHint(account: string): string {
    return `security delete-generic-password -a ${account} -s ${SERVICE}`;
  }

  #get(account: string): string | undefined {
    const sec = this.#load();
    const length = new Uint32Array(1);
    const data = pointerSlot();
    const names = itemNames(account);
    const status = sec.SecKeychainFindGenericPassword(null, ...names, length, data, null);
    if (status === OSSTATUS.itemNotFound) return undefined;
    this.#check("Reading", "SecKeychainFindGenericPassword", account, status);
    const ptr = slotPointer(data);
    let bytes: Uint8Array;
    try {
      bytes = copyBytes(ptr, length[0]);
    } finally {
      const freed = sec.SecKeychainItemFreeContent(null, ptr);
      this.#check("Reading", "SecKeychainItemFreeContent", account, freed);
    }
    try {
      return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
    } catch (e) {
      const item = this.describe(account);
      throw new StorageCorruptError(
        item,
        `Cannot read ${item}: its ${bytes.length} bytes are not UTF-8 text. It was left untouched; remove it (${
          this.removalHint(account)
        }) and run 'pup auth login' again, or use DD_TOKEN_STORAGE=file`,
        { cause: e },
      );
    }
  }

  #set(account: string, value: string): void {
    const bytes = utf8Bytes(value);
    if (bytes.length > U32_MAX) {
      throw new RangeError(
        `The value for ${
          this.describe(account)
        } is ${bytes.length} bytes; the keychain takes at most ${U32_MAX}`,
      );
    }
    const sec = this.#load();
    const names = itemNames(account);
    // A duplicate from Add means another writer created the item after our Find: modify it.
    for (let attempt = 0; attempt < 2; attempt++) {
      const slot = pointerSlot();
      const found = sec.SecKeychainFindGenericPassword(null, ...names, null, null, slot);
      if (found === 0) {
        const item = slotPointer(slot);
        let status: number;
        try {
          status = sec.SecKeychainItemModifyAttributesAndData(item, null, bytes.length, bytes);
        } finally {
          sec.CFRelease(item);
        }
        this.#check("Writing", "SecKeychainItemModifyAttributesAndData", account, status);
        break;
      }
      if (found !== OSSTATUS.itemNotFound) {
        this.#check("Writing", "SecKeychainFindGenericPassword", account, found);
      }
      const added = sec.SecKeychainAddGenericPassword(null, ...names, bytes.length, bytes, null);
      if (added === 0) break;
      if (added !== OSSTATUS.duplicateItem || attempt === 1) {
        this.#check("Writing", "SecKeychainAddGenericPassword", account, added);
      }
    }
    const back = this.#get(account);
    if (back !== value) {
      throw new StorageUnavailableError(
        `Writing ${this.describe(account)} could not be verified: the value read back ${
          back === undefined ? "is missing" : "differs"
        }; run the command again, or use DD_TOKEN_STORAGE=file`,
      );
    }
  }

  #delete(account: string): boolean {
    const sec = this.#load();
    const slot = pointerSlot();
    const found = sec.SecKeychainFindGenericPassword(null, ...itemNames(account), null, null, slot);
    if (found === OSSTATUS.itemNotFound) return false;
    this.#check("Deleting", "SecKeychainFindGenericPassword", account, found);
    const item = slotPointer(slot);
    let status: number;
    try {
      status = sec.SecKeychainItemDelete(item);
    } finally {
      sec.CFRelease(item);
    }
    if (status === OSSTATUS.itemNotFound) return false;
    this.#check("Deleting", "SecKeychainItemDelete", account, status);
    return true;
  }

  #load(): Security {
    if (this.#security) return this.#security;
    const opened = openLibrary([this.#path], SECURITY_SYMBOLS);
    if (!opened.ok) {
      throw new StoreAbsentError(
        `Cannot load the macOS Security framework from "${opened.path}": ${opened.reason}. On macOS it is part of the system; elsewhere use DD_TOKEN_STORAGE=file`,
      );
    }
    this.#security = opened.lib.symbols;
    return this.#security;
  }

  #check(what: string, call: string, account: string, status: number): void {
    if (status === 0) return;
    throw keychainError(`${what} ${this.describe(account)} failed`, call, status);
  }
}

/** Service and account as the (length, NUL-terminated bytes) pairs Find and Add take. */
function itemNames(account: string): [number, Uint8Array, number, Uint8Array] {
  const service = cString(SERVICE);
  const acct = cString(account);
  return [service.length - 1, service, acct.length - 1, acct];
}

/**
 * The error for a failing Security call: what failed, the call and its OSStatus, and what to do.
 *
 * @param failed e.g. `Reading macOS keychain item "pup/state_datadoghq_com" failed`
 * @param call the function that returned `status`
 * @param status a non-zero OSStatus
 * @returns the error to throw
 */
export function keychainError(
  failed: string,
  call: string,
  status: number,
): StorageUnavailableError {
  const code = `${call} returned OSStatus ${status}`;
  const why = {
    [OSSTATUS.interactionNotAllowed]:
      `the keychain is locked and cannot ask you now (${code}, errSecInteractionNotAllowed; typical over SSH). Unlock it with 'security unlock-keychain', or use DD_TOKEN_STORAGE=file`,
    [OSSTATUS.authFailed]:
      `access was denied (${code}, errSecAuthFailed). Allow access when macOS asks, or use DD_TOKEN_STORAGE=file`,
    [OSSTATUS.userCanceled]:
      `the keychain dialog was cancelled (${code}, userCanceled). Run the command again and choose Allow, or use DD_TOKEN_STORAGE=file`,
    [OSSTATUS.noSuchKeychain]:
      `there is no default keychain (${code}, errSecNoSuchKeychain). Set one with 'security default-keychain -s login.keychain', or use DD_TOKEN_STORAGE=file`,
    [OSSTATUS.noDefaultKeychain]:
      `there is no default keychain (${code}, errSecNoDefaultKeychain). Set one with 'security default-keychain -s login.keychain', or use DD_TOKEN_STORAGE=file`,
    [OSSTATUS.param]:
      `the keychain rejected the call's parameters (${code}, errSecParam); this is a pup bug, please report it, and use DD_TOKEN_STORAGE=file meanwhile`,
  }[status] ??
    `${code}. Check the keychain with 'security find-generic-password -s ${SERVICE}', or use DD_TOKEN_STORAGE=file`;
  return new StorageUnavailableError(`${failed}: ${why}`);
}
