/**
 * Reading and judging Datadog API answers (DESIGN rule 1): a bounded read, then pure
 * functions that return the JSON or describe the failure in a sentence (the server's
 * `errors` text, or what kind of body came back), never a raw or huge body.
 *
 * @module
 */

import { ApiError } from "../errors.ts";
import { type BoundedBody, readBoundedBody } from "../http_body.ts";
import { cleanText } from "../sanitize.ts";

/** The largest answer pup reads; logs searches are the big ones, a few MiB at most. */
export const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
const MAX_SUMMARY_CHARS = 500;

/** An answer read once, with its `Retry-After` header. */
export interface ApiBody extends BoundedBody {
  retryAfter?: string;
}

/**
 * Reads an answer's body (at most `MAX_RESPONSE_BYTES`) and parses it when it is JSON.
 *
 * @param res the response
 * @returns the read body; never throws for a body that breaks off
 */
export async function readApiBody(res: Response): Promise<ApiBody> {
  const out: ApiBody = await readBoundedBody(res, MAX_RESPONSE_BYTES);
  const retryAfter = res.headers.get("retry-after");
  if (retryAfter !== null) out.retryAfter = retryAfter;
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function clean(text: string, secrets: readonly (string | undefined)[]): string {
  return cleanText(text, { secrets, max: MAX_SUMMARY_CHARS });
}

/**
 * The server's own error text: the `errors` array (strings or JSON:API error objects),
 * or an OAuth-style `error`/`error_description`, or `message`.
 *
 * @param body the read answer
 * @param secrets the credentials of the request (and any other secret held), redacted
 * @returns the text, cleaned and capped, or `undefined` when the body carries none
 */
export function errorDetails(
  body: ApiBody,
  secrets: readonly (string | undefined)[] = [],
): string | undefined {
  const j = body.json;
  if (!isObject(j)) return undefined;
  if (Array.isArray(j.errors) && j.errors.length > 0) {
    return clean(
      j.errors.map((e) => {
        if (typeof e === "string") return e;
        if (isObject(e) && typeof e.detail === "string") {
          return typeof e.title === "string" ? `${e.title}: ${e.detail}` : e.detail;
        }
        if (isObject(e) && typeof e.title === "string") return e.title;
        return JSON.stringify(e);
      }).join("; "),
      secrets,
    );
  }
  if (typeof j.error === "string" && j.error !== "") {
    return clean(
      typeof j.error_description === "string" ? `${j.error}: ${j.error_description}` : j.error,
      secrets,
    );
  }
  if (typeof j.message === "string" && j.message !== "") return clean(j.message, secrets);
  return undefined;
}

/**
 * What kind of body came back, for answers that carry no usable error text.
 *
 * @param body the read answer
 * @returns e.g. `the server answered with text/html, not JSON (HTTP 502)`
 */
export function describeBodyKind(body: ApiBody): string {
  const status = `(HTTP ${body.status})`;
  if (body.json !== undefined) return `the server gave no error details ${status}`;
  if (body.tooLarge) {
    return `the answer is larger than ${MAX_RESPONSE_BYTES / 1024 / 1024} MiB ${status}`;
  }
  if (body.truncated) return `the server's answer was cut off ${status}`;
  if (body.empty) return `the server sent an empty answer ${status}`;
  if (body.contentType !== "" && !body.contentType.includes("json")) {
    return `the server answered with ${body.contentType}, not JSON ${status}`;
  }
  return `the server answered with invalid JSON ${status}`;
}

/**
 * One phrase for any failed answer: `HTTP 404: Monitor not found`, or the body's kind.
 *
 * @param body the read answer
 * @param secrets secrets to redact from the server's text
 * @returns the phrase
 */
export function describeFailure(
  body: ApiBody,
  secrets: readonly (string | undefined)[] = [],
): string {
  const details = errorDetails(body, secrets);
  return details === undefined ? describeBodyKind(body) : `HTTP ${body.status}: ${details}`;
}

/** The request an answer belongs to, for messages. */
export interface RequestLabel {
  /** e.g. `GET /api/v1/monitor` */
  what: string;
  host: string;
}

/**
 * Turns a successful answer into its JSON value.
 *
 * @param body the read answer (2xx)
 * @param label the request, for the message
 * @returns the parsed JSON, or `null` for an empty body (e.g. HTTP 204)
 * @throws {ApiError} for a body that is not complete, valid JSON
 */
export function processApiSuccess(body: ApiBody, label: RequestLabel): unknown {
  if (body.empty) return null;
  if (body.json !== undefined) return body.json;
  throw new ApiError(
    `${label.what} on "${label.host}" returned a body pup cannot use: ${
      describeBodyKind(body)
    }. A proxy or captive portal may be answering instead of Datadog; check the site (DD_SITE) and try again`,
    { status: body.status },
  );
}

/**
 * The error for a failed answer other than 401/403 (those depend on the credential used).
 *
 * @param body the read answer (not 2xx)
 * @param label the request, for the message
 * @param secrets secrets to redact from the server's text
 * @returns an `ApiError` saying what failed and what to do next
 */
export function apiFailure(
  body: ApiBody,
  label: RequestLabel,
  secrets: readonly (string | undefined)[] = [],
): ApiError {
  const s = body.status;
  const next = s === 404
    ? "Check the path and any id in it"
    : s === 429
    ? "Datadog is rate limiting these requests: wait a minute and try again"
    : s >= 500
    ? "Datadog or a proxy may be having trouble: try again in a few minutes"
    : s === 400 || s === 422
    ? "Check the parameters and the request body"
    : "Check the request and try again";
  return new ApiError(
    `${label.what} on "${label.host}" failed: ${describeFailure(body, secrets)}. ${next}`,
    { status: s },
  );
}
