/**
 * A tiny hand-written OAuth client for driving `scripts/mock_datadog.ts` in tests: registration,
 * PKCE, authorize (with redirects not followed), form posts and API calls. Every response body
 * is consumed, so tests do not leak resources.
 *
 * @module
 */

import {
  type MockDatadog,
  type MockOptions,
  startMockDatadog,
} from "../../scripts/mock_datadog.ts";

/** A response reduced to what tests assert on. */
export interface SimpleResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON when the body is JSON, else the raw text (`""` when empty). */
  body: unknown;
  text: string;
}

/** A PKCE verifier and its S256 challenge. */
export interface PkcePair {
  verifier: string;
  challenge: string;
}

/** Reads a response fully into a `SimpleResponse`. */
async function simplify(res: Response): Promise<SimpleResponse> {
  const text = await res.text();
  let body: unknown = text;
  if ((res.headers.get("content-type") ?? "").startsWith("application/json")) {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  return { status: res.status, headers: res.headers, body, text };
}

/**
 * A fresh 64-character verifier and its challenge, computed independently of the mock.
 *
 * @returns the pair
 * @see RFC 7636 §4.1, §4.2
 */
export async function pkcePair(): Promise<PkcePair> {
  const verifier = crypto.getRandomValues(new Uint8Array(48)).toBase64({
    alphabet: "base64url",
    omitPadding: true,
  });
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  const challenge = new Uint8Array(digest).toBase64({ alphabet: "base64url", omitPadding: true });
  return { verifier, challenge };
}

/**
 * The loopback redirect URI pup uses for a port.
 *
 * @param port the callback port
 * @returns `http://127.0.0.1:<port>/oauth/callback`
 */
export function redirectUriFor(port: number): string {
  return `http://127.0.0.1:${port}/oauth/callback`;
}

/**
 * Sends a JSON request.
 *
 * @param base the mock's URL
 * @param path the path (with query)
 * @param method HTTP method
 * @param body a JSON value, or `undefined` for no body
 * @param headers extra headers
 * @returns the response
 */
export async function sendJson(
  base: string,
  path: string,
  method: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<SimpleResponse> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)["content-type"] = "application/json";
  }
  return await simplify(await fetch(base + path, init));
}

/**
 * Registers a client the way pup does.
 *
 * @param base the mock's URL
 * @param redirectUris the redirect URIs; port 8000's by default
 * @returns the registration response
 * @see RFC 7591 §3.1
 */
export async function register(
  base: string,
  redirectUris: string[] = [redirectUriFor(8000)],
): Promise<SimpleResponse> {
  return await sendJson(base, "/api/v2/oauth2/register", "POST", {
    client_name: "datadog-pup-cli",
    redirect_uris: redirectUris,
    grant_types: ["authorization_code", "refresh_token"],
  });
}

/**
 * Builds an authorize URL; `overrides` replace or (with `undefined`) remove parameters.
 *
 * @param base the mock's URL
 * @param clientId the registered client
 * @param challenge the PKCE challenge
 * @param overrides parameters to change
 * @returns the URL
 * @see RFC 6749 §4.1.1; RFC 7636 §4.3
 */
export function authorizeUrl(
  base: string,
  clientId: string,
  challenge: string,
  overrides: Record<string, string | undefined> = {},
): string {
  const params: Record<string, string | undefined> = {
    response_type: "code",
    client_id: clientId,
    redirect_uri: redirectUriFor(8000),
    state: "state-1234567890",
    scope: "dashboards_read monitors_read",
    code_challenge: challenge,
    code_challenge_method: "S256",
    ...overrides,
  };
  const url = new URL("/oauth2/v1/authorize", base);
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined) url.searchParams.set(key, value);
  }
  return url.href;
}

/**
 * GETs a URL without following redirects.
 *
 * @param url the URL
 * @returns the response and its `Location` parsed, if any
 */
export async function getNoRedirect(
  url: string,
): Promise<SimpleResponse & { location: URL | null }> {
  const res = await simplify(await fetch(url, { redirect: "manual" }));
  const location = res.headers.get("location");
  return { ...res, location: location === null ? null : new URL(location) };
}

/**
 * POSTs a form (`application/x-www-form-urlencoded`) without following redirects.
 *
 * @param base the mock's URL
 * @param path the path
 * @param fields the form fields
 * @param headers extra headers (e.g. Authorization)
 * @returns the response
 */
export async function postForm(
  base: string,
  path: string,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<SimpleResponse> {
  return await simplify(
    await fetch(base + path, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
      body: new URLSearchParams(fields),
    }),
  );
}

/**
 * An `Authorization: Basic` value built as RFC 6749 §2.3.1 says: each part form-urlencoded.
 *
 * @param id client id
 * @param secret client secret
 * @returns the header value
 */
export function basicAuth(id: string, secret: string): string {
  const enc = (s: string) => new URLSearchParams({ x: s }).toString().slice(2);
  return "Basic " + btoa(`${enc(id)}:${enc(secret)}`);
}

/** What a completed authorization yields. */
export interface AuthorizedCode {
  clientId: string;
  /** Issued only when the mock runs with a secret-based `clientAuth`. */
  clientSecret?: string;
  code: string;
  pkce: PkcePair;
  redirectUri: string;
}

/**
 * Registers a client and gets a code from a mock started with `autoApprove`.
 *
 * @param base the mock's URL
 * @param scope the scope to ask for
 * @returns the client id, code, PKCE pair and redirect URI
 * @throws {Error} when any step does not succeed
 */
export async function authorizeCode(
  base: string,
  scope = "dashboards_read monitors_read",
): Promise<AuthorizedCode> {
  const reg = await register(base);
  if (reg.status !== 201) throw new Error(`Registration failed: HTTP ${reg.status}`);
  const { client_id: clientId, client_secret: clientSecret } = reg.body as {
    client_id: string;
    client_secret?: string;
  };
  const pkce = await pkcePair();
  const res = await getNoRedirect(authorizeUrl(base, clientId, pkce.challenge, { scope }));
  const code = res.location?.searchParams.get("code");
  if (res.status !== 302 || !code) throw new Error(`Authorize gave no code: HTTP ${res.status}`);
  return { clientId, clientSecret, code, pkce, redirectUri: redirectUriFor(8000) };
}

/**
 * Exchanges a code; as a public client unless `fields` or `headers` add credentials.
 *
 * @param base the mock's URL
 * @param a the authorized code
 * @param fields form fields to change or add
 * @param headers extra headers (e.g. Basic credentials)
 * @returns the token response
 * @see RFC 6749 §4.1.3; RFC 7636 §4.5
 */
export async function exchange(
  base: string,
  a: AuthorizedCode,
  fields: Record<string, string> = {},
  headers: Record<string, string> = {},
): Promise<SimpleResponse> {
  return await postForm(base, "/oauth2/v1/token", {
    grant_type: "authorization_code",
    client_id: a.clientId,
    code: a.code,
    redirect_uri: a.redirectUri,
    code_verifier: a.pkce.verifier,
    ...fields,
  }, headers);
}

/**
 * Refreshes; as a public client unless `fields` or `headers` add credentials.
 *
 * @param base the mock's URL
 * @param clientId the client
 * @param refreshToken the refresh token
 * @param fields form fields to add
 * @param headers extra headers
 * @returns the token response
 * @see RFC 6749 §6
 */
export async function refresh(
  base: string,
  clientId: string,
  refreshToken: string,
  fields: Record<string, string> = {},
  headers: Record<string, string> = {},
): Promise<SimpleResponse> {
  return await postForm(base, "/oauth2/v1/token", {
    grant_type: "refresh_token",
    client_id: clientId,
    refresh_token: refreshToken,
    ...fields,
  }, headers);
}

/**
 * Calls an API route with a bearer token.
 *
 * @param base the mock's URL
 * @param path the path (with query)
 * @param accessToken the bearer token
 * @returns the response
 * @see RFC 6750 §2.1
 */
export async function apiGet(
  base: string,
  path: string,
  accessToken: string,
): Promise<SimpleResponse> {
  return await sendJson(base, path, "GET", undefined, { authorization: `Bearer ${accessToken}` });
}

/**
 * Runs `fn` against a fresh mock and always closes it.
 *
 * @param opts the mock's options
 * @param fn the test body
 * @returns when `fn` and the shutdown are done
 */
export async function withMock(
  opts: MockOptions,
  fn: (mock: MockDatadog) => Promise<void>,
): Promise<void> {
  const mock = await startMockDatadog(opts);
  try {
    await fn(mock);
  } finally {
    await mock.close();
  }
}
