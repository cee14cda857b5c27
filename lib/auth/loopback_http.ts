/**
 * A minimal HTTP/1.1 server for the loopback callback, on `Deno.listen`. `Deno.serve` has no
 * hook for accept errors (at `ulimit -n` its `Too many open files` killed a waiting login), no
 * cap on connections and no timeout for a request head that never completes; this one has all
 * three. It reads one request head per connection (no body: the callback is a GET), hands a
 * `Request` to the handler, writes the answer with `Connection: close`, and closes.
 *
 * @module
 */

/** Limits of {@link serveLoopback}; the defaults suit the callback. */
export interface LoopbackLimits {
  /** Connections held open at once; the oldest is dropped for a new one. Default 32. */
  maxConnections?: number;
  /** A request head must arrive within this many ms. Default 10 s. */
  headTimeoutMs?: number;
  /** Largest request head in bytes; bigger ones get 431. Default 16 KiB. */
  maxHeadBytes?: number;
}

/** A running loopback server. */
export interface LoopbackServer {
  /** The bound port. */
  readonly port: number;
  /** Stops accepting, closes every open connection. Safe to call twice. */
  close(): Promise<void>;
}

const encoder = new TextEncoder();

/**
 * Binds `hostname:port` and serves until `close()`.
 *
 * @param opts where to bind, the handler, and limits
 * @returns the server
 * @throws what `Deno.listen` throws (e.g. `AddrInUse`)
 */
export function serveLoopback(
  opts: { hostname: string; port: number; handler: (req: Request) => Response } & LoopbackLimits,
): LoopbackServer {
  const listener = Deno.listen({ hostname: opts.hostname, port: opts.port, transport: "tcp" });
  const port = (listener.addr as Deno.NetAddr).port;
  const maxConnections = opts.maxConnections ?? 32;
  const headTimeoutMs = opts.headTimeoutMs ?? 10_000;
  const maxHeadBytes = opts.maxHeadBytes ?? 16 * 1024;
  const open = new Set<Deno.Conn>();
  let closed = false;

  const drop = (conn: Deno.Conn) => {
    if (!open.delete(conn)) return;
    try {
      conn.close();
    } catch { /* already closed */ }
  };
  const dropOldest = () => {
    const oldest = open.values().next().value;
    if (oldest) drop(oldest);
  };

  const acceptLoop = async () => {
    let backoff = 10;
    while (!closed) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
        backoff = 10;
      } catch (e) {
        if (closed || e instanceof Deno.errors.BadResource) return;
        // Out of descriptors (EMFILE) or a connection reset before accept: free one, wait a
        // little, and keep serving. The login must outlive a local flood.
        dropOldest();
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 500);
        continue;
      }
      if (closed) {
        conn.close();
        return;
      }
      if (open.size >= maxConnections) dropOldest();
      open.add(conn);
      void serveOne(conn).finally(() => drop(conn));
    }
  };

  const serveOne = async (conn: Deno.Conn) => {
    const timer = setTimeout(() => drop(conn), headTimeoutMs);
    try {
      const head = await readHead(conn, maxHeadBytes);
      if (head === undefined) return;
      const response = head === "too large"
        ? new Response("Bad Request\n", { status: 400 })
        : toResponse(head, opts.handler);
      const version = head !== "too large" && / HTTP\/1\.0\r?$/m.test(head.split("\n")[0])
        ? "1.0"
        : "1.1";
      await writeResponse(conn, response, version);
    } catch {
      // A peer that resets or a connection dropped for a newer one: nothing to answer.
    } finally {
      clearTimeout(timer);
    }
  };

  void acceptLoop();
  let closing: Promise<void> | undefined;
  return {
    port,
    close() {
      closing ??= (async () => {
        closed = true;
        try {
          listener.close();
        } catch { /* already closed */ }
        // Let answers already being written go out before the sockets close.
        await new Promise((r) => setTimeout(r, 0));
        for (const c of [...open]) drop(c);
      })();
      return closing;
    },
  };
}

/** Reads up to the blank line; `undefined` when the peer went away first. */
async function readHead(conn: Deno.Conn, max: number): Promise<string | undefined | "too large"> {
  const buf = new Uint8Array(max + 4);
  let len = 0;
  while (true) {
    const n = await conn.read(buf.subarray(len));
    if (n === null) return undefined;
    len += n;
    const text = new TextDecoder("latin1").decode(buf.subarray(0, len));
    const end = text.indexOf("\r\n\r\n");
    if (end >= 0) return text.slice(0, end);
    const lfEnd = text.indexOf("\n\n");
    if (lfEnd >= 0) return text.slice(0, lfEnd);
    if (len >= max) return "too large";
  }
}

function toResponse(head: string, handler: (req: Request) => Response): Response {
  const lines = head.split(/\r?\n/);
  const m = /^([A-Z]+) (\S+) HTTP\/1\.[01]$/.exec(lines[0] ?? "");
  if (!m) return new Response("Bad Request\n", { status: 400 });
  const [, method, target] = m;
  const headers = new Headers();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon <= 0) return new Response("Bad Request\n", { status: 400 });
    try {
      headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
    } catch {
      return new Response("Bad Request\n", { status: 400 });
    }
  }
  // Only origin-form targets: an absolute URL naming any host is not a loopback redirect.
  if (!target.startsWith("/") || target.startsWith("//")) {
    return new Response("Bad Request\n", { status: 400 });
  }
  let url: URL;
  try {
    url = new URL(target, "http://127.0.0.1");
  } catch {
    return new Response("Bad Request\n", { status: 400 });
  }
  // The handler checks the Host header itself; the URL's host is never trusted.
  const init: RequestInit = { method: method === "CONNECT" ? "GET" : method, headers };
  if (method === "CONNECT" || method === "TRACE") {
    return new Response("Method Not Allowed\n", { status: 405 });
  }
  let req: Request;
  try {
    req = new Request(url, init);
  } catch {
    return new Response("Bad Request\n", { status: 400 });
  }
  return handler(req);
}

const REASONS: Record<number, string> = {
  200: "OK",
  400: "Bad Request",
  404: "Not Found",
  405: "Method Not Allowed",
  410: "Gone",
  414: "URI Too Long",
};

async function writeResponse(conn: Deno.Conn, res: Response, version: string): Promise<void> {
  const body = new Uint8Array(await res.arrayBuffer());
  const reason = Object.hasOwn(REASONS, res.status) ? REASONS[res.status] : "Status";
  let head = `HTTP/${version} ${res.status} ${reason}\r\n`;
  res.headers.forEach((v, k) => {
    if (k !== "content-length" && k !== "connection") head += `${k}: ${v}\r\n`;
  });
  head += `content-length: ${body.length}\r\nconnection: close\r\n\r\n`;
  const bytes = new Uint8Array([...encoder.encode(head), ...body]);
  let written = 0;
  while (written < bytes.length) written += await conn.write(bytes.subarray(written));
}
