/**
 * A small D-Bus client over the session bus's Unix socket: authentication (`EXTERNAL`, the
 * identity taken from the socket's credentials), method calls with replies matched by serial,
 * and signals. Enough for the Secret Service (`lib/storage/secret_service_api.ts`); written here
 * rather than loaded (libsecret, libdbus) because loading GLib and libsecret alone cost more than
 * pup's whole start-up budget (docs/architecture.md, "The Secret Service over D-Bus").
 *
 * Calls are pipelined: `call()` writes at once and returns a promise, so a caller can send a
 * session, two searches and the bus's `Hello` in one write and wait once. Every wait has a
 * timeout, after which the connection is closed; nothing here blocks the process.
 *
 * @see https://dbus.freedesktop.org/doc/dbus-specification.html
 * @module
 */

import { deadline, withDeadline } from "./deadline.ts";
import {
  decodeMessage,
  encodeMessage,
  type Message,
  messageLength,
  MessageType,
} from "./dbus_wire.ts";

/** The bus cannot be reached or refused us: for the Secret Service, "absent". */
export class DBusUnavailableError extends Error {
  /** @param message why, for a human */
  constructor(message: string) {
    super(message);
    this.name = "DBusUnavailableError";
  }
}

/** The peer answered a call with a D-Bus error. */
export class DBusCallError extends Error {
  /**
   * @param errorName e.g. `org.freedesktop.DBus.Error.ServiceUnknown`
   * @param message the error's text, if it sent one
   */
  constructor(readonly errorName: string, message: string) {
    super(message ? `${errorName}: ${message}` : errorName);
    this.name = "DBusCallError";
  }
}

/** A call or a wait outlived its timeout; the connection was closed. */
export class DBusTimeoutError extends Error {
  /** @param message what did not finish, and within how long */
  constructor(message: string) {
    super(message);
    this.name = "DBusTimeoutError";
  }
}

/**
 * The Unix socket of the session bus: `DBUS_SESSION_BUS_ADDRESS` (its first `unix:path=`
 * entry), else `$XDG_RUNTIME_DIR/bus` as libdbus and GDBus do.
 *
 * @param address `DBUS_SESSION_BUS_ADDRESS`
 * @param runtimeDir `XDG_RUNTIME_DIR`
 * @returns the socket path, or why there is none
 */
export function sessionBusSocket(
  address: string | undefined,
  runtimeDir: string | undefined,
): { path: string } | { reason: string } {
  if (address === undefined || address === "") {
    if (runtimeDir) return { path: `${runtimeDir}/bus` };
    return { reason: "DBUS_SESSION_BUS_ADDRESS and XDG_RUNTIME_DIR are not set" };
  }
  const kinds: string[] = [];
  for (const entry of address.split(";")) {
    const colon = entry.indexOf(":");
    if (colon < 0) continue;
    const transport = entry.slice(0, colon);
    kinds.push(transport);
    if (transport !== "unix") continue;
    for (const pair of entry.slice(colon + 1).split(",")) {
      const eq = pair.indexOf("=");
      if (eq > 0 && pair.slice(0, eq) === "path") {
        return { path: unescapeAddress(pair.slice(eq + 1)) };
      }
    }
  }
  return {
    reason: `DBUS_SESSION_BUS_ADDRESS ("${
      address.slice(0, 100)
    }") has no unix:path= entry, the only kind pup connects to`,
  };
}

/** Address values escape bytes as `%xx` (D-Bus Specification, "Server Addresses"). */
function unescapeAddress(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** A wait for a signal. */
interface SignalListener {
  match: (m: Message) => boolean;
  resolve: (m: Message) => void;
  reject: (e: Error) => void;
}

/** A call waiting for its reply. */
interface Pending {
  resolve: (m: Message) => void;
  reject: (e: Error) => void;
  /** `interface.member`, for a timeout message. */
  what: string;
  /** Settles (never rejects) once the call has its answer or failed. */
  settled: Promise<unknown>;
}

const AUTH_LINES = new TextEncoder().encode("\0AUTH EXTERNAL\r\nDATA\r\nBEGIN\r\n");

/**
 * One connection to a bus. Everything sent before the socket is connected, or within one
 * tick, goes out in one write: the authentication, `Hello` and the caller's first calls
 * reach the bus together.
 *
 * One watchdog per connection rather than a timer per call (each costs start-up time): the
 * connection fails with `DBusTimeoutError` once `timeoutMs` have passed since it opened, or
 * since the last `signal` wait ended; while signal waits (a prompt the user answers) run, they
 * have their own deadlines and the watchdog waits.
 */
export class DBusConnection {
  readonly #socketPath: string;
  readonly #timeoutMs: number;
  readonly #connected: Promise<Deno.UnixConn | undefined>;
  readonly #pending = new Map<number, Pending>();
  readonly #listeners = new Set<SignalListener>();
  #serial = 0;
  #outbox: Uint8Array[] = [];
  #flushing = false;
  #closed?: Error;
  #authenticated = false;
  /** Signal waits running now; the watchdog leaves the connection alone while there are any. */
  #waits = 0;
  /** When the watchdog fails the connection (epoch ms). */
  #expiresAt: number;
  #disarm: () => void;

  private constructor(socketPath: string, timeoutMs: number) {
    this.#socketPath = socketPath;
    this.#timeoutMs = timeoutMs;
    this.#expiresAt = Date.now() + timeoutMs;
    this.#disarm = deadline(timeoutMs, () => this.#watchdog());
    this.#connected = this.#connect();
  }

  /**
   * Starts connecting, authenticating and saying `Hello`; returns at once, so the caller's
   * first calls travel in the same write.
   *
   * @param socketPath the bus's Unix socket (see {@link sessionBusSocket})
   * @param timeoutMs how long the connection's calls may take, together
   * @returns the connection (a failure to connect rejects its calls with
   *   `DBusUnavailableError`)
   */
  static open(socketPath: string, timeoutMs: number): DBusConnection {
    const bus = new DBusConnection(socketPath, timeoutMs);
    bus.#send(AUTH_LINES);
    // The bus's reply to Hello (our unique name) is not needed; its failure shows on the
    // next call, since the bus then closes the connection.
    bus.call({
      destination: "org.freedesktop.DBus",
      path: "/org/freedesktop/DBus",
      interface: "org.freedesktop.DBus",
      member: "Hello",
    }).catch(() => {});
    return bus;
  }

  /**
   * Calls a method; the request is written at once, in order with earlier calls.
   *
   * @param m destination, path, interface, member, and the body with its signature
   * @returns the reply (its `body` holds the out-arguments)
   * @throws DBusCallError when the peer answers with an error
   * @throws DBusTimeoutError when the connection's time is up
   * @throws DBusUnavailableError when the connection is lost or authentication fails
   */
  call(m: Omit<Message, "type" | "serial">): Promise<Message> {
    if (this.#closed) return Promise.reject(this.#closed);
    const serial = ++this.#serial;
    const bytes = encodeMessage({ ...m, type: MessageType.METHOD_CALL, serial });
    let settle!: Pick<Pending, "resolve" | "reject">;
    const reply = new Promise<Message>((resolve, reject) => (settle = { resolve, reject }));
    const what = `${m.interface}.${m.member}`;
    this.#pending.set(serial, { ...settle, what, settled: reply.catch(() => {}) });
    this.#send(bytes);
    return reply;
  }

  /**
   * Waits for a signal that `match` accepts, for up to `timeoutMs` (the connection's watchdog
   * waits while it runs, and gives the calls after it the whole connection timeout again).
   * Subscribe on the bus (`AddMatch`) before the action that causes it.
   *
   * @param match picks the signal
   * @param what names it in a timeout message
   * @param timeoutMs how long to wait
   */
  signal(match: (m: Message) => boolean, what: string, timeoutMs: number): Promise<Message> {
    if (this.#closed) return Promise.reject(this.#closed);
    let listener!: SignalListener;
    const got = new Promise<Message>((resolve, reject) => {
      listener = { match, resolve, reject };
      this.#listeners.add(listener);
    });
    this.#waits++;
    return withDeadline(got, timeoutMs, () => {
      const e = new DBusTimeoutError(`${what} got no answer within ${timeoutMs / 1000} s`);
      this.#fail(e);
      return e;
    }).finally(() => {
      this.#listeners.delete(listener);
      this.#waits--;
      // The calls after a wait get the connection's whole timeout again.
      this.#expiresAt = Math.max(this.#expiresAt, Date.now() + this.#timeoutMs);
    });
  }

  /**
   * Waits until every call made so far has its reply (or the connection failed), then closes
   * the socket. gnome-keyring aborts when it finishes a request for a client that has already
   * disconnected (gkd_secret_service_get_pkcs11_session: assertion 'client' failed), so pup
   * never hangs up on a request in flight. Bounded by the connection's watchdog.
   */
  async drainAndClose(): Promise<void> {
    const inFlight = [...this.#pending.values()].map((p) => p.settled);
    await Promise.all(inFlight);
    this.close();
  }

  /** Closes the socket at once; pending calls fail. Safe to call twice. */
  close(): void {
    this.#fail(new DBusUnavailableError("the D-Bus connection was closed"));
  }

  #watchdog(): void {
    if (this.#closed) return;
    const left = this.#expiresAt - Date.now();
    if (this.#waits > 0 || left > 0) {
      // A signal wait has its own deadline; after it, the connection's time runs again.
      this.#disarm = deadline(this.#waits > 0 ? this.#timeoutMs : left, () => this.#watchdog());
      return;
    }
    const waiting = [...this.#pending.values()].find((p) => !p.what.endsWith(".Hello"));
    this.#fail(
      new DBusTimeoutError(
        `${waiting?.what ?? "the D-Bus exchange"} got no answer within ${this.#timeoutMs / 1000} s`,
      ),
    );
  }

  async #connect(): Promise<Deno.UnixConn | undefined> {
    let conn: Deno.UnixConn;
    try {
      conn = await Deno.connect({ transport: "unix", path: this.#socketPath });
    } catch (e) {
      if (e instanceof Deno.errors.NotCapable) throw e;
      this.#fail(
        new DBusUnavailableError(
          `cannot connect to the session bus at ${this.#socketPath}: ${message(e)}`,
        ),
      );
      return undefined;
    }
    if (this.#closed) {
      conn.close();
      return undefined;
    }
    this.#readLoop(conn);
    return conn;
  }

  #send(bytes: Uint8Array): void {
    this.#outbox.push(bytes);
    if (this.#flushing) return;
    this.#flushing = true;
    // After this tick's sends have joined the outbox.
    Promise.resolve().then(() => this.#flush());
  }

  async #flush(): Promise<void> {
    const conn = await this.#connected.catch(() => undefined);
    try {
      while (this.#outbox.length > 0 && conn && !this.#closed) {
        const bytes = concat(this.#outbox);
        this.#outbox = [];
        for (let done = 0; done < bytes.length;) {
          done += await conn.write(bytes.subarray(done));
        }
      }
    } catch (e) {
      this.#fail(new DBusUnavailableError(`writing to the session bus failed: ${message(e)}`));
    } finally {
      this.#flushing = false;
    }
  }

  #fail(e: Error): void {
    if (this.#closed) return;
    this.#closed = e;
    this.#disarm();
    for (const p of [...this.#pending.values(), ...this.#listeners]) p.reject(e);
    this.#pending.clear();
    this.#listeners.clear();
    this.#outbox = [];
    this.#connected.then((conn) => {
      try {
        conn?.close();
      } catch {
        // already closed
      }
    }, () => {});
  }

  async #readLoop(conn: Deno.UnixConn): Promise<void> {
    let buf: Uint8Array = new Uint8Array(0);
    const chunk = new Uint8Array(64 * 1024);
    try {
      while (!this.#closed) {
        const n = await conn.read(chunk);
        if (n === null) throw new DBusUnavailableError("the session bus closed the connection");
        buf = buf.length === 0 ? chunk.slice(0, n) : concat([buf, chunk.subarray(0, n)]);
        if (!this.#authenticated) {
          buf = this.#readAuthLines(buf);
          if (!this.#authenticated) continue;
        }
        let at = 0;
        for (;;) {
          const length = messageLength(buf.subarray(at));
          if (length === undefined || buf.length - at < length) break;
          this.#dispatch(decodeMessage(buf.subarray(at, at + length)));
          at += length;
        }
        buf = buf.slice(at);
      }
    } catch (e) {
      if (this.#closed) return;
      this.#fail(
        e instanceof DBusUnavailableError
          ? e
          : new DBusUnavailableError(`reading from the session bus failed: ${message(e)}`),
      );
    }
  }

  /** Consumes the server's auth lines (`DATA`, then `OK <guid>`); returns what follows. */
  #readAuthLines(buf: Uint8Array): Uint8Array {
    for (;;) {
      const end = buf.indexOf(0x0a);
      if (end < 0) {
        if (buf.length > 4096) throw new DBusUnavailableError("the bus sent an overlong auth line");
        return buf;
      }
      // The auth protocol is ASCII.
      const line = String.fromCharCode(...buf.subarray(0, end)).replace(/\r$/, "");
      buf = buf.subarray(end + 1);
      if (line.startsWith("OK ")) {
        this.#authenticated = true;
        return buf;
      }
      if (line === "DATA" || line.startsWith("DATA ")) continue;
      throw new DBusUnavailableError(
        `the session bus refused authentication ("${line.slice(0, 100)}")`,
      );
    }
  }

  #dispatch(m: Message): void {
    if (m.type === MessageType.SIGNAL) {
      for (const listener of [...this.#listeners]) {
        if (!listener.match(m)) continue;
        this.#listeners.delete(listener);
        listener.resolve(m);
      }
      return;
    }
    if (m.replySerial === undefined) return; // a call to us: pup offers no methods
    const pending = this.#pending.get(m.replySerial);
    if (pending === undefined) return;
    this.#pending.delete(m.replySerial);
    if (m.type === MessageType.ERROR) {
      const text = typeof m.body?.[0] === "string" ? m.body[0] : "";
      pending.reject(new DBusCallError(m.errorName ?? "unknown error", text));
    } else {
      pending.resolve(m);
    }
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function message(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0];
}
