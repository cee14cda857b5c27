/**
 * The loopback redirect endpoint as a pure function from `Request` to `Response` (SPEC §4.3).
 * It is the only place that checks a callback's `state`, and the only maker of a
 * {@link ValidatedCallback}, the one thing the token exchange accepts (DESIGN rule 3).
 *
 * Unlike the Rust `pup` (ref §12 item 13), a request with a missing or wrong `state` does not
 * end the login: it gets a 400 page and the server keeps waiting, so a local process or web
 * page that hits the port cannot abort or hijack the flow.
 *
 * @module
 */

import { cleanText as clean } from "../sanitize.ts";
import { errorPage, rejectedPage, successPage } from "./callback_page.ts";
import { isUuid } from "./uuid.ts";

/** The redirect path, matched exactly. */
export const CALLBACK_PATH = "/oauth/callback";

/** The loopback ports registered with DCR, scanned in this order (ref §7.1). */
export const DCR_REDIRECT_PORTS: readonly number[] = Object.freeze([8000, 8080, 8888, 9000]);

/** Longest query string accepted, in bytes of the URL; a real callback is far shorter. */
export const MAX_QUERY_LENGTH = 8192;

/**
 * The redirect URI for a loopback port.
 *
 * @param port the callback server's port
 * @returns `http://127.0.0.1:<port>/oauth/callback`
 * @see RFC 8252 §7.3 (loopback interface redirection)
 */
export function redirectUriFor(port: number): string {
  return `http://127.0.0.1:${port}${CALLBACK_PATH}`;
}

declare const validatedBrand: unique symbol;

/**
 * A callback whose `state` matched and which carries a `code`. Only this module makes one;
 * field names mirror the callback's query parameters.
 */
export interface ValidatedCallback {
  readonly [validatedBrand]: true;
  /** The authorization code. */
  readonly code: string;
  /** The `state`, equal to the flow's. */
  readonly state: string;
  /** The org UUID, kept only when it is UUID-shaped (ref §7.2). */
  readonly dd_oid?: string;
  /** The org's display name. */
  readonly dd_org_name?: string;
  /** The Datadog host the user picked in the browser (ref §4.5); not validated here. */
  readonly domain?: string;
  /** The site as a full URL, shown on the success page. */
  readonly site?: string;
}

/** How a login's callback ended: a code to exchange, or the server's error. */
export type CallbackOutcome =
  | { kind: "code"; callback: ValidatedCallback }
  | { kind: "error"; error: string; description?: string };

/** A callback that must be ignored: the flow keeps waiting. */
export interface CallbackRejection {
  kind: "rejected";
  /** Why, in a few fixed words (never request data). */
  reason: string;
  /** The `state` was missing, repeated or wrong (rather than the request ambiguous). */
  badState: boolean;
}

const minted = new WeakSet<object>();

/**
 * Whether a value is a callback this module validated (not a look-alike object).
 *
 * @param value anything
 * @returns true only for objects made by {@link validateCallbackParams}
 * @see RFC 6749 §10.12
 */
export function isValidatedCallback(value: unknown): value is ValidatedCallback {
  return typeof value === "object" && value !== null && minted.has(value);
}

/**
 * Judges a callback's query parameters against the flow's `state`. Shared by the HTTP handler
 * and the paste fallback (`paste.ts`); not meant for other callers.
 *
 * - `state` missing, repeated or different (compared in constant time): rejected.
 * - `code` or `error` repeated: rejected (ambiguous).
 * - `error` present: an error outcome with the server's `error` and `error_description`.
 * - `code` present: a code outcome with a {@link ValidatedCallback}.
 * - neither: an error outcome (`invalid_request`), since the right `state` means it came from
 *   the authorization server and waiting longer would not help.
 *
 * @param params the callback's query parameters
 * @param expectedState this flow's `state`
 * @returns the outcome, or a rejection
 * @see RFC 6749 §4.1.2 and §4.1.2.1, §10.12; RFC 9700 §4.7 (CSRF)
 */
export function validateCallbackParams(
  params: URLSearchParams,
  expectedState: string,
): CallbackOutcome | CallbackRejection {
  const states = params.getAll("state");
  if (states.length === 0) {
    return { kind: "rejected", reason: "it has no state parameter", badState: true };
  }
  if (states.length > 1 || !constantTimeEqual(states[0], expectedState)) {
    return {
      kind: "rejected",
      reason: "its state parameter does not match this login",
      badState: true,
    };
  }
  if (params.getAll("code").length > 1 || params.getAll("error").length > 1) {
    return { kind: "rejected", reason: "it repeats the code or error parameter", badState: false };
  }
  const error = params.get("error");
  if (error) {
    const description = cleanText(params.get("error_description"));
    return { kind: "error", error: cleanText(error) ?? "unknown_error", description };
  }
  const code = params.get("code");
  if (!code) {
    return {
      kind: "error",
      error: "invalid_request",
      description: "The callback carried neither an authorization code nor an error",
    };
  }
  const callback: Record<string, string> = { code, state: states[0] };
  const oid = params.get("dd_oid");
  if (oid && isUuid(oid)) callback.dd_oid = oid;
  for (const key of ["dd_org_name", "domain", "site"] as const) {
    const value = cleanText(params.get(key));
    if (value) callback[key] = value;
  }
  const validated = Object.freeze(callback) as unknown as ValidatedCallback;
  minted.add(validated);
  return { kind: "code", callback: validated };
}

/**
 * Handles one request to the loopback callback server. In order: the Host header must be
 * `127.0.0.1:<port>` or `localhost:<port>` (400: guards against DNS rebinding), the path
 * must be exactly `/oauth/callback` (404, e.g. favicon), the method GET (405), the query at
 * most 8 KB (414), then {@link validateCallbackParams} decides. Only a valid callback yields
 * an `outcome`; everything else leaves the server waiting.
 *
 * @param req the HTTP request
 * @param expect the server's port and the flow's `state`
 * @returns the response to send, and the outcome when the login is decided
 * @see RFC 8252 §7.3 and §8.3 (loopback redirect), RFC 6749 §4.1.2, §10.12
 */
export function handleCallbackRequest(
  req: Request,
  expect: { port: number; state: string },
): { response: Response; outcome?: CallbackOutcome } {
  const host = req.headers.get("host")?.toLowerCase();
  if (host !== `127.0.0.1:${expect.port}` && host !== `localhost:${expect.port}`) {
    return {
      response: text(
        400,
        `Misdirected request: this server answers only to 127.0.0.1:${expect.port}.\n`,
      ),
    };
  }
  const url = new URL(req.url);
  if (url.pathname !== CALLBACK_PATH) return { response: text(404, "Not Found\n") };
  if (req.method !== "GET") {
    const response = text(405, "Method Not Allowed\n");
    response.headers.set("allow", "GET");
    return { response };
  }
  if (url.search.length > MAX_QUERY_LENGTH) return { response: text(414, "URI Too Long\n") };
  const verdict = validateCallbackParams(url.searchParams, expect.state);
  switch (verdict.kind) {
    case "rejected":
      return { response: html(400, rejectedPage(verdict.reason)) };
    case "error":
      return {
        response: html(400, errorPage(verdict.error, verdict.description)),
        outcome: verdict,
      };
    case "code": {
      const cb = verdict.callback;
      const page = successPage({
        site: cb.site,
        domain: cb.domain,
        orgName: cb.dd_org_name,
        orgUuid: cb.dd_oid,
      });
      return { response: html(200, page), outcome: verdict };
    }
  }
}

function constantTimeEqual(actual: string, expected: string): boolean {
  const a = new TextEncoder().encode(actual);
  const b = new TextEncoder().encode(expected);
  // Loop over the expected length only, so timing reveals nothing about the secret's bytes.
  let diff = a.length ^ b.length;
  for (let i = 0; i < b.length; i++) diff |= (a[i] ?? 0) ^ b[i];
  return diff === 0;
}

// Control characters in server text could drive the terminal that prints them; a callback
// needs no more than a few hundred characters.
function cleanText(value: string | null): string | undefined {
  if (value === null) return undefined;
  const cleaned = clean(value, { max: 500 });
  return cleaned === "" ? undefined : cleaned;
}

const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'",
  "cache-control": "no-store",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
};

function html(status: number, body: string): Response {
  return new Response(body, {
    status,
    headers: { ...SECURITY_HEADERS, "content-type": "text/html; charset=utf-8" },
  });
}

function text(status: number, body: string): Response {
  return new Response(body, {
    status,
    headers: { ...SECURITY_HEADERS, "content-type": "text/plain; charset=utf-8" },
  });
}
