/**
 * Reading and judging the answers of the OAuth endpoints (DESIGN rule 1: pure functions over
 * a read `Response`, tested with hand-made ones). Error messages carry the server's `error`
 * and `error_description` verbatim (control characters removed, known secrets redacted),
 * never a raw HTML or JSON body, and never a token or secret.
 *
 * @module
 */

import * as oauth from "oauth4webapi";
import { OAuthError } from "../errors.ts";
import { type BoundedBody, readBoundedBody } from "../http_body.ts";
import { cleanText as clean, hasUnsafeChars } from "../sanitize.ts";
import type { ClientCredentials, TokenSet } from "../storage/types.ts";
import { DCR_REDIRECT_PORTS, redirectUriFor } from "./callback_handler.ts";

/** The DCR client name; the Rust `pup` re-registers a client with any other name (ref §4.2). */
export const DCR_CLIENT_NAME = "datadog-pup-cli";

/** `expires_in` assumed when the token response has none (RFC 6749 §5.1 makes it optional). */
export const DEFAULT_EXPIRES_IN = 3600;

/** A response read once (at most 1 MiB), so errors can describe it without dumping it. */
export type ResponseBody = BoundedBody;

const MAX_BODY_BYTES = 1 << 20;

// Ten years: anything longer is a server bug, and a huge value would not fit the Rust pup's i64.
const MAX_EXPIRES_IN = 315_360_000;

/**
 * Reads a response body once, at most 1 MiB, and parses it as JSON when it is.
 *
 * @param res the response
 * @returns status, media type and the JSON value, if any
 * @see RFC 6749 §5.1 (responses are `application/json`)
 */
export function readBody(res: Response): Promise<ResponseBody> {
  return readBoundedBody(res, MAX_BODY_BYTES);
}

/**
 * Turns a registration response into stored client credentials. Success is exactly HTTP 201
 * (as the Rust `pup`). Parsed here rather than by oauth4webapi, which rejects a secret without
 * `client_secret_expires_at`; we accept that and keep the secret.
 *
 * @param body the response, read by `readBody`
 * @param ctx the site and the current time (ms)
 * @returns the credentials; `client_secret` and `token_endpoint_auth_method` only for a
 *   confidential client
 * @throws {OAuthError} on any other status, a body that is not a JSON client, or an
 *   authentication method pup cannot use
 * @see RFC 7591 §3.2.1, §3.2.2
 */
export function processRegistrationResponse(
  body: ResponseBody,
  ctx: { site: string; now: number },
): ClientCredentials {
  const next = "Check the site (--site or DD_SITE) and try again; if it keeps failing, use " +
    "DD_API_KEY and DD_APP_KEY instead of OAuth";
  if (body.status !== 201) {
    throw new OAuthError(
      errorCode(body) ?? "registration_failed",
      `DCR registration failed (HTTP ${body.status}): ${summarize(body, [])}. ${next}`,
      { status: body.status },
    );
  }
  const j = body.json;
  if (!isObject(j) || typeof j.client_id !== "string" || j.client_id === "") {
    throw new OAuthError(
      "invalid_response",
      `DCR registration failed: the server answered HTTP 201 with ${
        isObject(j) ? "no client_id" : summarize(body, [])
      }. ${next}`,
      { status: body.status },
    );
  }
  const uris = j.redirect_uris;
  const creds: ClientCredentials = {
    client_id: j.client_id,
    client_name: typeof j.client_name === "string" ? j.client_name : DCR_CLIENT_NAME,
    redirect_uris: Array.isArray(uris) && uris.every((u) => typeof u === "string")
      ? uris
      : DCR_REDIRECT_PORTS.map(redirectUriFor),
    registered_at: Math.floor(ctx.now / 1000),
    site: ctx.site,
  };
  // A client_id or secret that could break a form or header is refused, never stored.
  refuseUnsafe(j.client_id, "client_id", "DCR registration");
  const secret = typeof j.client_secret === "string" ? j.client_secret : "";
  refuseUnsafe(secret, "client_secret", "DCR registration");
  const method = j.token_endpoint_auth_method ?? "client_secret_basic";
  if (secret === "" || method === "none") return creds;
  if (method !== "client_secret_basic" && method !== "client_secret_post") {
    throw new OAuthError(
      "unsupported_auth_method",
      `DCR registration returned token_endpoint_auth_method ${JSON.stringify(method)}, which ` +
        "pup cannot use (it supports none, client_secret_post and client_secret_basic). " +
        "Use DD_API_KEY and DD_APP_KEY instead of OAuth for this site",
    );
  }
  return { ...creds, client_secret: secret, token_endpoint_auth_method: method };
}

/**
 * Turns a token endpoint response into a stored token set: `token_type` `"Bearer"`,
 * integer `expires_in` (3600 when absent), `issued_at` from the client clock, `expires_at`
 * as RFC 3339 UTC, `scope` `""` when absent.
 *
 * @param body the response, read by `readBody`
 * @param ctx the grant, the client id, now (ms), the refresh token to keep when none comes
 *   back, and secrets to redact from any message
 * @returns the token set
 * @throws {OAuthError} for an error response, a non-JSON body or an invalid token response
 * @see RFC 6749 §5.1 (successful response), §5.2 (error response)
 */
export async function processTokenResponse(
  body: ResponseBody,
  ctx: {
    grant: "authorization_code" | "refresh_token";
    clientId: string;
    now: number;
    previousRefreshToken?: string;
    secrets?: readonly string[];
  },
): Promise<TokenSet> {
  const what = ctx.grant === "refresh_token" ? "Token refresh" : "Token exchange";
  const secrets = ctx.secrets ?? [];
  const ok = body.status >= 200 && body.status <= 299 && isObject(body.json);
  // Some servers answer 200 with an OAuth error body: report it as the error it is.
  if (!ok || (errorCode(body) !== undefined && !("access_token" in (body.json as object)))) {
    throw requestFailure(what, body, secrets);
  }
  const json = { ...(body.json as Record<string, unknown>) };
  // We never ask for OpenID scopes; an id_token could not be checked against a known issuer.
  delete json.id_token;
  // An empty refresh_token means none (ref §3): keep the old one rather than fail.
  if (json.refresh_token === "") delete json.refresh_token;
  const res = new Response(JSON.stringify(json), {
    status: 200,
    headers: { "content-type": "application/json" },
  });
  const as = { issuer: "https://issuer.invalid" };
  let t: oauth.TokenEndpointResponse;
  try {
    t = ctx.grant === "refresh_token"
      ? await oauth.processRefreshTokenResponse(as, { client_id: ctx.clientId }, res)
      : await oauth.processAuthorizationCodeResponse(as, { client_id: ctx.clientId }, res);
  } catch (e) {
    // The library's messages name fields, never values; its `cause` holds the body: drop it.
    throw new OAuthError(
      "invalid_response",
      `${what} failed: the answer is not a valid token response (${(e as Error).message}). ` +
        "Run 'pup auth login' to try again",
      { status: body.status },
    );
  }
  if (t.token_type !== "bearer") {
    throw new OAuthError(
      "unsupported_token_type",
      `${what} failed: the server issued a token of type ${JSON.stringify(t.token_type)}; ` +
        "pup supports only Bearer tokens",
    );
  }
  refuseUnsafe(t.access_token, "access_token", what);
  refuseUnsafe(t.refresh_token ?? "", "refresh_token", what);
  const expiresIn = t.expires_in === undefined
    ? DEFAULT_EXPIRES_IN
    : Math.min(Math.floor(t.expires_in), MAX_EXPIRES_IN);
  const issuedAt = Math.floor(ctx.now / 1000);
  return {
    access_token: t.access_token,
    refresh_token: t.refresh_token || ctx.previousRefreshToken || "",
    token_type: "Bearer",
    expires_in: expiresIn,
    expires_at: new Date((issuedAt + expiresIn) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z"),
    issued_at: issuedAt,
    scope: t.scope ?? "",
    client_id: ctx.clientId,
  };
}

/** Longest token or client credential accepted; Datadog's are about 1 KB. */
export const MAX_CREDENTIAL_CHARS = 16 * 1024;

// Tokens and client credentials go into headers, forms and stores: one with a control or bidi
// character, or an absurd length, is a server fault and is never stored.
function refuseUnsafe(value: string, field: string, what: string): void {
  if (value.length > MAX_CREDENTIAL_CHARS) {
    throw new OAuthError(
      "invalid_response",
      `${what} failed: the server's ${field} is ${value.length} characters long, over pup's ` +
        `${MAX_CREDENTIAL_CHARS}-character limit; nothing was stored. Run 'pup auth login' to try again`,
    );
  }
  if (hasUnsafeChars(value) || value.trim() !== value) {
    throw new OAuthError(
      "invalid_response",
      `${what} failed: the server's ${field} contains control characters or surrounding ` +
        "whitespace; nothing was stored. Run 'pup auth login' to try again",
    );
  }
}

function errorCode(body: ResponseBody): string | undefined {
  const j = body.json;
  return isObject(j) && typeof j.error === "string" && j.error !== "" ? j.error : undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function summarize(body: ResponseBody, secrets: readonly string[]): string {
  const j = body.json;
  let s: string;
  if (isObject(j) && typeof j.error === "string" && j.error !== "") {
    s = typeof j.error_description === "string" && j.error_description !== ""
      ? `${j.error}: ${j.error_description}`
      : j.error;
  } else if (isObject(j) && Array.isArray(j.errors) && j.errors.length > 0) {
    s = j.errors.map((e) => (typeof e === "string" ? e : JSON.stringify(e))).join("; ");
  } else if (j !== undefined) {
    s = "a JSON answer without an error message";
  } else if (body.empty) {
    s = "an empty answer";
  } else {
    const type = body.contentType || "none";
    s = body.contentType.includes("json")
      ? `a JSON answer that is ${body.truncated ? "too large or cut off" : "malformed or cut off"}`
      : `something that is not JSON (content type ${type})`;
  }
  return cleanText(s, secrets, 300);
}

// Server text goes to a terminal: no control characters (escape sequences), no known secret,
// and a bounded length.
function cleanText(text: string, secrets: readonly string[], max: number): string {
  return clean(text, { secrets, max });
}

function requestFailure(what: string, body: ResponseBody, secrets: readonly string[]): OAuthError {
  const raw = errorCode(body);
  const code = raw === undefined ? undefined : cleanText(raw, secrets, 100);
  const summary = summarize(body, secrets);
  const refresh = what === "Token refresh";
  let next = refresh
    ? "Run 'pup auth login' to re-authenticate"
    : "Run 'pup auth login' to try again";
  if (code === "invalid_grant") {
    next = refresh
      ? "The refresh token is no longer valid: run 'pup auth login' to sign in again"
      : "The authorization code expired or was already used: run 'pup auth login' again";
  } else if (code === "invalid_scope") {
    next = "Ask for other scopes: adjust --scopes, --extra-scopes or the scopes in " +
      "config.yaml, then run 'pup auth login' again";
  } else if (code === "invalid_client" || code === "unauthorized_client") {
    next = "The stored OAuth client was rejected: run 'pup auth logout', then 'pup auth login' " +
      "to register a new one";
  } else if (code === undefined && (body.status >= 500 || body.status === 429)) {
    next = "The server may be having trouble: try again in a few minutes";
  } else if (code === undefined && body.json === undefined) {
    next = "A proxy or captive portal may be answering instead of Datadog: check your network " +
      "and the site (--site or DD_SITE)";
  }
  const description = isObject(body.json) && typeof body.json.error_description === "string"
    ? cleanText(body.json.error_description, secrets, 300)
    : undefined;
  return new OAuthError(
    code ?? "http_error",
    `${what} failed (HTTP ${body.status}): ${summary}. ${next}`,
    { status: body.status, description },
  );
}
