/**
 * The D-Bus wire format (D-Bus Specification, "Message Protocol"): marshalling and
 * unmarshalling of messages by type signature, for the few calls pup makes to the Secret
 * Service (`dbus.ts`). Pure: bytes in, values out; no I/O.
 *
 * Values map onto JavaScript as: `y u i` numbers, `b` booleans, `s o g` strings, `ay`
 * `Uint8Array`, other arrays `DBusValue[]`, structs and dict entries `DBusValue[]` (a dict is an
 * array of `[key, value]` pairs), `v` a {@link Variant}. Types pup never meets (`n q x t d h`)
 * are refused with an error rather than guessed at.
 *
 * @see https://dbus.freedesktop.org/doc/dbus-specification.html#message-protocol-marshaling
 * @module
 */

/** A value of a D-Bus variant: its signature and the value. */
export class Variant {
  /**
   * @param signature one complete type, e.g. `s` or `a{ss}`
   * @param value the value of that type
   */
  constructor(readonly signature: string, readonly value: DBusValue) {}
}

/** A D-Bus value as this module represents it. */
export type DBusValue = number | boolean | string | Uint8Array | Variant | DBusValue[];

/** Message types (header byte 1). */
export const MessageType = {
  METHOD_CALL: 1,
  METHOD_RETURN: 2,
  ERROR: 3,
  SIGNAL: 4,
} as const;

/** A message as sent or received. */
export interface Message {
  /** One of {@link MessageType}. */
  type: number;
  /** The sender's serial of this message (non-zero). */
  serial: number;
  /** `NO_REPLY_EXPECTED` (1) and the like. */
  flags?: number;
  path?: string;
  interface?: string;
  member?: string;
  errorName?: string;
  replySerial?: number;
  destination?: string;
  sender?: string;
  /** The body's signature; empty or absent for no body. */
  signature?: string;
  /** The body: one value per complete type of `signature`. */
  body?: DBusValue[];
}

/** The wire format was broken (a malformed message, or a value that does not fit its type). */
export class DBusWireError extends Error {
  /** @param message what was wrong, and where */
  constructor(message: string) {
    super(message);
    this.name = "DBusWireError";
  }
}

/** D-Bus's limit on one message (2^27 bytes). */
export const MAX_MESSAGE_BYTES = 1 << 27;

const FIELDS = {
  path: [1, "o"],
  interface: [2, "s"],
  member: [3, "s"],
  errorName: [4, "s"],
  replySerial: [5, "u"],
  destination: [6, "s"],
  sender: [7, "s"],
  signature: [8, "g"],
} as const;
type FieldName = keyof typeof FIELDS;
const FIELD_BY_CODE = new Map<number, FieldName>(
  (Object.keys(FIELDS) as FieldName[]).map((k) => [FIELDS[k][0], k]),
);

/**
 * Splits a signature into its complete types (`"sa{sv}(oayays)"` → `s`, `a{sv}`, `(oayays)`).
 *
 * @throws DBusWireError on an unbalanced or unknown signature
 */
export function splitSignature(signature: string): string[] {
  const types: string[] = [];
  let i = 0;
  while (i < signature.length) {
    const end = completeTypeEnd(signature, i);
    types.push(signature.slice(i, end));
    i = end;
  }
  return types;
}

function completeTypeEnd(sig: string, i: number): number {
  const c = sig[i];
  if (c === undefined) throw new DBusWireError(`signature "${sig}" ends early`);
  if ("ybuisogv".includes(c)) return i + 1;
  if (c === "a") return completeTypeEnd(sig, i + 1);
  if (c === "(" || c === "{") {
    const close = c === "(" ? ")" : "}";
    let j = i + 1;
    if (sig[j] === close) throw new DBusWireError(`signature "${sig}" has an empty struct`);
    while (sig[j] !== close) {
      if (j >= sig.length) throw new DBusWireError(`signature "${sig}" is unbalanced`);
      j = completeTypeEnd(sig, j);
    }
    return j + 1;
  }
  throw new DBusWireError(`signature "${sig}" has type "${c}", which pup does not handle`);
}

/** An object path: `/`, or `/`-separated non-empty elements of `[A-Za-z0-9_]`. */
const OBJECT_PATH = /^\/$|^(\/[A-Za-z0-9_]+)+$/;

/** Whether `v` is a whole number within [min, max]. */
function inRange(v: DBusValue, min: number, max: number): boolean {
  return typeof v === "number" && Number.isInteger(v) && v >= min && v <= max;
}

function alignment(c: string): number {
  if ("yg".includes(c) || c === "v") return 1;
  if ("(" === c || "{" === c) return 8;
  return 4; // b u i s o a
}

const encoder = new TextEncoder();

/** Little-endian writer; alignment counts from the start of the message. */
class Writer {
  #buf = new Uint8Array(256);
  #view = new DataView(this.#buf.buffer);
  length = 0;

  bytes(): Uint8Array {
    return this.#buf.subarray(0, this.length);
  }

  #room(n: number) {
    if (this.length + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.length));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }

  pad(to: number) {
    const n = (to - (this.length % to)) % to;
    this.#room(n);
    this.#buf.fill(0, this.length, this.length + n);
    this.length += n;
  }

  u8(v: number) {
    this.#room(1);
    this.#buf[this.length++] = v;
  }

  u32(v: number) {
    this.pad(4);
    this.#room(4);
    this.#view.setUint32(this.length, v, true);
    this.length += 4;
  }

  i32(v: number) {
    this.pad(4);
    this.#room(4);
    this.#view.setInt32(this.length, v, true);
    this.length += 4;
  }

  raw(b: Uint8Array) {
    this.#room(b.length);
    this.#buf.set(b, this.length);
    this.length += b.length;
  }

  setU32(at: number, v: number) {
    this.#view.setUint32(at, v, true);
  }

  value(type: string, v: DBusValue): void {
    const c = type[0];
    const wrong = () => new DBusWireError(`value ${typeof v} does not fit D-Bus type "${type}"`);
    switch (c) {
      case "y":
        if (!inRange(v, 0, 0xff)) throw wrong();
        return this.u8(v as number);
      case "b":
        if (typeof v !== "boolean") throw wrong();
        return this.u32(v ? 1 : 0);
      case "u":
        if (!inRange(v, 0, 0xffff_ffff)) throw wrong();
        return this.u32(v as number);
      case "i":
        if (!inRange(v, -0x8000_0000, 0x7fff_ffff)) throw wrong();
        return this.i32(v as number);
      case "s":
      case "o": {
        if (typeof v !== "string") throw wrong();
        if (c === "o" && !OBJECT_PATH.test(v)) {
          throw new DBusWireError(`"${v.slice(0, 100)}" is not a D-Bus object path`);
        }
        const b = encoder.encode(v);
        if (b.includes(0)) throw new DBusWireError(`a D-Bus string cannot hold NUL`);
        this.u32(b.length);
        this.raw(b);
        return this.u8(0);
      }
      case "g": {
        if (typeof v !== "string") throw wrong();
        splitSignature(v);
        const b = encoder.encode(v);
        if (b.length > 255) throw new DBusWireError(`signature "${v}" is too long`);
        this.u8(b.length);
        this.raw(b);
        return this.u8(0);
      }
      case "v": {
        if (!(v instanceof Variant)) throw wrong();
        if (splitSignature(v.signature).length !== 1) {
          throw new DBusWireError(`variant signature "${v.signature}" is not one type`);
        }
        this.value("g", v.signature);
        return this.value(v.signature, v.value);
      }
      case "a":
        return this.array(type.slice(1), v);
      case "(":
      case "{": {
        if (!Array.isArray(v)) throw wrong();
        const members = splitSignature(type.slice(1, -1));
        if (members.length !== v.length) throw wrong();
        this.pad(8);
        members.forEach((m, i) => this.value(m, v[i]));
        return;
      }
    }
    throw wrong();
  }

  array(element: string, v: DBusValue): void {
    this.u32(0);
    const lengthAt = this.length - 4;
    this.pad(alignment(element[0]));
    const start = this.length;
    if (element === "y") {
      if (!(v instanceof Uint8Array)) {
        throw new DBusWireError(`value ${typeof v} does not fit D-Bus type "ay"`);
      }
      this.raw(v);
    } else {
      if (!Array.isArray(v)) {
        throw new DBusWireError(`value ${typeof v} does not fit D-Bus type "a${element}"`);
      }
      for (const item of v) this.value(element, item);
    }
    const size = this.length - start;
    if (size > 1 << 26) throw new DBusWireError(`an array of ${size} bytes is over D-Bus's limit`);
    this.setU32(lengthAt, size);
  }
}

/**
 * Marshals a message in little-endian byte order.
 *
 * @param m the message; `body` must match `signature`
 * @returns the bytes to send
 * @throws DBusWireError when a value does not fit its type
 */
export function encodeMessage(m: Message): Uint8Array {
  const body = new Writer();
  const types = splitSignature(m.signature ?? "");
  const values = m.body ?? [];
  if (types.length !== values.length) {
    throw new DBusWireError(
      `signature "${
        m.signature ?? ""
      }" has ${types.length} types but the body ${values.length} values`,
    );
  }
  // The body's alignment counts from the start of the message, whose header is padded to 8,
  // so marshalling it on its own gives the same bytes.
  types.forEach((t, i) => body.value(t, values[i]));

  const w = new Writer();
  w.u8(0x6c); // 'l'
  w.u8(m.type);
  w.u8(m.flags ?? 0);
  w.u8(1);
  w.u32(body.length);
  w.u32(m.serial);
  const fields: DBusValue[] = [];
  for (const name of Object.keys(FIELDS) as FieldName[]) {
    const v = m[name];
    if (v === undefined || (name === "signature" && v === "")) continue;
    const [code, sig] = FIELDS[name];
    fields.push([code, new Variant(sig, v)]);
  }
  w.array("(yv)", fields);
  w.pad(8);
  w.raw(body.bytes());
  if (w.length > MAX_MESSAGE_BYTES) {
    throw new DBusWireError(`a message of ${w.length} bytes is over D-Bus's limit`);
  }
  return w.bytes().slice();
}

/**
 * How many bytes the message at the start of `buf` takes, once its fixed header has arrived.
 *
 * @param buf received bytes, starting at a message
 * @returns the message's length, or `undefined` while fewer than 16 bytes are there
 * @throws DBusWireError on a bad endianness byte or an oversized message
 */
export function messageLength(buf: Uint8Array): number | undefined {
  if (buf.length < 16) return undefined;
  const little = endianness(buf[0]);
  const view = new DataView(buf.buffer, buf.byteOffset, 16);
  const bodyLength = view.getUint32(4, little);
  const fieldsLength = view.getUint32(12, little);
  const total = 16 + fieldsLength + ((8 - (fieldsLength % 8)) % 8) + bodyLength;
  if (total > MAX_MESSAGE_BYTES) {
    throw new DBusWireError(`the bus sent a message of ${total} bytes, over D-Bus's limit`);
  }
  return total;
}

function endianness(byte: number): boolean {
  if (byte === 0x6c) return true;
  if (byte === 0x42) return false;
  throw new DBusWireError(`the bus sent a message with endianness byte ${byte}`);
}

/** Made on first use: most strings are ASCII and never need it, and making one costs ~0.5 ms. */
let decoder: TextDecoder | undefined;

class Reader {
  readonly #view: DataView;
  pos: number;

  constructor(readonly buf: Uint8Array, readonly little: boolean, pos = 0) {
    this.#view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = pos;
  }

  #need(n: number) {
    if (this.pos + n > this.buf.length) {
      throw new DBusWireError(`message truncated at byte ${this.pos}`);
    }
  }

  align(to: number) {
    const n = (to - (this.pos % to)) % to;
    this.#need(n);
    this.pos += n;
  }

  u8(): number {
    this.#need(1);
    return this.buf[this.pos++];
  }

  u32(): number {
    this.align(4);
    this.#need(4);
    const v = this.#view.getUint32(this.pos, this.little);
    this.pos += 4;
    return v;
  }

  i32(): number {
    this.align(4);
    this.#need(4);
    const v = this.#view.getInt32(this.pos, this.little);
    this.pos += 4;
    return v;
  }

  text(length: number): string {
    this.#need(length + 1);
    const bytes = this.buf.subarray(this.pos, this.pos + length);
    if (this.buf[this.pos + length] !== 0) {
      throw new DBusWireError(`string at byte ${this.pos} is not NUL-terminated`);
    }
    this.pos += length + 1;
    // Names and object paths are short ASCII; decoding them by hand skips TextDecoder's
    // first-use cost at start-up.
    if (length <= 256 && bytes.every((b) => b > 0 && b < 0x80)) {
      return String.fromCharCode(...bytes);
    }
    let s: string;
    try {
      s = (decoder ??= new TextDecoder("utf-8", { fatal: true })).decode(bytes);
    } catch {
      throw new DBusWireError(`string at byte ${this.pos - length - 1} is not valid UTF-8`);
    }
    if (s.includes("\0")) throw new DBusWireError("a D-Bus string holds NUL");
    return s;
  }

  value(type: string, depth = 0): DBusValue {
    if (depth > 64) throw new DBusWireError("message nests too deeply");
    switch (type[0]) {
      case "y":
        return this.u8();
      case "b":
        return this.u32() !== 0;
      case "u":
        return this.u32();
      case "i":
        return this.i32();
      case "s":
      case "o":
        return this.text(this.u32());
      case "g":
        return this.text(this.u8());
      case "v": {
        const sig = this.text(this.u8());
        if (splitSignature(sig).length !== 1) {
          throw new DBusWireError(`variant signature "${sig}" is not one type`);
        }
        return new Variant(sig, this.value(sig, depth + 1));
      }
      case "a": {
        const size = this.u32();
        const element = type.slice(1);
        this.align(alignment(element[0]));
        this.#need(size);
        const end = this.pos + size;
        if (element === "y") {
          const bytes = this.buf.slice(this.pos, end);
          this.pos = end;
          return bytes;
        }
        const items: DBusValue[] = [];
        while (this.pos < end) {
          const before = this.pos;
          items.push(this.value(element, depth + 1));
          if (this.pos === before) throw new DBusWireError("array elements take no bytes");
        }
        if (this.pos !== end) throw new DBusWireError("array length does not match its items");
        return items;
      }
      case "(":
      case "{":
        this.align(8);
        return splitSignature(type.slice(1, -1)).map((m) => this.value(m, depth + 1));
    }
    throw new DBusWireError(`type "${type}" is not handled`);
  }
}

/**
 * Unmarshals one whole message (as long as {@link messageLength} said).
 *
 * @param buf exactly one message
 * @throws DBusWireError on anything malformed
 */
export function decodeMessage(buf: Uint8Array): Message {
  const little = endianness(buf[0]);
  const r = new Reader(buf, little, 1);
  const type = r.u8();
  const flags = r.u8();
  const version = r.u8();
  if (version !== 1) throw new DBusWireError(`protocol version ${version} is not 1`);
  const bodyLength = r.u32();
  const serial = r.u32();
  const m: Message = { type, flags, serial };
  const fields = r.value("a(yv)") as DBusValue[];
  for (const field of fields) {
    const [code, variant] = field as [number, Variant];
    const name = FIELD_BY_CODE.get(code);
    if (name === undefined) continue; // unknown fields are ignored, as the spec says
    if (variant.signature !== FIELDS[name][1]) {
      throw new DBusWireError(`header field ${code} has type "${variant.signature}"`);
    }
    (m as unknown as Record<string, DBusValue>)[name] = variant.value;
  }
  r.align(8);
  const bodyStart = r.pos;
  if (bodyStart + bodyLength !== buf.length) {
    throw new DBusWireError("body length does not match the message");
  }
  m.body = splitSignature(m.signature ?? "").map((t) => r.value(t));
  if (r.pos !== buf.length) throw new DBusWireError("body is longer than its signature");
  return m;
}
