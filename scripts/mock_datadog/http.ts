/**
 * Small HTTP helpers shared by the mock's handlers: bounded body reading, strict form parsing,
 * JSON, OAuth error and HTML responses, and fault application.
 *
 * @module
 */

import type { Fault, FaultEndpoint } from "./options.ts";

/** Request bodies above this size are refused with 413. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** Thrown when a request body exceeds `MAX_BODY_BYTES`; the router answers 413. */
export class BodyTooLargeError extends Error {
  constructor() {
    super(`Request body is larger than ${MAX_BODY_BYTES} bytes`);
    this.name = "BodyTooLargeError";
  }
}

/**
 * Reads a request body, refusing to buffer more than `MAX_BODY_BYTES`.
 *
 * @param req the request
 * @returns the body as text (empty when there is none)
 * @throws {BodyTooLargeError} when the declared or actual size is over the limit
 */
export async function readBody(req: Request): Promise<string> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) {
    await req.body?.cancel();
    throw new BodyTooLargeError();
  }
  if (req.body === null) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of req.body) {
    size += chunk.byteLength;
    // A chunked upload declares no length, so the limit is also enforced while streaming.
    if (size > MAX_BODY_BYTES) throw new BodyTooLargeError();
    chunks.push(chunk);
  }
  const all = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(all);
}

/**
 * Whether the request's Content-Type is the given media type (parameters such as charset ignored).
 *
 * @param req the request
 * @param mediaType e.g. `application/json`
 * @returns true on a match
 */
export function hasMediaType(req: Request, mediaType: string): boolean {
  const value = req.headers.get("content-type") ?? "";
  return value.split(";")[0].trim().toLowerCase() === mediaType;
}

/** A parsed form, or why it could not be used. */
export type FormResult = { ok: true; form: URLSearchParams } | { ok: false; description: string };

/**
 * Parses an `application/x-www-form-urlencoded` body strictly: wrong Content-Type or a repeated
 * parameter is an error.
 *
 * @param req the request
 * @returns the form or a description of the problem
 * @see RFC 6749 §3.1 (parameters must not repeat) and §3.2 (form encoding)
 */
export async function readForm(req: Request): Promise<FormResult> {
  const text = await readBody(req);
  if (!hasMediaType(req, "application/x-www-form-urlencoded")) {
    return { ok: false, description: "Content-Type must be application/x-www-form-urlencoded" };
  }
  const form = new URLSearchParams(text);
  const repeated = findRepeated(form);
  if (repeated !== undefined) {
    return { ok: false, description: `Parameter "${repeated}" is included more than once` };
  }
  return { ok: true, form };
}

/**
 * The first parameter name that occurs more than once, if any.
 *
 * @param params query or form parameters
 * @returns the repeated name, or `undefined`
 */
export function findRepeated(params: URLSearchParams): string | undefined {
  const seen = new Set<string>();
  for (const key of params.keys()) {
    if (seen.has(key)) return key;
    seen.add(key);
  }
  return undefined;
}

/**
 * A JSON response.
 *
 * @param status HTTP status
 * @param body any JSON value
 * @param headers extra headers
 * @returns the response
 */
export function json(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

/**
 * An OAuth error response: 400, or 401 with `WWW-Authenticate` for `invalid_client`.
 *
 * @param error the RFC 6749 error code
 * @param description a human-readable description (never a token)
 * @returns the response
 * @see RFC 6749 §5.2
 */
export function oauthError(error: string, description: string): Response {
  const headers: Record<string, string> = { "cache-control": "no-store", pragma: "no-cache" };
  if (error === "invalid_client") {
    return json(401, { error, error_description: description }, {
      ...headers,
      "www-authenticate": 'Basic realm="datadog-mock"',
    });
  }
  return json(400, { error, error_description: description }, headers);
}

/**
 * Escapes text for HTML content and attribute values.
 *
 * @param text untrusted text
 * @returns the escaped text
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * A small HTML page.
 *
 * @param status HTTP status
 * @param title page title (escaped here)
 * @param bodyHtml trusted HTML for the body
 * @returns the response
 */
export function htmlPage(status: number, title: string, bodyHtml: string): Response {
  const page = `<!doctype html>\n<html><head><meta charset="utf-8"><title>${
    escapeHtml(title)
  }</title></head>\n<body>\n${bodyHtml}\n</body></html>\n`;
  return new Response(page, {
    status,
    headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" },
  });
}

/**
 * A 302 redirect to `base` with parameters appended to its query.
 *
 * @param base the redirect URI
 * @param params parameters to append; `undefined` values are left out
 * @returns the response
 */
export function redirectWith(base: string, params: Record<string, string | undefined>): Response {
  const target = new URL(base);
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined) target.searchParams.append(key, value);
  }
  return new Response(null, {
    status: 302,
    headers: { location: target.href, "cache-control": "no-store" },
  });
}

/**
 * Resolves after `ms` milliseconds.
 *
 * @param ms how long to wait
 * @returns a promise
 */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const SUCCESS_STATUS: Record<FaultEndpoint, number> = {
  register: 201,
  authorize: 200,
  token: 200,
  revoke: 200,
  api: 200,
};

function faultBody(endpoint: FaultEndpoint, status: number): string {
  if (endpoint === "api") return JSON.stringify({ errors: [`Injected fault (HTTP ${status})`] });
  return JSON.stringify({ error: "server_error", error_description: "Injected fault" });
}

/**
 * Answers a request through a fault: waits, replaces the answer or cuts it short, as the fault
 * says; without a fault it just runs `normal`.
 *
 * @param fault the fault taken for this request, if any
 * @param endpoint the endpoint the request reached
 * @param normal produces the normal answer
 * @returns the answer to send
 */
export async function withFault(
  fault: Fault | undefined,
  endpoint: FaultEndpoint,
  normal: () => Promise<Response> | Response,
): Promise<Response> {
  if (fault === undefined) return await normal();
  if (fault.delayMs) await sleep(fault.delayMs);
  let res: Response;
  if (fault.status !== undefined || fault.body !== undefined) {
    const status = fault.status ?? SUCCESS_STATUS[endpoint];
    res = new Response(fault.body ?? faultBody(endpoint, status), {
      status,
      headers: { "content-type": fault.contentType ?? "application/json" },
    });
  } else {
    res = await normal();
  }
  const headers = new Headers(res.headers);
  if (fault.retryAfter !== undefined) headers.set("retry-after", String(fault.retryAfter));
  let body: string | null = res.body === null ? null : await res.text();
  if (fault.truncate && body !== null) body = body.slice(0, Math.floor(body.length / 2));
  headers.delete("content-length");
  return new Response(body, { status: res.status, headers });
}
