/**
 * The D-Bus wire format (`lib/platform/dbus_wire.ts`) against the D-Bus Specification's
 * "Message Protocol": messages written out byte by byte by hand from the specification (not by
 * `encodeMessage`) in both byte orders, round trips of every type pup supports, the alignment
 * rules, and the malformed input that must be refused with `DBusWireError`. A property test
 * (fast-check, fixed seed, bounded runs) round trips random values of the signatures the Secret
 * Service uses.
 *
 * @module
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type DBusValue,
  DBusWireError,
  decodeMessage,
  encodeMessage,
  MAX_MESSAGE_BYTES,
  type Message,
  messageLength,
  MessageType,
  splitSignature,
  Variant,
} from "../../lib/platform/dbus_wire.ts";

/** `deno task soak` raises the run count (PUP_PROPERTY_SCALE=10); the seed stays fixed. */
const SCALE = Number(Deno.env.get("PUP_PROPERTY_SCALE") ?? "1") || 1;

/** Bytes written out by hand: a number is one byte, a string its ASCII bytes, an array spread. */
function bytes(...parts: (number | string | number[])[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === "number") out.push(p);
    else if (typeof p === "string") { for (const c of p) out.push(c.charCodeAt(0)); }
    else out.push(...p);
  }
  return new Uint8Array(out);
}

/** A 32-bit little-endian number, as four bytes. */
const le = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
/** A 32-bit big-endian number, as four bytes. */
const be = (n: number) => [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
/** `n` zero bytes of padding. */
const pad = (n: number) => new Array<number>(n).fill(0);

/**
 * `Hello` as every D-Bus client sends it first (serial 1, no body), from the specification:
 * the fixed header, then the header field array of `(yv)` structs, each struct 8-aligned, each
 * string a 4-aligned length, its bytes and a NUL. Offsets are from the message's start.
 */
// deno-fmt-ignore
const HELLO = bytes(
  "l", 1, 0, 1, // little-endian, METHOD_CALL, no flags, protocol version 1
  le(0), // body length
  le(1), // serial
  le(109), // header field array: bytes 16 to 125
  // 16: PATH (1), variant of signature "o"
  1, 1, "o", 0, le(21), "/org/freedesktop/DBus", 0, // to 46
  pad(2), // to 48
  // 48: INTERFACE (2), variant "s"
  2, 1, "s", 0, le(20), "org.freedesktop.DBus", 0, // to 77
  pad(3), // to 80
  // 80: MEMBER (3), variant "s"
  3, 1, "s", 0, le(5), "Hello", 0, // to 94
  pad(2), // to 96
  // 96: DESTINATION (6), variant "s"
  6, 1, "s", 0, le(20), "org.freedesktop.DBus", 0, // to 125, the array's end
  pad(3), // the header ends on a multiple of 8: 128; no body
);

/** `GetNameOwner("org.freedesktop.DBus")`, serial 2: a SIGNATURE field and a body. */
// deno-fmt-ignore
const GET_NAME_OWNER = bytes(
  "l", 1, 0, 1,
  le(25), // body length: 4 + 20 + 1
  le(2), // serial
  le(127), // header field array: bytes 16 to 143
  1, 1, "o", 0, le(21), "/org/freedesktop/DBus", 0, pad(2), // PATH, 16 to 48
  2, 1, "s", 0, le(20), "org.freedesktop.DBus", 0, pad(3), // INTERFACE, 48 to 80
  3, 1, "s", 0, le(12), "GetNameOwner", 0, pad(3), // MEMBER, 80 to 104
  6, 1, "s", 0, le(20), "org.freedesktop.DBus", 0, pad(3), // DESTINATION, 104 to 136
  8, 1, "g", 0, 1, "s", 0, // SIGNATURE (8), variant "g": a length byte, no padding; to 143
  pad(1), // header ends at 144
  le(20), "org.freedesktop.DBus", 0, // the body: one string, 144 to 169
);

/**
 * A METHOD_RETURN in big-endian byte order ('B'): reply to serial 5 from `:1.7`, body `sibau`
 * = ("hi", -2, true, [1, 0x01020304]).
 */
// deno-fmt-ignore
const BIG_ENDIAN_RETURN = bytes(
  "B", 2, 0, 1, // big-endian, METHOD_RETURN, no flags, version 1
  be(28), // body length
  be(9), // serial
  be(35), // header field array: bytes 16 to 51
  5, 1, "u", 0, be(5), // 16: REPLY_SERIAL (5) = 5, to 24
  7, 1, "s", 0, be(4), ":1.7", 0, pad(3), // 24: SENDER (7), to 37, padded to 40
  8, 1, "g", 0, 5, "sibau", 0, // 40: SIGNATURE (8), to 51
  pad(5), // header ends at 56
  be(2), "hi", 0, pad(1), // body 0: "hi", then pad to 8
  be(-2 >>> 0), // body 8: int32 -2
  be(1), // body 12: true
  be(8), be(1), be(0x01020304), // body 16: au of 8 bytes
);

/** A SIGNAL in which two header fields have codes the specification does not define. */
// deno-fmt-ignore
const UNKNOWN_FIELDS = bytes(
  "l", 4, 0, 1,
  le(0),
  le(3),
  le(50), // header field array: bytes 16 to 66
  200, 2, "ai", 0, pad(3), le(8), le(1), le(2), pad(4), // 16: field 200 = [1, 2], to 36, padded to 40
  80, 1, "s", 0, le(1), "x", 0, pad(6), // 40: field 80 = "x", to 50, padded to 56
  1, 1, "o", 0, le(1), "/", 0, // 56: PATH = "/", to 66
  pad(6), // header ends at 72
);

/** A message's body bytes: the last `body length` bytes. */
function bodyOf(message: Uint8Array): Uint8Array {
  const length = new DataView(message.buffer, message.byteOffset).getUint32(4, true);
  return message.subarray(message.length - length);
}

/** A SIGNAL carrying `body`, for round trips and for bodies to break. */
function signal(signature: string, body: DBusValue[]): Message {
  return {
    type: MessageType.SIGNAL,
    serial: 7,
    path: "/org/example/Obj",
    interface: "org.example.Iface",
    member: "Changed",
    signature,
    body,
  };
}

function roundTrip(signature: string, body: DBusValue[]): DBusValue[] | undefined {
  return decodeMessage(encodeMessage(signal(signature, body))).body;
}

/** Where `needle` first occurs in `haystack` (it must). */
function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  for (let i = 0; i + needle.length <= haystack.length; i++) {
    if (needle.every((b, j) => haystack[i + j] === b)) return i;
  }
  throw new Error(`bytes ${needle} not found`);
}

/** A copy of `message` with `fn` applied. */
function patched(message: Uint8Array, fn: (b: Uint8Array) => void): Uint8Array {
  const copy = message.slice();
  fn(copy);
  return copy;
}

/** Asserts that `fn` throws a `DBusWireError` whose message matches `pattern`. */
function assertWireError(fn: () => unknown, pattern: RegExp, what: string) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof DBusWireError, `${what}: threw ${e}, not a DBusWireError`);
    assert.match(e.message, pattern, what);
    return true;
  }, what);
}

// --- Exact bytes, as the specification has them ---

Deno.test("Hello to org.freedesktop.DBus with serial 1 encodes to the specification's 128 bytes, byte for byte", () => {
  assert.equal(HELLO.length, 128);
  const encoded = encodeMessage({
    type: MessageType.METHOD_CALL,
    serial: 1,
    path: "/org/freedesktop/DBus",
    interface: "org.freedesktop.DBus",
    member: "Hello",
    destination: "org.freedesktop.DBus",
  });
  assert.deepEqual(encoded, HELLO);
});

Deno.test("a call with a SIGNATURE header field and a string body encodes byte for byte as the specification lays it out", () => {
  assert.equal(GET_NAME_OWNER.length, 169);
  const encoded = encodeMessage({
    type: MessageType.METHOD_CALL,
    serial: 2,
    path: "/org/freedesktop/DBus",
    interface: "org.freedesktop.DBus",
    member: "GetNameOwner",
    destination: "org.freedesktop.DBus",
    signature: "s",
    body: ["org.freedesktop.DBus"],
  });
  assert.deepEqual(encoded, GET_NAME_OWNER);
});

Deno.test("the hand-written Hello and GetNameOwner bytes decode to the messages they stand for", () => {
  assert.deepEqual(decodeMessage(HELLO), {
    type: MessageType.METHOD_CALL,
    flags: 0,
    serial: 1,
    path: "/org/freedesktop/DBus",
    interface: "org.freedesktop.DBus",
    member: "Hello",
    destination: "org.freedesktop.DBus",
    body: [],
  });
  assert.deepEqual(decodeMessage(GET_NAME_OWNER), {
    type: MessageType.METHOD_CALL,
    flags: 0,
    serial: 2,
    path: "/org/freedesktop/DBus",
    interface: "org.freedesktop.DBus",
    member: "GetNameOwner",
    destination: "org.freedesktop.DBus",
    signature: "s",
    body: ["org.freedesktop.DBus"],
  });
});

Deno.test("a big-endian ('B') message written by hand decodes, header fields and body alike", () => {
  assert.equal(BIG_ENDIAN_RETURN.length, 84);
  assert.equal(messageLength(BIG_ENDIAN_RETURN), 84);
  assert.deepEqual(decodeMessage(BIG_ENDIAN_RETURN), {
    type: MessageType.METHOD_RETURN,
    flags: 0,
    serial: 9,
    replySerial: 5,
    sender: ":1.7",
    signature: "sibau",
    body: ["hi", -2, true, [1, 0x01020304]],
  });
});

Deno.test("header fields with codes the specification does not define are ignored when decoding", () => {
  assert.deepEqual(decodeMessage(UNKNOWN_FIELDS), {
    type: MessageType.SIGNAL,
    flags: 0,
    serial: 3,
    path: "/",
    body: [],
  });
});

Deno.test("every header field and the flags byte round trip", () => {
  const m: Message = {
    type: MessageType.ERROR,
    serial: 0xfffffffe,
    flags: 1,
    path: "/a/b",
    interface: "org.example.I",
    member: "M",
    errorName: "org.example.Error.Failed",
    replySerial: 41,
    destination: ":1.99",
    sender: "org.example.Service",
    signature: "s",
    body: ["it failed"],
  };
  assert.deepEqual(decodeMessage(encodeMessage(m)), m);
});

// --- Round trips ---

/** A Secret Service secret `(oayays)`: session, parameters, value, content type. */
const SECRET = [
  "/org/freedesktop/secrets/session/1",
  new Uint8Array([1, 2]),
  new Uint8Array([0x73, 0x33]),
  "text/plain; charset=utf8",
];

/** One or more values of each type pup handles, each case `[signature, body]`. */
const ROUND_TRIPS: [string, DBusValue[]][] = [
  ["y", [0]],
  ["y", [255]],
  ["b", [true]],
  ["b", [false]],
  ["u", [0]],
  ["u", [0xffffffff]],
  ["i", [-2147483648]],
  ["i", [2147483647]],
  ["i", [-1]],
  ["s", [""]],
  ["s", ["hello"]],
  ["s", ["héllo € 😀 日本"]],
  ["s", ["x".repeat(5000)]],
  ["s", ["é".repeat(300)]],
  ["o", ["/"]],
  ["o", ["/org/freedesktop/secrets/collection/login"]],
  ["g", [""]],
  ["g", ["a{o(oayays)}"]],
  ["ay", [new Uint8Array([0, 1, 127, 128, 255])]],
  ["as", [["a", "", "ccc"]]],
  ["ai", [[-1, 0, 1]]],
  ["ab", [[true, false]]],
  ["aay", [[new Uint8Array([1]), new Uint8Array([]), new Uint8Array([2, 3])]]],
  ["aas", [[["a"], [], ["b", "c"]]]],
  ["ao", [["/a", "/b/c"]]],
  ["(is)", [[-5, "five"]]],
  ["(y(ii)s)", [[1, [2, 3], "four"]]],
  ["a(yv)", [[[1, new Variant("o", "/p")], [8, new Variant("g", "s")]]]],
  ["a{ss}", [[["service", "pup"], ["username", "default"]]]],
  ["a{sv}", [[
    ["Label", new Variant("s", "pup")],
    ["Locked", new Variant("b", false)],
    ["Created", new Variant("u", 1700000000)],
    ["Attributes", new Variant("a{ss}", [["k", "v"]])],
  ]]],
  ["a{ia{sv}}", [[[7, [["x", new Variant("i", -7)]]]]]],
  ["v", [new Variant("s", "plain")]],
  ["v", [new Variant("ay", new Uint8Array([9, 8]))]],
  ["v", [new Variant("v", new Variant("v", new Variant("y", 3)))]],
  ["v", [new Variant("(oayays)", SECRET)]],
  ["v", [new Variant("a{sv}", [["inner", new Variant("as", ["deep"])]])]],
  ["(oayays)", [SECRET]],
  ["a{o(oayays)}", [[["/org/freedesktop/secrets/collection/login/1", SECRET], [
    "/org/freedesktop/secrets/collection/login/2",
    ["/s", new Uint8Array([]), new Uint8Array([0xff]), "text/plain"],
  ]]]],
];

Deno.test("every supported type (y b u i s o g, arrays, structs, dicts, variants, nested) round trips on its own", () => {
  for (const [signature, body] of ROUND_TRIPS) {
    assert.deepEqual(roundTrip(signature, body), body, `signature ${signature}`);
  }
});

Deno.test("all supported types side by side in one body round trip, each after the other's padding", () => {
  const signature = ROUND_TRIPS.map(([s]) => s).join("");
  const body = ROUND_TRIPS.flatMap(([, b]) => b);
  assert.deepEqual(roundTrip(signature, body), body);
  // And in reverse order, so every type also follows every other.
  const reversed = [...ROUND_TRIPS].reverse();
  assert.deepEqual(
    roundTrip(reversed.map(([s]) => s).join(""), reversed.flatMap(([, b]) => b)),
    reversed.flatMap(([, b]) => b),
  );
});

Deno.test("empty arrays of every element type round trip", () => {
  for (const element of ["y", "b", "u", "s", "o", "g", "v", "ay", "(ii)", "{sv}", "(oayays)"]) {
    const empty = element === "y" ? new Uint8Array([]) : [];
    assert.deepEqual(roundTrip(`ya${element}y`, [1, empty, 2]), [1, empty, 2], `a${element}`);
  }
  assert.deepEqual(roundTrip("a{o(oayays)}", [[]]), [[]]);
});

Deno.test("an empty array of 8-aligned elements still pads to 8 after its length; of 4-aligned ones it does not", () => {
  // a{sv}: length 0, then 4 bytes of padding to the (absent) first dict entry's boundary.
  assert.deepEqual(bodyOf(encodeMessage(signal("a{sv}", [[]]))), bytes(le(0), pad(4)));
  assert.deepEqual(bodyOf(encodeMessage(signal("a{sv}y", [[], 9]))), bytes(le(0), pad(4), 9));
  assert.deepEqual(bodyOf(encodeMessage(signal("a(ii)y", [[], 9]))), bytes(le(0), pad(4), 9));
  assert.deepEqual(bodyOf(encodeMessage(signal("aiy", [[], 9]))), bytes(le(0), 9));
  assert.deepEqual(bodyOf(encodeMessage(signal("ayy", [new Uint8Array([]), 9]))), bytes(le(0), 9));
  // And the decoder skips that padding: the 9 is read from byte 8.
  assert.deepEqual(roundTrip("a{sv}y", [[], 9]), [[], 9]);
});

Deno.test("an array's length counts its elements but not the padding before the first one", () => {
  assert.deepEqual(
    bodyOf(encodeMessage(signal("a(ii)", [[[1, 2]]]))),
    bytes(le(8), pad(4), le(1), le(2)),
  );
  assert.deepEqual(
    bodyOf(encodeMessage(signal("ya{yy}", [7, [[1, 2], [3, 4]]]))),
    bytes(7, pad(3), le(10), 1, 2, pad(6), 3, 4),
  );
});

Deno.test("a variant's signature is one byte long and followed by its value at the value's own alignment", () => {
  assert.deepEqual(
    bodyOf(encodeMessage(signal("v", [new Variant("u", 0x0a0b0c0d)]))),
    bytes(1, "u", 0, pad(1), le(0x0a0b0c0d)),
  );
  assert.deepEqual(
    bodyOf(encodeMessage(signal("v", [new Variant("(y)", [5])]))),
    bytes(3, "(y)", 0, pad(3), 5),
  );
});

// --- messageLength ---

Deno.test("messageLength() is undefined below 16 bytes and the whole message's length from the 16th on", () => {
  for (let n = 0; n < 16; n++) assert.equal(messageLength(HELLO.subarray(0, n)), undefined, `${n}`);
  assert.equal(messageLength(HELLO.subarray(0, 16)), 128);
  assert.equal(messageLength(HELLO), 128);
  assert.equal(messageLength(GET_NAME_OWNER.subarray(0, 16)), 169);
  const two = new Uint8Array([...GET_NAME_OWNER, ...HELLO]);
  assert.equal(messageLength(two), 169, "the first of two messages");
  assert.equal(messageLength(two.subarray(169)), 128, "the second");
});

Deno.test("messageLength() accepts exactly 2^27 bytes and refuses one byte more", () => {
  const header = (bodyLength: number, fieldsLength: number) =>
    bytes("l", 2, 0, 1, le(bodyLength), le(1), le(fieldsLength));
  assert.equal(MAX_MESSAGE_BYTES, 2 ** 27);
  assert.equal(messageLength(header(2 ** 27 - 16, 0)), 2 ** 27);
  assertWireError(() => messageLength(header(2 ** 27 - 15, 0)), /limit/, "body one byte over");
  assertWireError(() => messageLength(header(0, 0xfffffff0)), /limit/, "huge header fields");
  assertWireError(() => messageLength(header(0xffffffff, 0xffffffff)), /limit/, "both huge");
});

Deno.test("messageLength() refuses a bad endianness byte", () => {
  assertWireError(() => messageLength(patched(HELLO, (b) => b[0] = 0x58)), /endianness/, "'X'");
});

// --- Refusals when decoding ---

Deno.test("a message whose endianness byte is neither 'l' nor 'B' is refused", () => {
  for (const byte of [0x00, 0x4c, 0x62, 0x58]) {
    assertWireError(
      () => decodeMessage(patched(HELLO, (b) => b[0] = byte)),
      /endianness/,
      `byte ${byte}`,
    );
  }
});

Deno.test("a message whose protocol version is not 1 is refused", () => {
  for (const version of [0, 2, 255]) {
    assertWireError(
      () => decodeMessage(patched(HELLO, (b) => b[3] = version)),
      /version/,
      `version ${version}`,
    );
  }
});

Deno.test("a message cut short anywhere is refused (truncated, or its body length does not match)", () => {
  for (const message of [HELLO, GET_NAME_OWNER, BIG_ENDIAN_RETURN]) {
    for (let n = 0; n < message.length; n++) {
      assertWireError(
        () => decodeMessage(message.subarray(0, n)),
        /truncated|body length|endianness/,
        `cut to ${n} of ${message.length} bytes`,
      );
    }
  }
  assertWireError(() => decodeMessage(HELLO.subarray(0, 40)), /truncated/, "inside a header field");
});

Deno.test("a message whose body length runs past the buffer, or stops short of it, is refused", () => {
  const longer = patched(GET_NAME_OWNER, (b) => b[4] = 26);
  assertWireError(() => decodeMessage(longer), /body length/, "body length + 1");
  const shorter = patched(GET_NAME_OWNER, (b) => b[4] = 24);
  assertWireError(() => decodeMessage(shorter), /body length/, "body length - 1");
  const trailing = new Uint8Array([...HELLO, 0]);
  assertWireError(() => decodeMessage(trailing), /body length/, "a byte after the message");
});

Deno.test("a body with bytes its signature does not account for is refused", () => {
  const m = encodeMessage(signal("y", [1]));
  const longer = new Uint8Array([...m, 0, 0, 0]);
  longer[4] = 4; // body length 4: the "y" and three stray bytes
  assertWireError(() => decodeMessage(longer), /longer than its signature/, "stray body bytes");
});

Deno.test("a string without its NUL terminator is refused", () => {
  const m = encodeMessage(signal("s", ["abc"]));
  assertWireError(
    () => decodeMessage(patched(m, (b) => b[b.length - 1] = 0x58)),
    /NUL-terminated/,
    "short string",
  );
  const long = encodeMessage(signal("s", ["x".repeat(400)]));
  assertWireError(
    () => decodeMessage(patched(long, (b) => b[b.length - 1] = 0x58)),
    /NUL-terminated/,
    "long string",
  );
});

Deno.test("a string holding a NUL byte is refused, when decoding and when encoding", () => {
  const m = encodeMessage(signal("s", ["abc"]));
  assertWireError(() => decodeMessage(patched(m, (b) => b[b.length - 3] = 0)), /NUL/, "decode");
  assertWireError(() => encodeMessage(signal("s", ["a\0b"])), /NUL/, "encode s");
  assertWireError(
    () => encodeMessage(signal("o", ["/a\0"])),
    /not a D-Bus object path/,
    "encode o",
  );
});

Deno.test("an object path or signature that D-Bus would reject is refused when encoding", () => {
  for (const bad of ["", "a", "/a/", "//a", "/a-b", "/a/./b"]) {
    assertWireError(() => encodeMessage(signal("o", [bad])), /not a D-Bus object path/, bad);
  }
  for (const good of ["/", "/org/freedesktop/secrets", "/a_1/B2"]) {
    assert.equal(decodeMessage(encodeMessage(signal("o", [good]))).body?.[0], good);
  }
  for (const bad of ["(", "a", "x", "()"]) {
    assertWireError(() => encodeMessage(signal("g", [bad])), /signature/, bad);
  }
});

Deno.test("a long string that is not valid UTF-8 is refused with DBusWireError", () => {
  const m = encodeMessage(signal("s", ["a".repeat(300)]));
  assertWireError(
    () => decodeMessage(patched(m, (b) => b[b.length - 10] = 0xff)),
    /UTF-8|utf-8/,
    "0xff in a 300-byte string",
  );
});

Deno.test("a short string that is not valid UTF-8 is refused with DBusWireError", () => {
  const m = encodeMessage(signal("s", ["abc"]));
  assertWireError(
    () => decodeMessage(patched(m, (b) => b[b.length - 2] = 0xc3)),
    /UTF-8|utf-8/,
    "a lone UTF-8 lead byte",
  );
});

Deno.test("an array whose length does not match its items is refused", () => {
  const m = encodeMessage(signal("ai", [[1, 2]]));
  const lengthAt = m.length - 12; // the body: length, then two int32s
  assert.deepEqual(m.subarray(lengthAt, lengthAt + 4), bytes(le(8)));
  assertWireError(
    () => decodeMessage(patched(m, (b) => b[lengthAt] = 6)),
    /array length does not match/,
    "length 6 for two int32s",
  );
  assertWireError(
    () => decodeMessage(patched(m, (b) => b[lengthAt] = 12)),
    /truncated/,
    "length 12 past the message's end",
  );
  const strings = encodeMessage(signal("as", [["ab", "cd"]]));
  const at = strings.length - 19; // length, then "ab" (4 + 3, padded to 8) and "cd" (4 + 3)
  assert.deepEqual(strings.subarray(at, at + 4), bytes(le(15)));
  assertWireError(
    () => decodeMessage(patched(strings, (b) => b[at] = 10)),
    /array length does not match/,
    "length that ends inside the second string",
  );
});

Deno.test("a header field whose variant has the wrong type is refused", () => {
  // PATH (1) must be an object path "o"; say "s" instead.
  assertWireError(
    () => decodeMessage(patched(HELLO, (b) => b[18] = 0x73)),
    /header field 1/,
    "PATH as a string",
  );
});

// --- Signatures ---

Deno.test("splitSignature() splits a signature into its complete types", () => {
  assert.deepEqual(splitSignature(""), []);
  assert.deepEqual(splitSignature("sa{sv}(oayays)"), ["s", "a{sv}", "(oayays)"]);
  assert.deepEqual(splitSignature("oa{o(oayays)}aaybv"), ["o", "a{o(oayays)}", "aay", "b", "v"]);
});

Deno.test("a type code pup does not handle (x d h n q t, or garbage) is refused in signatures, bodies and variants", () => {
  for (const code of ["x", "d", "h", "n", "q", "t", "z", "m", "*"]) {
    assertWireError(() => splitSignature(code), /does not handle/, `splitSignature("${code}")`);
    assertWireError(() => splitSignature(`sa{s${code}}`), /does not handle/, `in a dict`);
    assertWireError(
      () => encodeMessage(signal(code, [1])),
      /does not handle/,
      `encode body "${code}"`,
    );
    assertWireError(
      () => encodeMessage(signal("v", [new Variant(code, 1)])),
      /does not handle/,
      `encode variant "${code}"`,
    );
  }
  // A received message whose SIGNATURE field says "x": written as "y", then patched.
  const m = encodeMessage(signal("y", [5]));
  const at = indexOf(m, bytes(8, 1, "g", 0, 1, "y", 0)) + 5;
  assertWireError(
    () => decodeMessage(patched(m, (b) => b[at] = 0x78)),
    /does not handle/,
    "decode body 'x'",
  );
  // A received variant of signature "d".
  const v = encodeMessage(signal("v", [new Variant("y", 5)]));
  assertWireError(
    () => decodeMessage(patched(v, (b) => b[b.length - 3] = 0x64)),
    /does not handle/,
    "decode variant 'd'",
  );
});

Deno.test("an unbalanced or unfinished signature is refused", () => {
  for (const sig of ["(ii", "a{sv", "ii)", "a", "aa", "((i)", "{s", "(a{sv)", "a{sv}}", ")"]) {
    assertWireError(() => splitSignature(sig), /ends early|unbalanced|does not handle/, sig);
    assertWireError(
      () => encodeMessage(signal(sig, [])),
      /ends early|unbalanced|does not handle/,
      `encode ${sig}`,
    );
  }
});

Deno.test("a signature with an empty struct or dict entry is refused (an array of them would never end)", () => {
  // An array of "()" has zero-sized elements: a decoder that accepts the type loops forever on
  // a non-empty array. The specification forbids empty structs.
  for (const sig of ["()", "a()", "{}", "a{}"]) {
    assertWireError(() => splitSignature(sig), /.*/, sig);
  }
});

// deno-fmt-ignore
/** A SIGNAL whose body is an 8-byte array of the empty struct "()", which has no size. */
const EMPTY_STRUCTS = bytes(
  "l", 4, 0, 1,
  le(16), // body length
  le(1),
  le(25), // header field array: bytes 16 to 41
  1, 1, "o", 0, le(1), "/", 0, pad(6), // 16: PATH = "/", to 26, padded to 32
  8, 1, "g", 0, 3, "a()", 0, // 32: SIGNATURE = "a()", to 41
  pad(7), // header ends at 48
  le(8), pad(4), pad(8), // the array: length 8, padding to 8, then 8 bytes of "elements"
);

Deno.test("a received array of empty structs is refused instead of looping until memory runs out", async () => {
  assert.equal(messageLength(EMPTY_STRUCTS), EMPTY_STRUCTS.length);
  // In a child with a small heap: the loop this guards against would take the test runner's.
  const wire = JSON.stringify(import.meta.resolve("../../lib/platform/dbus_wire.ts"));
  const code = `import { decodeMessage } from ${wire};
    try {
      decodeMessage(new Uint8Array(${JSON.stringify([...EMPTY_STRUCTS])}));
      console.log("decoded");
    } catch (e) {
      console.log(e.name);
    }`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", "--v8-flags=--max-old-space-size=16", code],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  const why = stderr.match(/.*out of memory.*/)?.[0] ?? stderr.slice(0, 300);
  assert.equal(new TextDecoder().decode(out.stdout).trim(), "DBusWireError", `the child: ${why}`);
});

Deno.test("a value nested deeper than 64 containers is refused when decoding", () => {
  let v: DBusValue = 1;
  for (let i = 0; i < 70; i++) v = new Variant(i === 0 ? "y" : "v", v);
  const deepVariants = encodeMessage(signal("v", [v]));
  assertWireError(() => decodeMessage(deepVariants), /nests too deeply/, "70 variants");

  let a: DBusValue = new Uint8Array([1]);
  for (let i = 0; i < 69; i++) a = [a];
  const deepArrays = encodeMessage(signal(`${"a".repeat(70)}y`, [a]));
  assertWireError(() => decodeMessage(deepArrays), /nests too deeply/, "70 arrays");

  let s: DBusValue = 1;
  let sig = "y";
  for (let i = 0; i < 70; i++) {
    s = [s];
    sig = `(${sig})`;
  }
  assertWireError(
    () => decodeMessage(encodeMessage(signal("v", [new Variant(sig, s)]))),
    /nests too deeply/,
    "70 structs",
  );
});

Deno.test("a variant whose signature is not exactly one type is refused, encoding and decoding", () => {
  assertWireError(
    () => encodeMessage(signal("v", [new Variant("ss", ["a", "b"])])),
    /not one type/,
    "encode ss",
  );
  assertWireError(
    () => encodeMessage(signal("v", [new Variant("", [])])),
    /not one type/,
    "encode empty",
  );
  // Decoding: Variant("ai", []) on the wire, its signature patched to "ii".
  const m = encodeMessage(signal("v", [new Variant("ai", [])]));
  const at = indexOf(bodyOf(m), bytes(2, "ai", 0)) + (m.length - bodyOf(m).length) + 1;
  assertWireError(
    () => decodeMessage(patched(m, (b) => b[at] = 0x69)),
    /not one type/,
    "decode ii",
  );
});

// --- Refusals when encoding ---

Deno.test("a value that does not fit its type is refused when encoding", () => {
  const cases: [string, DBusValue][] = [
    ["u", "1"],
    ["i", true],
    ["y", "a"],
    ["b", 1],
    ["s", 1],
    ["o", new Uint8Array([47])],
    ["g", 0],
    ["v", "not a variant"],
    ["v", [1]],
    ["(ii)", [1]],
    ["(ii)", [1, 2, 3]],
    ["(ii)", 1],
    ["{sv}", ["k"]],
    ["ay", [1, 2]],
    ["as", "abc"],
    ["ai", new Uint8Array([1])],
    ["a{sv}", [["k", "not a variant"]]],
  ];
  for (const [type, value] of cases) {
    assertWireError(
      () => encodeMessage(signal(type, [value])),
      /does not fit/,
      `${JSON.stringify(value)} as ${type}`,
    );
  }
  assertWireError(
    () => encodeMessage(signal("v", [new Variant("u", "1")])),
    /does not fit/,
    "a variant whose value does not fit its own signature",
  );
});

Deno.test("a body whose value count differs from its signature's types is refused when encoding", () => {
  assertWireError(() => encodeMessage(signal("ss", ["a"])), /2 types but the body 1/, "ss, 1");
  assertWireError(() => encodeMessage(signal("", ["a"])), /0 types but the body 1/, "none, 1");
  assertWireError(() => encodeMessage(signal("s", [])), /1 types but the body 0/, "s, none");
});

Deno.test("a number out of range for y, u or i is refused when encoding rather than wrapped", () => {
  const cases: [string, number][] = [
    ["y", 256],
    ["y", -1],
    ["u", -1],
    ["u", 2 ** 32],
    ["i", 2 ** 31],
    ["i", -(2 ** 31) - 1],
    ["u", 1.5],
    ["i", Number.NaN],
  ];
  for (const [type, value] of cases) {
    assertWireError(
      () => encodeMessage(signal(type, [value])),
      /does not fit|range/,
      `${value} as ${type} (it decodes as ${
        (() => {
          try {
            return roundTrip(type, [value]);
          } catch (e) {
            return e;
          }
        })()
      })`,
    );
  }
});

Deno.test("a signature over 255 bytes is refused when encoding", () => {
  assertWireError(
    () => encodeMessage(signal("g", ["s".repeat(256)])),
    /too long/,
    "256-byte signature",
  );
  assert.deepEqual(roundTrip("g", ["s".repeat(255)]), ["s".repeat(255)]);
});

// --- Property ---

/** Signatures the Secret Service client sends or receives, and some awkward mixtures. */
const PROPERTY_SIGNATURES = [
  "ybuisog",
  "ay",
  "a{sv}",
  "(oayays)",
  "a{o(oayays)}",
  "oa{ss}",
  "aas",
  "a(yv)",
  "v",
  "yv(y)ayaa{yb}",
];

/** The scalar signatures a random variant may hold at depth. */
const LEAF_VARIANTS = ["y", "b", "u", "i", "s", "o", "g", "ay", "as"];

/**
 * One character of any UTF-8 width but NUL (which a D-Bus string cannot hold) and lone
 * surrogates (which UTF-8 cannot); cheaper to build than fast-check's "binary" unit.
 */
const CODE_POINT = fc.oneof(
  fc.integer({ min: 1, max: 0x7f }),
  fc.integer({ min: 0x80, max: 0x7ff }),
  fc.integer({ min: 0x800, max: 0xd7ff }),
  fc.integer({ min: 0xe000, max: 0xffff }),
  fc.integer({ min: 0x10000, max: 0x10ffff }),
).map((c) => String.fromCodePoint(c));

function arbitraryOf(type: string, depth = 0): fc.Arbitrary<DBusValue> {
  switch (type[0]) {
    case "y":
      return fc.integer({ min: 0, max: 255 });
    case "b":
      return fc.boolean();
    case "u":
      return fc.oneof(
        fc.constantFrom(0, 1, 0x7fffffff, 0x80000000, 0xffffffff),
        fc.integer({ min: 0, max: 0xffff }).chain((hi) =>
          fc.integer({ min: 0, max: 0xffff }).map((lo) => hi * 0x10000 + lo)
        ),
      );
    case "i":
      return fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
    case "s":
      return fc.string({ unit: CODE_POINT, maxLength: 300, size: "large" });
    case "o":
      return fc.array(fc.stringMatching(/^[A-Za-z0-9_]{1,12}$/), { maxLength: 4 })
        .map((parts) => `/${parts.join("/")}`);
    case "g":
      return fc.constantFrom("", "s", "a{sv}", "(oayays)", ...PROPERTY_SIGNATURES);
    case "v": {
      const choices = depth < 3 ? [...LEAF_VARIANTS, "v", "a{sv}", "(oayays)"] : LEAF_VARIANTS;
      return fc.constantFrom(...choices).chain((sig) =>
        arbitraryOf(sig, depth + 1).map((value) => new Variant(sig, value))
      );
    }
    case "a":
      if (type === "ay") return fc.uint8Array({ maxLength: 64 });
      return fc.array(arbitraryOf(type.slice(1), depth + 1), { maxLength: 4 });
    case "(":
    case "{":
      return fc.tuple(...splitSignature(type.slice(1, -1)).map((t) => arbitraryOf(t, depth + 1)));
  }
  throw new Error(`no arbitrary for ${type}`);
}

Deno.test("random values of the Secret Service's signatures round trip through encodeMessage and decodeMessage", () => {
  const message = fc.constantFrom(...PROPERTY_SIGNATURES).chain((signature) =>
    fc.record({
      signature: fc.constant(signature),
      body: fc.tuple(...splitSignature(signature).map((t) => arbitraryOf(t))),
      serial: fc.integer({ min: 1, max: 0x7fffffff }),
      flags: fc.integer({ min: 0, max: 7 }),
      type: fc.constantFrom(1, 2, 3, 4),
    })
  );
  fc.assert(
    fc.property(message, (m) => {
      const bytes = encodeMessage(m);
      assert.equal(messageLength(bytes), bytes.length);
      assert.deepEqual(decodeMessage(bytes), { ...m });
    }),
    { seed: 52001, numRuns: 300 * SCALE, endOnFailure: true },
  );
});

Deno.test("any single corrupted byte of a valid message either decodes or is refused with DBusWireError", () => {
  const valid = [
    HELLO,
    GET_NAME_OWNER,
    BIG_ENDIAN_RETURN,
    encodeMessage(signal("a{o(oayays)}sv", [
      [["/o/1", SECRET]],
      "x".repeat(20),
      new Variant("a{sv}", [["k", new Variant("as", ["v"])]]),
    ])),
  ];
  const corruption = fc.record({
    message: fc.integer({ min: 0, max: valid.length - 1 }),
    at: fc.nat(),
    // Bytes likely to be read as something meaningful: type codes, lengths, markers.
    byte: fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0, 0x42, 0x6c, 0xff, 0x80)),
  });
  fc.assert(
    fc.property(corruption, ({ message, at, byte }) => {
      const bytes = patched(valid[message], (b) => b[at % b.length] = byte);
      // "()" and "{}" would never end on a non-empty array; the test above covers them.
      const text = new TextDecoder("latin1").decode(bytes);
      fc.pre(!text.includes("()") && !text.includes("{}"));
      try {
        decodeMessage(bytes);
      } catch (e) {
        assert.ok(e instanceof DBusWireError, `byte ${at % bytes.length} = ${byte}: ${e}`);
      }
    }),
    { seed: 52002, numRuns: 2000 * SCALE, endOnFailure: true },
  );
});
