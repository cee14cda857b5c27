/**
 * The loopback HTTP server that receives the authorization redirect (SPEC §4.3). It binds
 * once, on `127.0.0.1`, to the first free port of the DCR allowlist (or the pinned one), and
 * hands requests to the pure {@link handleCallbackRequest}. Unlike the Rust `pup` there is no
 * probe-then-rebind window (ref §12 item 13) and a forged request does not end the wait. The
 * HTTP layer (`loopback_http.ts`) survives accept errors such as EMFILE, caps open connections
 * and times out idle ones, so a local flood cannot end or stall the login.
 *
 * @module
 */

import { PupError, UsageError } from "../errors.ts";
import {
  type CallbackOutcome,
  DCR_REDIRECT_PORTS,
  handleCallbackRequest,
  redirectUriFor,
} from "./callback_handler.ts";
import { type LoopbackServer, serveLoopback } from "./loopback_http.ts";

/** Where a pinned callback port came from; named in messages. */
export type CallbackPortSource = "--callback-port" | "PUP_OAUTH_CALLBACK_PORT";

/** Options of {@link startCallbackServer}. */
export interface CallbackServerOptions {
  /** Ports to try in order when none is pinned; default `[8000, 8080, 8888, 9000]`. */
  ports?: readonly number[];
  /** A port chosen by the user: used alone, and failing fast when busy. */
  pinned?: { port: number; source: CallbackPortSource };
  /** This flow's `state`. */
  state: string;
  /** Aborting it closes the server and rejects `outcome` with the signal's reason. */
  signal?: AbortSignal;
}

/** A listening callback server. */
export interface CallbackServer {
  /** The bound port. */
  readonly port: number;
  /** `http://127.0.0.1:<port>/oauth/callback`. */
  readonly redirectUri: string;
  /** Resolves with the first valid callback; the server then stops accepting requests. */
  readonly outcome: Promise<CallbackOutcome>;
  /** Stops the server once in-flight responses are sent; safe to call more than once. */
  close(): Promise<void>;
}

/** No callback port could be bound (exit 1). */
export class CallbackPortError extends PupError {
  constructor(message: string, options?: ErrorOptions) {
    super("CALLBACK_PORT_UNAVAILABLE", message, options);
  }
}

const PORT_LIST = `[${DCR_REDIRECT_PORTS.join(", ")}]`;

/**
 * Validates a pinned callback port (`--callback-port` or `PUP_OAUTH_CALLBACK_PORT`) with the
 * Rust `pup`'s rules and messages (ref §7.1): a decimal `u16`, not 0, one of the four ports
 * registered with DCR. The caller treats an empty environment value as unset.
 *
 * @param value the text as given
 * @param source where it came from
 * @returns the port
 * @throws {UsageError} when it is not a number, is 0 or is not in the allowlist
 * @see RFC 8252 §7.3, RFC 7591 §2 (redirect_uris)
 */
export function parseCallbackPort(value: string, source: CallbackPortSource): number {
  let problem: string | undefined;
  if (value === "") problem = "cannot parse integer from empty string";
  else if (!/^\+?[0-9]+$/.test(value)) problem = "invalid digit found in string";
  else if (Number(value) > 65535) problem = "number too large to fit in target type";
  if (problem !== undefined) {
    throw new UsageError(
      `Invalid ${source}=${JSON.stringify(value)}: ${problem} (expected one of ${PORT_LIST})`,
    );
  }
  const port = Number(value);
  if (!DCR_REDIRECT_PORTS.includes(port)) {
    throw new UsageError(
      `${source} value ${port} is not in the DCR redirect allowlist ${PORT_LIST}; ` +
        "the OAuth server will reject any other port",
    );
  }
  return port;
}

// The OS error in fixed words: the runtime's own text ("(os error 98)") is not for users.
function bindFailure(e: unknown): string {
  if (e instanceof Deno.errors.AddrInUse) return "address already in use";
  if (e instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (e instanceof Deno.errors.AddrNotAvailable) return "address not available";
  return "the operating system refused to listen there";
}

/**
 * Starts the callback server: binds `127.0.0.1` once, on the pinned port or the first port
 * of `ports` that is free, and serves until the first valid callback or `close()`.
 *
 * @param opts ports, pinning, the flow's state and an abort signal
 * @returns the listening server
 * @throws {CallbackPortError} when the pinned port, or every port, cannot be bound
 * @see RFC 8252 §7.3 (loopback redirect; bind to the loopback address, not `localhost`)
 */
export function startCallbackServer(opts: CallbackServerOptions): Promise<CallbackServer> {
  try {
    return Promise.resolve(listen(opts));
  } catch (e) {
    return Promise.reject(e);
  }
}

// Binding is synchronous in Deno; the async signature leaves room for e.g. an IPv6 listener.
function listen(opts: CallbackServerOptions): CallbackServer {
  opts.signal?.throwIfAborted();
  let settle!: { resolve(o: CallbackOutcome): void; reject(e: unknown): void };
  const outcome = new Promise<CallbackOutcome>((resolve, reject) => {
    settle = { resolve, reject };
  });
  // A caller that closes early without awaiting `outcome` must not see an unhandled rejection.
  outcome.catch(() => {});
  let decided = false;
  let port = 0;
  let closing: Promise<void> | undefined;

  const handler = (req: Request): Response => {
    if (decided) {
      return new Response("This login has already finished.\n", {
        status: 410,
        headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" },
      });
    }
    const { response, outcome: result } = handleCallbackRequest(req, { port, state: opts.state });
    if (result) {
      decided = true;
      settle.resolve(result);
      // Graceful: the response being returned is still sent; new connections are refused.
      void close();
    }
    return response;
  };

  const candidates = opts.pinned ? [opts.pinned.port] : [...(opts.ports ?? DCR_REDIRECT_PORTS)];
  const failures: string[] = [];
  let server: LoopbackServer | undefined;
  for (const candidate of candidates) {
    try {
      server = serveLoopback({ hostname: "127.0.0.1", port: candidate, handler });
      break;
    } catch (e) {
      // A refused --allow-net is a setup error, not a busy port.
      if (e instanceof Deno.errors.NotCapable) throw e;
      failures.push(`${candidate}: ${bindFailure(e)}`);
      if (opts.pinned) {
        throw new CallbackPortError(
          `Could not bind requested callback port ${candidate}: ${bindFailure(e)}. ` +
            `Pick an unused port or ${
              opts.pinned.source === "--callback-port"
                ? "omit --callback-port"
                : "unset PUP_OAUTH_CALLBACK_PORT"
            } to scan ${PORT_LIST}.`,
          { cause: e },
        );
      }
    }
  }
  if (!server) {
    throw new CallbackPortError(
      `Could not bind to any DCR redirect port (${PORT_LIST}): ${failures.join("; ")}. ` +
        "Stop what is listening on one of them (another 'pup auth login'?) and try again, " +
        "or pin one that is free with --callback-port.",
    );
  }
  const bound = server;
  port = bound.port;

  function close(): Promise<void> {
    closing ??= bound.close().then(() => {
      opts.signal?.removeEventListener("abort", onAbort);
      if (!decided) {
        decided = true;
        settle.reject(new Error("The callback server was closed before a callback arrived"));
      }
    });
    return closing;
  }
  function onAbort(): void {
    if (!decided) {
      decided = true;
      settle.reject(opts.signal?.reason);
    }
    void close();
  }
  opts.signal?.addEventListener("abort", onAbort, { once: true });

  return { port, redirectUri: redirectUriFor(port), outcome, close };
}
