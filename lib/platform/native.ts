/**
 * The one place pup loads OS libraries (`Deno.dlopen`) and moves bytes across the FFI
 * boundary: C strings in and out, UTF-16 for Win32, pointer reads. The secure-store backends
 * (`lib/storage/*_keychain.ts`, `secret_service.ts`, `windows_credential_manager.ts`) call the
 * OS credential APIs through it, as keyring-rs 3.6.3 does from Rust (SPEC §6.2), so nothing
 * native ships in the binary and no secret travels through a child process.
 *
 * A library that cannot be loaded is a value (`LibraryLoadFailure`), not an exception: the
 * store selection treats it as "this store is absent" and moves on (SPEC §6.2 last rule).
 *
 * @module
 */

/** Why a library could not be opened: the path tried and the loader's reason. */
export interface LibraryLoadFailure {
  /** Always `false`: tells the union apart. */
  ok: false;
  /** The file name or path handed to the loader. */
  path: string;
  /** The loader's message, trimmed to one line (e.g. `cannot open shared object file`). */
  reason: string;
}

/** An opened library and its typed symbols. */
export interface LibraryLoaded<S extends Deno.ForeignLibraryInterface> {
  /** Always `true`. */
  ok: true;
  /** The file name or path that was opened. */
  path: string;
  /** The library; its symbols are callable. */
  lib: Deno.DynamicLibrary<S>;
}

/**
 * Opens the first of `paths` that loads, with `symbols` bound.
 *
 * @param paths file names or absolute paths, tried in order (e.g. `libsecret-1.so.0`)
 * @param symbols the functions to bind, with their C signatures
 * @returns the library, or the last loader failure (never throws for a missing library or
 *   symbol; throws only when the `ffi` permission is missing, which is a packaging bug)
 */
export function openLibrary<const S extends Deno.ForeignLibraryInterface>(
  paths: readonly string[],
  symbols: S,
): LibraryLoaded<S> | LibraryLoadFailure {
  let failure: LibraryLoadFailure = { ok: false, path: paths[0] ?? "", reason: "no path given" };
  for (const path of paths) {
    try {
      return { ok: true, path, lib: Deno.dlopen(path, symbols) };
    } catch (e) {
      if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) throw e;
      const message = e instanceof Error ? e.message : String(e);
      failure = { ok: false, path, reason: message.split("\n")[0].slice(0, 300) };
    }
  }
  return failure;
}

/**
 * Keeps a library loaded for the life of the process (glibc `RTLD_NODELETE`), for GObject
 * libraries such as libsecret: Deno unloads a library when its last `DynamicLibrary` is closed
 * (a test worker ending, an instance collected), and loading one again re-registers its GTypes
 * in libgobject, which stays loaded, so GLib fails its type checks. Best effort, Linux only.
 *
 * @param path the same name or path that will be handed to `openLibrary`
 */
export function pinLibrary(path: string): void {
  try {
    const libc = Deno.dlopen(
      "libc.so.6",
      {
        dlopen: { parameters: ["buffer", "i32"], result: "pointer" },
      } as const,
    );
    // RTLD_LAZY | RTLD_NODELETE. The handle is kept on purpose: it is the pin.
    libc.symbols.dlopen(cString(path), 0x1 | 0x1000);
  } catch {
    // Not glibc: the library may be reloaded later, which costs only GLib warnings.
  }
}

const encoder = new TextEncoder();

/** `text` as NUL-terminated UTF-8, for a `const char *` parameter. */
export function cString(text: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(encoder.encode(text).length + 1);
  encoder.encodeInto(text, bytes);
  return bytes;
}

/** `text` as UTF-8 without a terminator, for a (length, pointer) pair. */
export function utf8Bytes(text: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(encoder.encode(text));
}

/** `text` as NUL-terminated UTF-16LE, for an `LPCWSTR` parameter. */
export function wideString(text: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array((text.length + 1) * 2);
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    bytes[2 * i] = unit & 0xff;
    bytes[2 * i + 1] = unit >> 8;
  }
  return bytes;
}

/**
 * Reads a NUL-terminated UTF-8 string (e.g. a `GError`'s message).
 *
 * @param ptr the string, or null
 * @returns the text, `""` for null; invalid UTF-8 becomes U+FFFD
 */
export function readCString(ptr: Deno.PointerValue): string {
  return ptr === null ? "" : Deno.UnsafePointerView.getCString(ptr);
}

/**
 * Reads a NUL-terminated UTF-16LE string (an `LPWSTR` field), at most `maxUnits` code units.
 *
 * @param ptr the string, or null
 * @param maxUnits stop after this many units when no NUL came (a guard against a bad pointer)
 * @returns the text, `""` for null
 */
export function readWideString(ptr: Deno.PointerValue, maxUnits = 32767): string {
  if (ptr === null) return "";
  const view = new Deno.UnsafePointerView(ptr);
  let text = "";
  for (let i = 0; i < maxUnits; i++) {
    const unit = view.getUint16(i * 2);
    if (unit === 0) break;
    text += String.fromCharCode(unit);
  }
  return text;
}

/**
 * Copies `length` bytes from native memory into a new JavaScript buffer, so the native copy
 * can be freed right away.
 *
 * @param ptr the bytes, or null (then `length` must be 0)
 * @param length how many bytes
 */
export function copyBytes(ptr: Deno.PointerValue, length: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(length);
  if (length === 0) return out;
  if (ptr === null) throw new TypeError("A null pointer cannot hold bytes");
  new Deno.UnsafePointerView(ptr).copyInto(out);
  return out;
}

/** A buffer that receives one pointer written by the callee (`void **out`). */
export function pointerSlot(): BigUint64Array<ArrayBuffer> {
  return new BigUint64Array(1);
}

/** The pointer a callee wrote into `slot`, or null. */
export function slotPointer(slot: BigUint64Array): Deno.PointerValue {
  return Deno.UnsafePointer.create(slot[0]);
}

/**
 * Copies `bytes` into a fresh off-heap buffer and returns it with its address, for a pointer
 * field of a struct passed to a native call (V8 may move a small typed array during a GC; the
 * backing store of a new `ArrayBuffer` never moves). Keep `keep` referenced until the call
 * has returned.
 *
 * @param bytes what the field points to (e.g. a `wideString`)
 * @returns the copy and its address
 */
export function pinnedCopy(bytes: Uint8Array): { keep: Uint8Array<ArrayBuffer>; address: bigint } {
  const keep = new Uint8Array(new ArrayBuffer(Math.max(bytes.length, 1)));
  keep.set(bytes);
  return { keep, address: Deno.UnsafePointer.value(Deno.UnsafePointer.of(keep)) };
}
