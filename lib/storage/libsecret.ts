/**
 * libsecret-1 through `Deno.dlopen`: the few calls the Secret Service backend needs, with the
 * GLib plumbing they take (a `SecretSchema` laid out in a buffer, `GHashTable` attributes,
 * `GList` results, `GError` messages). Nothing here decides policy; `secret_service.ts` does.
 *
 * The blocking calls (`…_sync`, which talk to the daemon over D-Bus) run as `nonblocking` FFI
 * calls on a worker thread, so pup can give up on a daemon that hangs (an unlock prompt nobody
 * answers) after a timeout instead of freezing. No secret leaves the process except in the
 * D-Bus message to the Secret Service itself: no child process, no argv, no pipe.
 *
 * @see https://gnome.pages.gitlab.gnome.org/libsecret/
 * @module
 */

import {
  copyBytes,
  cString,
  type LibraryLoaded,
  openLibrary,
  pinLibrary,
  pointerSlot,
  readCString,
  slotPointer,
  utf8Bytes,
} from "../platform/native.ts";

const P = "pointer" as const;
const B = "buffer" as const;

const SYMBOLS = {
  secret_password_searchv_sync: { parameters: [P, P, "i32", P, B], result: P, nonblocking: true },
  secret_password_storev_sync: {
    parameters: [P, P, P, B, B, P, B],
    result: "i32",
    nonblocking: true,
  },
  secret_item_set_secret_sync: { parameters: [P, P, P, B], result: "i32", nonblocking: true },
  secret_item_delete_sync: { parameters: [P, P, B], result: "i32", nonblocking: true },
  secret_item_get_secret: { parameters: [P], result: P },
  secret_item_get_locked: { parameters: [P], result: "i32" },
  secret_item_get_label: { parameters: [P], result: P },
  secret_value_new: { parameters: [B, "isize", B], result: P },
  secret_value_get: { parameters: [P, B], result: P },
  secret_value_unref: { parameters: [P], result: "void" },
  g_str_hash: { type: P },
  g_str_equal: { type: P },
  g_hash_table_new: { parameters: [P, P], result: P },
  g_hash_table_insert: { parameters: [P, P, P], result: "i32" },
  g_hash_table_unref: { parameters: [P], result: "void" },
  g_list_free: { parameters: [P], result: "void" },
  g_object_unref: { parameters: [P], result: "void" },
  g_error_free: { parameters: [P], result: "void" },
  g_free: { parameters: [P], result: "void" },
} as const;

type Lib = LibraryLoaded<typeof SYMBOLS>["lib"];

/**
 * Libraries opened so far, by the paths asked for. The one piece of module state in pup, for
 * a reason: a GObject library must never be unloaded, and Deno closes a `DynamicLibrary` once
 * it is garbage-collected; loading libsecret again then re-registers its GTypes (GLib
 * criticals, broken error domains). So each path is opened once per process and kept.
 */
const LOADED = new Map<string, Lib>();

/** The library file names tried when `PUP_LIBSECRET_LIB` is not set. */
export const DEFAULT_LIBSECRET = ["libsecret-1.so.0", "libsecret-1.so"];

/** `SecretSearchFlags`: every match, unlock locked ones (may prompt), load their secrets. */
const SEARCH_ALL_UNLOCK_LOAD = (1 << 1) | (1 << 2) | (1 << 3);
/** `SECRET_SCHEMA_DONT_MATCH_NAME`: no `xdg:schema` attribute, as keyring-rs writes none. */
const SCHEMA_DONT_MATCH_NAME = 1 << 1;
/** sizeof(SecretSchema) on 64-bit: name, flags, 32 attributes of 16 bytes, reserved fields. */
const SCHEMA_SIZE = 592;

/** A failure libsecret reported through its `GError`. */
export class LibsecretError extends Error {
  /** The GError's domain quark and code, for telling errors apart. */
  readonly domain: number;
  /** The GError's code within its domain. */
  readonly code: number;

  /**
   * @param message the GError's message
   * @param domain its domain quark
   * @param code its code
   */
  constructor(message: string, domain: number, code: number) {
    super(message);
    this.name = "LibsecretError";
    this.domain = domain;
    this.code = code;
  }
}

/** One item a search found. Call `Libsecret.release` on every list `search` returns. */
export interface FoundItem {
  /** The `SecretItem*` (owned until released). */
  readonly handle: Deno.PointerObject;
  /** Its label. */
  readonly label: string;
  /** Whether its collection is still locked (then `secret` is absent). */
  readonly locked: boolean;
  /** The secret's bytes, when it could be loaded. */
  readonly secret?: Uint8Array;
}

/** The loaded library and the calls `secret_service.ts` makes. */
export class Libsecret {
  readonly #lib: Lib;
  /** Buffers native code points into; kept referenced for the life of the instance. */
  readonly #schema: BigUint64Array<ArrayBuffer>;
  readonly #schemaStrings: Uint8Array[];

  private constructor(lib: Lib, attributeNames: readonly string[]) {
    this.#lib = lib;
    this.#schemaStrings = [
      cString("org.freedesktop.Secret.Generic"),
      ...attributeNames.map(cString),
    ];
    const schema = new BigUint64Array(SCHEMA_SIZE / 8);
    const address = (b: Uint8Array) => BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(b)));
    schema[0] = address(this.#schemaStrings[0]);
    new Uint32Array(schema.buffer)[2] = SCHEMA_DONT_MATCH_NAME;
    // Attribute i: name pointer at word 2 + 2i, type (0 = string) in the word after.
    this.#schemaStrings.slice(1).forEach((s, i) => (schema[2 + 2 * i] = address(s)));
    this.#schema = schema;
  }

  /**
   * Loads libsecret.
   *
   * @param paths file names or paths to try (`PUP_LIBSECRET_LIB` or `DEFAULT_LIBSECRET`)
   * @param attributeNames the schema's attribute names (all strings)
   * @returns the binding, or why the library could not be loaded
   */
  static open(
    paths: readonly string[],
    attributeNames: readonly string[],
  ): Libsecret | { reason: string; path: string } {
    const key = paths.join("\0");
    let lib = LOADED.get(key);
    if (lib === undefined) {
      paths.forEach(pinLibrary);
      const loaded = openLibrary(paths, SYMBOLS);
      if (!loaded.ok) return { reason: loaded.reason, path: loaded.path };
      LOADED.set(key, lib = loaded.lib);
    }
    return new Libsecret(lib, attributeNames);
  }

  /**
   * Finds every item whose attributes include `attributes`, in all collections, unlocking
   * (which may prompt) and loading secrets.
   *
   * @param attributes the attributes to match, all in the schema
   * @returns the items; pass the list to `release` when done
   * @throws LibsecretError
   */
  async search(attributes: ReadonlyArray<[string, string]>): Promise<FoundItem[]> {
    const s = this.#lib.symbols;
    const err = pointerSlot();
    const table = this.#table(attributes);
    let list: Deno.PointerValue;
    try {
      list = await s.secret_password_searchv_sync(
        this.#schemaPointer(),
        table.pointer,
        SEARCH_ALL_UNLOCK_LOAD,
        null,
        new Uint8Array(err.buffer),
      );
    } finally {
      s.g_hash_table_unref(table.pointer);
    }
    this.#throwIf(err);
    const items: FoundItem[] = [];
    for (let node = list; node !== null;) {
      const view = new Deno.UnsafePointerView(node);
      const handle = view.getPointer(0);
      if (handle !== null) items.push(this.#describe(handle));
      node = view.getPointer(8);
    }
    if (list !== null) s.g_list_free(list);
    return items;
  }

  /**
   * Creates an item in the default collection (`secret_password_storev_sync`).
   *
   * @param attributes the new item's attributes
   * @param label its label
   * @param text the secret (stored as `text/plain`)
   * @throws LibsecretError
   */
  async store(attributes: ReadonlyArray<[string, string]>, label: string, text: string) {
    const s = this.#lib.symbols;
    const err = pointerSlot();
    const table = this.#table(attributes);
    try {
      await s.secret_password_storev_sync(
        this.#schemaPointer(),
        table.pointer,
        null,
        cString(label),
        cString(text),
        null,
        new Uint8Array(err.buffer),
      );
    } finally {
      s.g_hash_table_unref(table.pointer);
    }
    this.#throwIf(err);
  }

  /**
   * Replaces the secret of an existing item in place (one D-Bus `SetSecret`: all or nothing).
   *
   * @param item an item from `search`
   * @param text the new secret (`text/plain`)
   * @throws LibsecretError
   */
  async setSecret(item: FoundItem, text: string): Promise<void> {
    const s = this.#lib.symbols;
    const bytes = utf8Bytes(text);
    const value = s.secret_value_new(bytes, BigInt(bytes.length), cString("text/plain"));
    const err = pointerSlot();
    try {
      await s.secret_item_set_secret_sync(item.handle, value, null, new Uint8Array(err.buffer));
    } finally {
      s.secret_value_unref(value);
    }
    this.#throwIf(err);
  }

  /**
   * Deletes an item.
   *
   * @param item an item from `search`
   * @throws LibsecretError
   */
  async deleteItem(item: FoundItem): Promise<void> {
    const err = pointerSlot();
    await this.#lib.symbols.secret_item_delete_sync(item.handle, null, new Uint8Array(err.buffer));
    this.#throwIf(err);
  }

  /** Drops the references `search` handed out. */
  release(items: readonly FoundItem[]): void {
    for (const item of items) this.#lib.symbols.g_object_unref(item.handle);
  }

  #describe(handle: Deno.PointerObject): FoundItem {
    const s = this.#lib.symbols;
    const labelPtr = s.secret_item_get_label(handle);
    const label = readCString(labelPtr);
    if (labelPtr !== null) s.g_free(labelPtr);
    const locked = s.secret_item_get_locked(handle) !== 0;
    const value = locked ? null : s.secret_item_get_secret(handle);
    if (value === null) return { handle, label, locked };
    const length = new BigUint64Array(1);
    const data = s.secret_value_get(value, new Uint8Array(length.buffer));
    const secret = copyBytes(data, Number(length[0]));
    s.secret_value_unref(value);
    return { handle, label, locked, secret };
  }

  #schemaPointer(): Deno.PointerObject {
    return Deno.UnsafePointer.of(this.#schema)!;
  }

  /** A `GHashTable` of borrowed strings; the strings stay referenced by the returned object. */
  #table(attributes: ReadonlyArray<[string, string]>) {
    const s = this.#lib.symbols;
    const pointer = s.g_hash_table_new(s.g_str_hash, s.g_str_equal)!;
    const strings = attributes.flat().map(cString);
    for (let i = 0; i < strings.length; i += 2) {
      s.g_hash_table_insert(
        pointer,
        Deno.UnsafePointer.of(strings[i]),
        Deno.UnsafePointer.of(strings[i + 1]),
      );
    }
    return { pointer, strings };
  }

  #throwIf(slot: BigUint64Array): void {
    const error = slotPointer(slot);
    if (error === null) return;
    const view = new Deno.UnsafePointerView(error);
    const domain = view.getUint32(0);
    const code = view.getInt32(4);
    const message = readCString(view.getPointer(8));
    this.#lib.symbols.g_error_free(error);
    throw new LibsecretError(message, domain, code);
  }
}
