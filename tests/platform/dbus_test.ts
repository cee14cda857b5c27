/**
 * pup's D-Bus client (`lib/platform/dbus.ts`) and its timeouts (`lib/platform/deadline.ts`):
 * the session bus address, then `DBusConnection` against a fake bus on a Unix socket that
 * checks every byte the client sends (authentication, `Hello`, each call) and fails the test on
 * any message nobody expected, and finally against a real `dbus-daemon` (the `dbus` package;
 * CI installs it, and these tests fail rather than skip without it).
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  DBusCallError,
  DBusConnection,
  DBusTimeoutError,
  DBusUnavailableError,
  sessionBusSocket,
} from "../../lib/platform/dbus.ts";
import {
  type DBusValue,
  decodeMessage,
  encodeMessage,
  type Message,
  messageLength,
  MessageType,
  Variant,
} from "../../lib/platform/dbus_wire.ts";
import { deadline, withDeadline } from "../../lib/platform/deadline.ts";

// --- sessionBusSocket ---

Deno.test("sessionBusSocket() takes the path of a unix:path= address, %xx escapes decoded", () => {
  assert.deepEqual(sessionBusSocket("unix:path=/run/user/1000/bus", undefined), {
    path: "/run/user/1000/bus",
  });
  assert.deepEqual(
    sessionBusSocket("unix:path=/tmp/my%20bus%2cx,guid=0123456789abcdef", "/ignored"),
    { path: "/tmp/my bus,x" },
  );
  assert.deepEqual(sessionBusSocket("unix:guid=abc,path=/run/b", undefined), { path: "/run/b" });
});

Deno.test("sessionBusSocket() ignores an address key without '=' instead of misreading it", () => {
  const r = sessionBusSocket("unix:pathX", undefined);
  assert.ok("reason" in r, JSON.stringify(r));
  assert.deepEqual(sessionBusSocket("unix:path,path=/run/ok", undefined), { path: "/run/ok" });
});

Deno.test("sessionBusSocket() takes the first unix:path= entry of several ';'-separated ones", () => {
  assert.deepEqual(sessionBusSocket("tcp:host=x,port=1;unix:path=/run/x", undefined), {
    path: "/run/x",
  });
  assert.deepEqual(
    sessionBusSocket("unix:abstract=/tmp/a;unix:path=/run/first;unix:path=/run/second", undefined),
    { path: "/run/first" },
  );
});

Deno.test("sessionBusSocket() gives a reason naming unix:path when the address has no such entry", () => {
  for (
    const address of ["unix:abstract=/tmp/dbus-XYZ,guid=1", "tcp:host=x,port=1;unix:tmpdir=/t"]
  ) {
    const got = sessionBusSocket(address, "/run/user/1000");
    assert.ok("reason" in got, `${address}: ${JSON.stringify(got)}`);
    assert.match(got.reason, /unix:path=/);
    assert.ok(got.reason.includes(address), "the reason quotes the address");
  }
});

Deno.test("sessionBusSocket() falls back to $XDG_RUNTIME_DIR/bus when the address is empty or unset", () => {
  assert.deepEqual(sessionBusSocket(undefined, "/run/user/1000"), { path: "/run/user/1000/bus" });
  assert.deepEqual(sessionBusSocket("", "/run/user/1000"), { path: "/run/user/1000/bus" });
});

Deno.test("sessionBusSocket() gives a reason naming both variables when neither is set", () => {
  for (const [address, dir] of [[undefined, undefined], ["", ""], ["", undefined]]) {
    const got = sessionBusSocket(address, dir);
    assert.ok("reason" in got, JSON.stringify(got));
    assert.match(got.reason, /DBUS_SESSION_BUS_ADDRESS/);
    assert.match(got.reason, /XDG_RUNTIME_DIR/);
  }
});

// --- A fake bus ---

const AUTH_REQUEST = new TextEncoder().encode("\0AUTH EXTERNAL\r\nDATA\r\nBEGIN\r\n");
const AUTH_OK = new TextEncoder().encode("DATA\r\nOK 0123456789abcdef0123456789abcdef\r\n");
const UNIQUE_NAME = ":1.42";

/** The `Hello` every connection sends first, as the bus must receive it. */
const HELLO: Omit<Message, "serial"> = {
  type: MessageType.METHOD_CALL,
  flags: 0,
  destination: "org.freedesktop.DBus",
  path: "/org/freedesktop/DBus",
  interface: "org.freedesktop.DBus",
  member: "Hello",
  body: [],
};

/** A call to the made-up service these tests talk to. */
function testCall(member: string, signature?: string, body?: DBusValue[]) {
  return {
    destination: "org.example.Test",
    path: "/org/example/Test",
    interface: "org.example.Test",
    member,
    ...(signature ? { signature, body } : {}),
  };
}

/** `testCall(...)` as the bus must receive it. */
function expected(member: string, signature?: string, body?: DBusValue[]) {
  return {
    type: MessageType.METHOD_CALL,
    flags: 0,
    body: [],
    ...testCall(member, signature, body),
  };
}

/** Waits `ms` milliseconds. */
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** What `promise` came to within `ms`, or "pending"; leaves no timer behind. */
async function within<T>(
  promise: Promise<T>,
  ms: number,
): Promise<{ value: T } | { error: unknown } | "pending"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"pending">((resolve) =>
    timer = setTimeout(() => resolve("pending"), ms)
  );
  try {
    return await Promise.race([promise.then((value) => ({ value }), (error) => ({ error })), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The bus's side of one connection. A script reads what the client sends, checking it
 * exactly, and answers; whatever the client sends beyond what the script expects fails the
 * test (`expectEnd()`, which the harness runs after every script).
 */
class FakeBus {
  readonly #conn: Deno.UnixConn;
  #buf = new Uint8Array(0);
  #chunk = new Uint8Array(64 * 1024);
  #reading?: Promise<number | null>;
  #serial = 1000;
  #closed = false;
  /** The size of each read from the client, in order. */
  readonly reads: number[] = [];
  /** The client hung up, or this side did. */
  ended = false;
  /** What the script waits for, for a test that ends while it still waits. */
  waitingFor = "the client to connect";

  constructor(conn: Deno.UnixConn) {
    this.#conn = conn;
  }

  /** Reads once more; false at the end of the stream. */
  async #fill(): Promise<boolean> {
    this.#reading ??= this.#conn.read(this.#chunk);
    const n = await this.#reading;
    this.#reading = undefined;
    if (n === null) return false;
    this.reads.push(n);
    this.#buf = new Uint8Array([...this.#buf, ...this.#chunk.subarray(0, n)]);
    return true;
  }

  /** Reads the client's authentication, checks it byte for byte, and answers `answer`. */
  async auth(answer: Uint8Array = AUTH_OK): Promise<void> {
    this.waitingFor = "the client's AUTH lines";
    while (this.#buf.length < AUTH_REQUEST.length) {
      if (!await this.#fill()) assert.fail("the client hung up during authentication");
    }
    assert.equal(
      new TextDecoder().decode(this.#buf.subarray(0, AUTH_REQUEST.length)),
      new TextDecoder().decode(AUTH_REQUEST),
      "the client's authentication",
    );
    this.#buf = this.#buf.slice(AUTH_REQUEST.length);
    await this.write(answer);
  }

  /** The next whole message, or undefined when the client hung up between messages. */
  async next(): Promise<Message | undefined> {
    for (;;) {
      const length = messageLength(this.#buf);
      if (length !== undefined && this.#buf.length >= length) {
        const m = decodeMessage(this.#buf.subarray(0, length));
        this.#buf = this.#buf.slice(length);
        return m;
      }
      if (!await this.#fill()) {
        if (this.#buf.length > 0) assert.fail(`the client hung up mid-message`);
        this.ended = true;
        return undefined;
      }
    }
  }

  /** The next message, which must be `want` exactly (any serial); returns it. */
  async expect(want: Omit<Message, "serial">): Promise<Message> {
    this.waitingFor = `${want.interface}.${want.member}`;
    const m = await this.next();
    assert.ok(m, `the client hung up instead of sending ${this.waitingFor}`);
    const { serial, ...rest } = m;
    assert.ok(serial > 0, "a serial is never 0");
    assert.deepEqual(rest, want, `the client sent something else than ${this.waitingFor}`);
    return m;
  }

  /** Expects `Hello` (serial 1, as the first message) and answers with a unique name. */
  async hello(): Promise<Message> {
    const m = await this.expect(HELLO);
    assert.equal(m.serial, 1, "Hello is the first message");
    await this.write(this.returnFor(m, "s", [UNIQUE_NAME]));
    return m;
  }

  /** The client must send nothing more, and hang up. */
  async expectEnd(): Promise<void> {
    this.waitingFor = "the client to hang up";
    const m = await this.next();
    if (m) assert.fail(`the client sent a message nobody expected: ${JSON.stringify(m)}`);
  }

  /** Asserts the client sends nothing and stays connected for `ms`. */
  async quietFor(ms: number): Promise<void> {
    assert.equal(this.#buf.length, 0, "the client sent bytes nobody expected");
    this.#reading ??= this.#conn.read(this.#chunk);
    const got = await within(this.#reading, ms);
    if (got === "pending") return;
    this.#reading = undefined;
    if ("error" in got) throw got.error;
    assert.notEqual(got.value, null, `the client hung up within ${ms} ms`);
    assert.fail(`the client sent ${got.value} bytes nobody expected`);
  }

  /** A METHOD_RETURN for `call`. */
  returnFor(call: Message, signature?: string, body?: DBusValue[]): Uint8Array {
    return encodeMessage({
      type: MessageType.METHOD_RETURN,
      serial: ++this.#serial,
      replySerial: call.serial,
      sender: "org.example.Test",
      destination: UNIQUE_NAME,
      signature,
      body,
    });
  }

  /** An ERROR for `call`. */
  errorFor(call: Message, errorName: string, text?: string): Uint8Array {
    return encodeMessage({
      type: MessageType.ERROR,
      serial: ++this.#serial,
      replySerial: call.serial,
      errorName,
      destination: UNIQUE_NAME,
      ...(text === undefined ? {} : { signature: "s", body: [text] }),
    });
  }

  /** A SIGNAL from the test service. */
  signal(path: string, member: string, signature?: string, body?: DBusValue[]): Uint8Array {
    return encodeMessage({
      type: MessageType.SIGNAL,
      serial: ++this.#serial,
      path,
      interface: "org.example.Test",
      member,
      sender: "org.example.Test",
      signature,
      body,
    });
  }

  /** Writes all of `parts` in one write. */
  async write(...parts: Uint8Array[]): Promise<void> {
    const bytes = new Uint8Array(parts.reduce<number[]>((all, p) => [...all, ...p], []));
    for (let done = 0; done < bytes.length;) done += await this.#conn.write(bytes.subarray(done));
  }

  /** Writes `bytes` one byte per write, letting the client read between them. */
  async trickle(bytes: Uint8Array): Promise<void> {
    for (const b of bytes) {
      await this.#conn.write(new Uint8Array([b]));
      await sleep(0);
    }
  }

  /** Closes this side of the connection. */
  hangUp(): void {
    this.ended = true;
    if (this.#closed) return;
    this.#closed = true;
    this.#conn.close();
  }

  /** Closes this side, and waits for a read still running to end. */
  async dispose(): Promise<void> {
    const reading = this.#reading;
    this.hangUp();
    await reading?.catch(() => {});
  }
}

/**
 * Runs `client` against a fake bus that follows `script`, in a temp dir of its own. Fails with
 * the script's failed assertion first, then the client's failure, then the script's other
 * failures, then a script still waiting once the client is done.
 */
async function withFakeBus(
  script: (bus: FakeBus) => Promise<void>,
  client: (socketPath: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "pup-dbus-test-" });
  const path = `${dir}/bus`;
  const listener = Deno.listen({ transport: "unix", path });
  let fake: FakeBus | undefined;
  const server = (async () => {
    fake = new FakeBus(await listener.accept());
    await script(fake);
    if (!fake.ended) await fake.expectEnd();
  })();
  // A failed script hangs up at once, so the client's waits end rather than time out.
  server.catch(() => fake?.hangUp());
  let clientFailed: { error: unknown } | undefined;
  try {
    await client(path);
  } catch (error) {
    clientFailed = { error };
  }
  const serverDone = await within(server, 5000);
  listener.close();
  await fake?.dispose();
  await server.catch(() => {});
  await Deno.remove(dir, { recursive: true });
  const serverFailed = serverDone !== "pending" && "error" in serverDone ? serverDone : undefined;
  // A broken exchange explains the client's error; a write the client hung up on does not.
  if (serverFailed?.error instanceof assert.AssertionError) throw serverFailed.error;
  if (clientFailed) throw clientFailed.error;
  if (serverFailed) throw serverFailed.error;
  if (serverDone === "pending") {
    assert.fail(`the fake bus still waits for ${fake?.waitingFor ?? "the client to connect"}`);
  }
}

/** Asserts `promise` rejects with an instance of `type` whose message matches `pattern`. */
async function assertRejects(
  promise: Promise<unknown>,
  type: new (...args: never[]) => Error,
  pattern: RegExp,
): Promise<Error> {
  let caught: unknown;
  await assert.rejects(promise, (e: unknown) => {
    caught = e;
    return true;
  });
  assert.ok(caught instanceof type, `rejected with ${caught}, not a ${type.name}`);
  assert.match(caught.message, pattern);
  return caught;
}

// --- Calls ---

Deno.test("a call gets the METHOD_RETURN whose reply serial is its own, with the body decoded", async () => {
  await withFakeBus(async (bus) => {
    await bus.auth();
    await bus.hello();
    const call = await bus.expect(expected("Echo", "sa{sv}", ["hi", [["k", new Variant("u", 7)]]]));
    await bus.write(bus.returnFor(call, "sv", ["echo", new Variant("ay", new Uint8Array([1]))]));
  }, async (path) => {
    const conn = DBusConnection.open(path, 5000);
    try {
      const reply = await conn.call(
        testCall("Echo", "sa{sv}", ["hi", [["k", new Variant("u", 7)]]]),
      );
      assert.equal(reply.type, MessageType.METHOD_RETURN);
      assert.deepEqual(reply.body, ["echo", new Variant("ay", new Uint8Array([1]))]);
    } finally {
      conn.close();
    }
  });
});

Deno.test("replies that arrive out of order, several in one chunk with a stray reply and a call to us, each reach their own call", async () => {
  await withFakeBus(async (bus) => {
    await bus.auth();
    const hello = await bus.expect(HELLO);
    const calls = [];
    for (const name of ["A", "B", "C"]) calls.push(await bus.expect(expected(name)));
    const [a, b, c] = calls;
    const stray = { ...a, serial: 9999 };
    const callToUs = encodeMessage({
      type: MessageType.METHOD_CALL,
      serial: 77,
      path: "/",
      interface: "org.example.Peer",
      member: "Poke",
      sender: "org.example.Test",
    });
    await bus.write(
      bus.returnFor(c, "s", ["for C"]),
      bus.returnFor(stray, "s", ["for nobody"]),
      callToUs,
      bus.returnFor(a, "s", ["for A"]),
      bus.returnFor(hello, "s", [UNIQUE_NAME]),
      bus.returnFor(b, "s", ["for B"]),
    );
  }, async (path) => {
    const conn = DBusConnection.open(path, 5000);
    try {
      const replies = await Promise.all(["A", "B", "C"].map((name) => conn.call(testCall(name))));
      assert.deepEqual(replies.map((r) => r.body), [["for A"], ["for B"], ["for C"]]);
    } finally {
      conn.close();
    }
  });
});

Deno.test("the auth answer and replies written one byte per write still reach their calls", async () => {
  await withFakeBus(async (bus) => {
    // auth() would write the answer whole; trickle it instead.
    await bus.auth(new Uint8Array(0));
    await bus.trickle(AUTH_OK);
    const hello = await bus.expect(HELLO);
    const call = await bus.expect(expected("Split"));
    await bus.write(bus.returnFor(hello, "s", [UNIQUE_NAME]));
    await bus.trickle(bus.returnFor(call, "as", [["one", "two"]]));
  }, async (path) => {
    const conn = DBusConnection.open(path, 5000);
    try {
      assert.deepEqual((await conn.call(testCall("Split"))).body, [["one", "two"]]);
    } finally {
      conn.close();
    }
  });
});

/**
 * Records what each connection `Deno.connect` makes writes, one entry per `write()` call: a
 * stream socket's reader cannot tell one write from several queued ones.
 */
function spyOnWrites(): { writes: Uint8Array[]; restore: () => void } {
  const connect = Deno.connect;
  const writes: Uint8Array[] = [];
  Deno.connect = (async (options: Deno.UnixConnectOptions) => {
    const conn = await connect(options);
    const write = conn.write.bind(conn);
    conn.write = (p: Uint8Array) => {
      writes.push(p.slice());
      return write(p);
    };
    return conn;
  }) as typeof Deno.connect;
  return { writes, restore: () => Deno.connect = connect };
}

Deno.test("the auth lines, Hello and the calls made right after open() go out in one write, before any answer", async () => {
  const spy = spyOnWrites();
  try {
    await withFakeBus(async (bus) => {
      await bus.auth(new Uint8Array(0)); // nothing answered yet
      const hello = await bus.expect(HELLO);
      const first = await bus.expect(expected("First"));
      const second = await bus.expect(expected("Second", "u", [2]));
      assert.equal(bus.reads.length, 1, `the bus read ${bus.reads.join(" + ")} bytes`);
      assert.equal(spy.writes.length, 1, `the client wrote ${spy.writes.map((w) => w.length)}`);
      assert.equal(spy.writes[0].length, bus.reads[0]);
      await bus.write(
        AUTH_OK,
        bus.returnFor(hello, "s", [UNIQUE_NAME]),
        bus.returnFor(first),
        bus.returnFor(second),
      );
    }, async (path) => {
      const conn = DBusConnection.open(path, 5000);
      try {
        await Promise.all([conn.call(testCall("First")), conn.call(testCall("Second", "u", [2]))]);
      } finally {
        conn.close();
      }
    });
  } finally {
    spy.restore();
  }
});

Deno.test("an ERROR reply rejects the call with DBusCallError carrying its error name and text", async () => {
  await withFakeBus(async (bus) => {
    await bus.auth();
    await bus.hello();
    const call = await bus.expect(expected("Fail"));
    await bus.write(bus.errorFor(call, "org.example.Error.Nope", "no such thing"));
    const bare = await bus.expect(expected("FailBare"));
    await bus.write(bus.errorFor(bare, "org.example.Error.Bare"));
  }, async (path) => {
    const conn = DBusConnection.open(path, 5000);
    try {
      const e = await assertRejects(conn.call(testCall("Fail")), DBusCallError, /no such thing/);
      assert.equal((e as DBusCallError).errorName, "org.example.Error.Nope");
      assert.equal(e.message, "org.example.Error.Nope: no such thing");
      const bare = await assertRejects(conn.call(testCall("FailBare")), DBusCallError, /Bare/);
      assert.equal(bare.message, "org.example.Error.Bare");
      // The connection stays usable after an error reply: close() below is what ends it.
    } finally {
      conn.close();
    }
  });
});

// --- Failures of the connection ---

Deno.test("a bus that answers REJECTED to the authentication makes the call fail with DBusUnavailableError", async () => {
  await withFakeBus(async (bus) => {
    await bus.auth(new TextEncoder().encode("REJECTED EXTERNAL\r\n"));
    // Sent before the answer, in the same write as the AUTH lines.
    await bus.expect(HELLO);
    await bus.expect(expected("Ping"));
    // Then the client hangs up on its own (the harness's expectEnd).
  }, async (path) => {
    const conn = DBusConnection.open(path, 5000);
    try {
      await assertRejects(
        conn.call(testCall("Ping")),
        DBusUnavailableError,
        /refused authentication.*REJECTED EXTERNAL/,
      );
    } finally {
      conn.close();
    }
  });
});

Deno.test("a bus that hangs up in the middle of a reply makes the call fail with DBusUnavailableError", async () => {
  await withFakeBus(async (bus) => {
    await bus.auth();
    await bus.hello();
    const call = await bus.expect(expected("Ping"));
    const reply = bus.returnFor(call, "s", ["pong"]);
    await bus.write(reply.subarray(0, 20));
    bus.hangUp();
  }, async (path) => {
    const conn = DBusConnection.open(path, 5000);
    try {
      await assertRejects(conn.call(testCall("Ping")), DBusUnavailableError, /closed/);
    } finally {
      conn.close();
    }
  });
});

Deno.test("garbage after the authentication (a bad endianness byte) fails the call with DBusUnavailableError and hangs up", async () => {
  let ended = false;
  await withFakeBus(async (bus) => {
    await bus.auth();
    await bus.expect(HELLO);
    await bus.expect(expected("Ping"));
    await bus.write(new TextEncoder().encode("X".repeat(32)));
    await bus.expectEnd();
    ended = true;
  }, async (path) => {
    const conn = DBusConnection.open(path, 5000);
    try {
      await assertRejects(conn.call(testCall("Ping")), DBusUnavailableError, /endianness/);
      await assertRejects(conn.call(testCall("Later")), DBusUnavailableError, /endianness/);
      // The bus sees the client hang up without close() being called.
      for (let i = 0; i < 50 && !ended; i++) await sleep(10);
      assert.ok(ended, "the connection was not closed after the garbage");
    } finally {
      conn.close();
    }
  });
});

Deno.test("a bus that never answers fails the pending call with DBusTimeoutError naming it, after the timeout, and the connection is closed", async () => {
  let ended = 0;
  await withFakeBus(async (bus) => {
    await bus.auth();
    await bus.hello();
    await bus.expect(expected("Slow"));
    await bus.expectEnd();
    ended = Date.now();
  }, async (path) => {
    const start = Date.now();
    const conn = DBusConnection.open(path, 300);
    try {
      await assertRejects(
        conn.call(testCall("Slow")),
        DBusTimeoutError,
        /org\.example\.Test\.Slow got no answer within 0\.3 s/,
      );
      const elapsed = Date.now() - start;
      assert.ok(elapsed >= 290 && elapsed < 800, `timed out after ${elapsed} ms`);
      // The bus sees the client hang up without close() being called.
      for (let i = 0; i < 50 && ended === 0; i++) await sleep(10);
      assert.ok(ended > 0, "the connection was not closed after the timeout");
      await assertRejects(conn.call(testCall("After")), DBusTimeoutError, /Slow/);
    } finally {
      conn.close();
    }
  });
});

Deno.test("calls after close() reject with DBusUnavailableError, and close() twice is fine", async () => {
  await withFakeBus(async (bus) => {
    await bus.auth();
    await bus.hello();
    const call = await bus.expect(expected("Ping"));
    await bus.write(bus.returnFor(call, "s", ["pong"]));
  }, async (path) => {
    const conn = DBusConnection.open(path, 5000);
    assert.deepEqual((await conn.call(testCall("Ping"))).body, ["pong"]);
    conn.close();
    conn.close();
    await assertRejects(conn.call(testCall("Again")), DBusUnavailableError, /closed/);
    await assertRejects(conn.signal(() => true, "x", 100), DBusUnavailableError, /closed/);
    conn.close();
  });
});

Deno.test("close() right after open() sends nothing: the bus sees the connection end with no bytes", async () => {
  await withFakeBus(async (bus) => {
    await bus.expectEnd();
    assert.deepEqual(bus.reads, []);
  }, (path) => {
    const conn = DBusConnection.open(path, 5000);
    conn.close();
    return Promise.resolve();
  });
});

Deno.test("a socket path that does not exist fails the first call at once with DBusUnavailableError naming the path", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pup-dbus-test-" });
  try {
    const missing = `${dir}/no-such-bus`;
    const start = Date.now();
    const conn = DBusConnection.open(missing, 5000);
    try {
      const e = await assertRejects(conn.call(testCall("Ping")), DBusUnavailableError, /cannot/);
      assert.ok(e.message.includes(missing), e.message);
      assert.ok(Date.now() - start < 1000, "not by the timeout");
    } finally {
      conn.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("drainAndClose() hangs up only once every call in flight has its reply", async () => {
  await withFakeBus(async (bus) => {
    await bus.auth();
    await bus.hello();
    const call = await bus.expect(expected("Slowish"));
    await bus.quietFor(150); // drainAndClose() has run: the client must still be there
    await bus.write(bus.returnFor(call, "s", ["done"]));
  }, async (path) => {
    const conn = DBusConnection.open(path, 5000);
    const reply = conn.call(testCall("Slowish"));
    await conn.drainAndClose();
    assert.deepEqual((await reply).body, ["done"]);
    await assertRejects(conn.call(testCall("Again")), DBusUnavailableError, /closed/);
  });
});

// --- Signals ---

Deno.test("signal() resolves on the first SIGNAL that matches and ignores the others", async () => {
  await withFakeBus(async (bus) => {
    await bus.auth();
    await bus.hello();
    const call = await bus.expect(expected("Prompt"));
    await bus.write(
      bus.signal("/prompt/1", "Other", "b", [true]),
      bus.signal("/prompt/2", "Completed", "bv", [true, new Variant("s", "wrong prompt")]),
      bus.returnFor(call),
    );
    await sleep(20);
    await bus.write(
      bus.signal("/prompt/1", "Completed", "bv", [false, new Variant("s", "right")]),
      bus.signal("/prompt/1", "Completed", "bv", [false, new Variant("s", "too late")]),
    );
  }, async (path) => {
    const conn = DBusConnection.open(path, 5000);
    try {
      const completed = conn.signal(
        (m) => m.path === "/prompt/1" && m.member === "Completed",
        "the prompt",
        800,
      );
      await conn.call(testCall("Prompt"));
      const m = await completed;
      assert.equal(m.type, MessageType.SIGNAL);
      assert.deepEqual(m.body, [false, new Variant("s", "right")]);
    } finally {
      conn.close();
    }
  });
});

Deno.test("signal() times out with DBusTimeoutError after its own timeout, longer than the connection's, and closes the connection", async () => {
  let ended = false;
  await withFakeBus(async (bus) => {
    await bus.auth();
    await bus.hello();
    await bus.expectEnd();
    ended = true;
  }, async (path) => {
    const start = Date.now();
    const conn = DBusConnection.open(path, 200);
    try {
      await assertRejects(
        conn.signal(() => true, "the prompt", 500),
        DBusTimeoutError,
        /the prompt got no answer within 0\.5 s/,
      );
      const elapsed = Date.now() - start;
      assert.ok(elapsed >= 490 && elapsed < 900, `timed out after ${elapsed} ms`);
      for (let i = 0; i < 50 && !ended; i++) await sleep(10);
      assert.ok(ended, "the connection was not closed after the timeout");
    } finally {
      conn.close();
    }
  });
});

Deno.test("the watchdog does not kill a connection while a signal wait with a longer timeout runs", async () => {
  await withFakeBus(async (bus) => {
    await bus.auth();
    await bus.hello();
    await sleep(400); // past the connection's 200 ms
    await bus.write(bus.signal("/prompt/1", "Completed", "bv", [false, new Variant("s", "ok")]));
  }, async (path) => {
    const start = Date.now();
    const conn = DBusConnection.open(path, 200);
    try {
      const m = await conn.signal((m) => m.member === "Completed", "the prompt", 600);
      assert.deepEqual(m.body, [false, new Variant("s", "ok")]);
      assert.ok(Date.now() - start >= 390, "resolved after the connection's own timeout");
    } finally {
      conn.close();
    }
  });
});

Deno.test("after a signal wait outlasted the connection's timeout, a call that gets no answer still times out", async () => {
  await withFakeBus(async (bus) => {
    await bus.auth();
    await bus.hello();
    await sleep(150); // past the connection's 100 ms, within the wait's 300 ms
    await bus.write(bus.signal("/prompt/1", "Completed", "bv", [false, new Variant("s", "ok")]));
    await bus.expect(expected("AfterPrompt")); // never answered
  }, async (path) => {
    const conn = DBusConnection.open(path, 100);
    try {
      await conn.signal((m) => m.member === "Completed", "the prompt", 300);
      const call = conn.call(testCall("AfterPrompt"));
      call.catch(() => {}); // close() below rejects it when it is still waiting
      const got = await within(call, 500);
      assert.notEqual(got, "pending", "the call got no answer, and no timeout either");
      assert.ok(
        got !== "pending" && "error" in got && got.error instanceof DBusTimeoutError,
        `settled with ${JSON.stringify(got)}`,
      );
    } finally {
      conn.close();
    }
  });
});

Deno.test("a second signal wait ending first does not take the first wait's protection from the watchdog", async () => {
  await withFakeBus(async (bus) => {
    await bus.auth();
    await bus.hello();
    await sleep(20);
    await bus.write(bus.signal("/prompt/b", "Completed", "bv", [false, new Variant("s", "b")]));
    await sleep(230); // past the connection's 100 ms, within the first wait's 600 ms
    await bus.write(bus.signal("/prompt/a", "Completed", "bv", [false, new Variant("s", "a")]));
  }, async (path) => {
    const conn = DBusConnection.open(path, 100);
    try {
      const a = conn.signal((m) => m.path === "/prompt/a", "prompt A", 600);
      const b = conn.signal((m) => m.path === "/prompt/b", "prompt B", 300);
      a.catch(() => {});
      assert.deepEqual((await b).body, [false, new Variant("s", "b")]);
      assert.deepEqual((await a).body, [false, new Variant("s", "a")]);
    } finally {
      conn.close();
    }
  });
});

// --- Against a real dbus-daemon ---

/**
 * Runs `fn` against a private `dbus-daemon` (session configuration) listening in a temp dir,
 * given the socket path taken from the address it prints once it is ready.
 */
async function withDBusDaemon(fn: (socketPath: string, pid: number) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "pup-dbus-daemon-" });
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command("dbus-daemon", {
      args: [
        "--config-file=/usr/share/dbus-1/session.conf",
        `--address=unix:path=${dir}/bus`,
        "--print-address=1",
        "--nofork",
        "--nopidfile",
      ],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (e) {
    await Deno.remove(dir, { recursive: true });
    if (e instanceof Deno.errors.NotFound) {
      assert.fail("dbus-daemon is not on PATH: install the `dbus` package (CI installs it)");
    }
    throw e;
  }
  const stderr = new Response(child.stderr).text();
  const reader = child.stdout.getReader();
  try {
    let printed = "";
    while (!printed.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) {
        assert.fail(`dbus-daemon printed no address: ${printed}${await stderr}`);
      }
      printed += new TextDecoder().decode(value);
    }
    const address = printed.trim();
    assert.match(address, /^unix:path=/);
    const socket = sessionBusSocket(address, undefined);
    assert.ok("path" in socket, JSON.stringify(socket));
    assert.equal(socket.path, `${dir}/bus`);
    await fn(socket.path, child.pid);
  } finally {
    try {
      child.kill("SIGTERM");
    } catch {
      // it already exited
    }
    await child.status;
    await reader.cancel();
    await stderr;
    await Deno.remove(dir, { recursive: true });
  }
}

const DBUS = {
  destination: "org.freedesktop.DBus",
  path: "/org/freedesktop/DBus",
  interface: "org.freedesktop.DBus",
};

Deno.test("against a real dbus-daemon: after open()'s Hello, GetId, ListNames and GetNameOwner answer", async () => {
  await withDBusDaemon(async (socket) => {
    const conn = DBusConnection.open(socket, 5000);
    try {
      const [id] = (await conn.call({ ...DBUS, member: "GetId" })).body ?? [];
      assert.match(String(id), /^[0-9a-f]{32}$/);
      const [names] = (await conn.call({ ...DBUS, member: "ListNames" })).body as [string[]];
      assert.ok(names.includes("org.freedesktop.DBus"), names.join(" "));
      // Our own unique name, which only Hello gives a connection.
      assert.ok(names.some((n) => n.startsWith(":1.")), names.join(" "));
      const owner = await conn.call({
        ...DBUS,
        member: "GetNameOwner",
        signature: "s",
        body: ["org.freedesktop.DBus"],
      });
      assert.deepEqual(owner.body, ["org.freedesktop.DBus"]);
      assert.equal(owner.signature, "s");
    } finally {
      conn.close();
    }
  });
});

Deno.test("against a real dbus-daemon: a call to a name nobody owns fails with ServiceUnknown", async () => {
  await withDBusDaemon(async (socket) => {
    const conn = DBusConnection.open(socket, 5000);
    try {
      const e = await assertRejects(
        conn.call({
          destination: "org.example.Nope",
          path: "/org/example/Nope",
          interface: "org.example.Nope",
          member: "Anything",
        }),
        DBusCallError,
        /ServiceUnknown/,
      );
      assert.equal((e as DBusCallError).errorName, "org.freedesktop.DBus.Error.ServiceUnknown");
      // The connection is still good.
      assert.equal((await conn.call({ ...DBUS, member: "GetId" })).body?.length, 1);
    } finally {
      conn.close();
    }
  });
});

Deno.test("against a real dbus-daemon: a{sv} replies decode (GetConnectionCredentials names the daemon's pid)", async () => {
  await withDBusDaemon(async (socket, pid) => {
    const conn = DBusConnection.open(socket, 5000);
    try {
      const reply = await conn.call({
        ...DBUS,
        member: "GetConnectionCredentials",
        signature: "s",
        body: ["org.freedesktop.DBus"],
      });
      assert.equal(reply.signature, "a{sv}");
      const creds = new Map(reply.body?.[0] as [string, Variant][]);
      assert.deepEqual(creds.get("ProcessID"), new Variant("u", pid));
      assert.deepEqual(creds.get("UnixUserID"), new Variant("u", Deno.uid() ?? -1));
    } finally {
      conn.close();
    }
  });
});

Deno.test("against a real dbus-daemon: signal() gets NameAcquired after RequestName", async () => {
  await withDBusDaemon(async (socket) => {
    const conn = DBusConnection.open(socket, 5000);
    try {
      const acquired = conn.signal(
        (m) => m.member === "NameAcquired" && m.body?.[0] === "org.example.PupTest",
        "NameAcquired",
        800,
      );
      const reply = await conn.call({
        ...DBUS,
        member: "RequestName",
        signature: "su",
        body: ["org.example.PupTest", 4], // DO_NOT_QUEUE
      });
      assert.deepEqual(reply.body, [1]); // PRIMARY_OWNER
      const m = await acquired;
      assert.equal(m.sender, "org.freedesktop.DBus");
      assert.equal(m.interface, "org.freedesktop.DBus");
    } finally {
      conn.close();
    }
  });
});

Deno.test("against a real dbus-daemon: a body of every supported type passes the daemon's validation", async () => {
  // The daemon validates every message it receives and disconnects a client that sends a
  // malformed one; a well-formed call with the wrong arguments gets InvalidArgs instead.
  await withDBusDaemon(async (socket) => {
    const conn = DBusConnection.open(socket, 5000);
    try {
      const secret = ["/s", new Uint8Array([1]), new Uint8Array([2, 3]), "text/plain"];
      await assertRejects(
        conn.call({
          ...DBUS,
          member: "GetId",
          signature: "ybuisogayasa{sv}(oayays)a{o(oayays)}vaa{ss}",
          body: [
            255,
            true,
            0xffffffff,
            -1,
            "é😀",
            "/a/b",
            "a{sv}",
            new Uint8Array([0, 255]),
            ["x", ""],
            [["k", new Variant("(oayays)", secret)], ["e", new Variant("a{sv}", [])]],
            secret,
            [["/o/1", secret]],
            new Variant("v", new Variant("as", ["deep"])),
            [[], [["a", "b"]]],
          ],
        }),
        DBusCallError,
        /InvalidArgs/,
      );
      assert.equal((await conn.call({ ...DBUS, member: "GetId" })).body?.length, 1);
    } finally {
      conn.close();
    }
  });
});

// --- deadline and withDeadline ---

Deno.test("deadline() calls back once the time has passed, not before", async () => {
  const start = Date.now();
  let firedAt = 0;
  const fired = new Promise<void>((resolve) =>
    deadline(60, () => {
      firedAt = Date.now();
      resolve();
    })
  );
  await sleep(20);
  assert.equal(firedAt, 0, "fired early");
  await fired;
  assert.ok(firedAt - start >= 55, `fired after ${firedAt - start} ms`);
});

Deno.test("a disarmed deadline() does not fire", async () => {
  let fired = false;
  const disarm = deadline(30, () => fired = true);
  disarm();
  await sleep(80);
  assert.equal(fired, false);
  disarm(); // twice is fine
});

/**
 * Whether a Deno child running `code` (with `deadline` and `withDeadline` imported) exits by
 * itself within `ms`. Deno's sanitizers do not see the timer behind `AbortSignal.timeout`, so
 * a process's exit is the proof that nothing keeps it alive.
 */
async function exitsWithin(code: string, ms: number): Promise<boolean> {
  const module = JSON.stringify(import.meta.resolve("../../lib/platform/deadline.ts"));
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", `import { deadline, withDeadline } from ${module};\n${code}`],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const status = await within(child.status, ms);
  if (status !== "pending") {
    assert.ok("value" in status && status.value.success, `the child failed: ${code}`);
    return true;
  }
  child.kill("SIGKILL");
  await child.status;
  return false;
}

Deno.test("a disarmed deadline() does not keep the process alive; an armed one does", async () => {
  const [disarmed, armed] = await Promise.all([
    exitsWithin("deadline(3_600_000, () => {})();", 10_000),
    exitsWithin("deadline(3_600_000, () => {});", 600),
  ]);
  assert.equal(disarmed, true, "a disarmed hour-long deadline kept the process alive");
  assert.equal(armed, false, "the control: an armed hour-long deadline keeps it alive");
});

Deno.test("withDeadline() leaves nothing keeping the process alive once the work settled", async () => {
  const [resolved, rejected] = await Promise.all([
    exitsWithin(
      "await withDeadline(Promise.resolve(1), 3_600_000, () => new Error('late'));",
      2000,
    ),
    exitsWithin(
      "await withDeadline(Promise.reject(new Error('x')), 3_600_000, () => new Error('late')).catch(() => {});",
      2000,
    ),
  ]);
  assert.equal(resolved, true, "after the work resolved");
  assert.equal(rejected, true, "after the work rejected");
});

Deno.test("withDeadline() resolves with the work's value, without waiting for the time", async () => {
  let timedOut = false;
  const value = await withDeadline(Promise.resolve(42), 3_600_000, () => {
    timedOut = true;
    return new Error("late");
  });
  assert.equal(value, 42);
  assert.equal(timedOut, false);
});

Deno.test("withDeadline() passes the work's rejection through and never calls onTimeout", async () => {
  let timedOut = false;
  await assert.rejects(
    withDeadline(Promise.reject(new Error("work failed")), 3_600_000, () => {
      timedOut = true;
      return new Error("late");
    }),
    /work failed/,
  );
  assert.equal(timedOut, false);
});

Deno.test("withDeadline() rejects with onTimeout's error once the time has passed", async () => {
  const start = Date.now();
  let calls = 0;
  const late = new Error("late");
  await assert.rejects(
    withDeadline(new Promise<never>(() => {}), 40, () => {
      calls++;
      return late;
    }),
    (e) => e === late,
  );
  assert.ok(Date.now() - start >= 35, `after ${Date.now() - start} ms`);
  assert.equal(calls, 1);
});
