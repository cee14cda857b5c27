/**
 * Sending one Datadog API request: a timeout on every attempt, no redirects followed (so
 * credentials never reach another host), bounded retries on 429 (honouring `Retry-After`)
 * and on 5xx for idempotent methods, and a bounded read of the answer. Judging the answer is
 * `api_response.ts`'s job (DESIGN rule 1).
 *
 * @module
 */

import type { Deps } from "../deps.ts";
import { ApiError, InterruptedError } from "../errors.ts";
import { networkErrorKind } from "../network_error.ts";
import { deadline } from "../platform/deadline.ts";
import { type ApiBody, readApiBody } from "./api_response.ts";

/** Per-attempt timeout when the caller names none. */
export const DEFAULT_TIMEOUT_MS = 30_000;
/** Retries after the first attempt, for 429 and retryable 5xx answers. */
export const MAX_RETRIES = 3;
/** The longest pup waits before a retry; a longer `Retry-After` ends the call instead. */
export const MAX_RETRY_WAIT_MS = 60_000;
/** Back-off before retry n (1-based) when the server gives no `Retry-After`. */
export const BACKOFF_MS: readonly number[] = [1_000, 2_000, 4_000];

const IDEMPOTENT = new Set(["GET", "HEAD", "PUT", "DELETE", "OPTIONS"]);

/** One request as it goes on the wire. */
export interface HttpRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  /** A JSON text, for methods that carry a body. */
  body?: string;
}

/** How patient to be. */
export interface HttpOptions {
  /** Per-attempt timeout in milliseconds (connect, headers and body). */
  timeoutMs?: number;
  /** Retries after the first attempt; `MAX_RETRIES` by default. */
  maxRetries?: number;
  /**
   * `-v`: told each request line (method and URL, which never hold a credential) and each
   * answer's status with its rate-limit headers. Header values of requests are never passed.
   */
  trace?: (line: string) => void;
}

/** Answer headers `-v` shows: Datadog's rate-limit family and Retry-After. */
const TRACED_HEADERS = /^(x-ratelimit-[a-z-]+|retry-after)$/;

type HttpDeps = Pick<Deps, "fetch" | "clock" | "interrupt">;

/**
 * Parses a `Retry-After` value.
 *
 * @param value the header: delay seconds or an HTTP date
 * @param nowMs the current time
 * @returns milliseconds to wait (0 for a date in the past), or `undefined` when absent or
 *   not understood
 * @see RFC 9110 §10.2.3
 */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const date = Date.parse(v);
  if (!/[a-z]/i.test(v) || Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

/**
 * Sends a request, retrying as described in the module doc, and reads the final answer.
 *
 * @param deps fetch, the clock for waits, and the interrupt signal
 * @param req the request
 * @param opts timeout and retry bound
 * @returns the last answer read (any status but 3xx)
 * @throws {ApiError} for a redirect, an unreachable host or a timeout, naming the host
 * @throws {InterruptedError} when the user pressed Ctrl-C
 * @see RFC 9110 §9.2.2 (idempotent methods), §15.4 (redirects); RFC 6585 §4 (429)
 */
export async function sendWithRetries(
  deps: HttpDeps,
  req: HttpRequest,
  opts: HttpOptions = {},
): Promise<ApiBody> {
  const maxRetries = opts.maxRetries ?? MAX_RETRIES;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  for (let attempt = 0;; attempt++) {
    const body = await sendOnce(deps, req, timeoutMs, opts.trace);
    const retryable = body.status === 429 ||
      (body.status >= 500 && IDEMPOTENT.has(req.method.toUpperCase()));
    if (!retryable || attempt >= maxRetries) return body;
    const asked = parseRetryAfter(body.retryAfter ?? null, deps.clock.now());
    const wait = asked ?? BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)];
    if (wait > MAX_RETRY_WAIT_MS) return body;
    await sleep(deps, wait);
  }
}

async function sleep(deps: HttpDeps, ms: number): Promise<void> {
  try {
    await deps.clock.sleep(ms, deps.interrupt);
  } catch {
    throw new InterruptedError();
  }
}

function where(req: HttpRequest): { host: string; what: string } {
  const url = new URL(req.url);
  return { host: url.host, what: `${req.method.toUpperCase()} ${url.pathname}` };
}

async function sendOnce(
  deps: HttpDeps,
  req: HttpRequest,
  timeoutMs: number,
  trace?: (line: string) => void,
): Promise<ApiBody> {
  const { host, what } = where(req);
  if (deps.interrupt.aborted) throw new InterruptedError();
  const controller = new AbortController();
  const disarm = deadline(
    timeoutMs,
    () => controller.abort(new DOMException("timed out", "TimeoutError")),
  );
  const onInterrupt = () => controller.abort(new InterruptedError());
  deps.interrupt.addEventListener("abort", onInterrupt, { once: true });
  const started = deps.clock.now();
  trace?.(`> ${req.method.toUpperCase()} ${req.url}`);
  try {
    let res: Response;
    try {
      res = await deps.fetch(req.url, {
        method: req.method.toUpperCase(),
        headers: req.headers,
        body: req.body,
        redirect: "manual",
        signal: controller.signal,
      });
    } catch (e) {
      throw networkError(e, controller.signal, { host, what, timeoutMs });
    }
    if (trace) {
      const limits = [...res.headers].filter(([k]) => TRACED_HEADERS.test(k))
        .map(([k, v]) => `${k}: ${v}`);
      trace(
        `< ${res.status} in ${deps.clock.now() - started} ms${
          limits.length ? ` (${limits.join(", ")})` : ""
        }`,
      );
    }
    if (res.status >= 300 && res.status < 400) {
      await res.body?.cancel().catch(() => {});
      throw redirectError(res, { host, what });
    }
    const body = await readApiBody(res);
    if (body.truncated && controller.signal.aborted) {
      throw networkError(controller.signal.reason, controller.signal, { host, what, timeoutMs });
    }
    return body;
  } finally {
    disarm();
    deps.interrupt.removeEventListener("abort", onInterrupt);
  }
}

function redirectError(res: Response, ctx: { host: string; what: string }): ApiError {
  const location = res.headers.get("location");
  let target = "an unnamed location";
  if (location !== null) {
    try {
      target = `"${new URL(location, `https://${ctx.host}/`).host}"`;
    } catch {
      target = "an invalid location";
    }
  }
  return new ApiError(
    `${ctx.what} on "${ctx.host}" was redirected to ${target} (HTTP ${res.status}); pup does not follow redirects, so no credentials were sent there. Check the site (DD_SITE or sessions.json) and PUP_MOCK_SERVER, then try again`,
    { status: res.status },
  );
}

/** Why a fetch failed, in words a person can act on; never the raw error object. */
function networkError(
  e: unknown,
  signal: AbortSignal,
  ctx: { host: string; what: string; timeoutMs: number },
): Error {
  if (signal.aborted && signal.reason instanceof InterruptedError) return signal.reason;
  if (e instanceof InterruptedError) return e;
  const next =
    "Check your network connection, proxy settings and the site (DD_SITE), then try again";
  if (signal.aborted) {
    return new ApiError(
      `${ctx.what} to "${ctx.host}" timed out: no complete answer within ${
        formatMs(ctx.timeoutMs)
      }. ${next}`,
      { cause: e },
    );
  }
  const reason = networkErrorKind(e);
  return new ApiError(`Cannot reach "${ctx.host}" for ${ctx.what}: ${reason}. ${next}`, {
    cause: e,
  });
}

function formatMs(ms: number): string {
  return ms >= 1000 && ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
