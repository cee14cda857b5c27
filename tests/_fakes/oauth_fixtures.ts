/**
 * Shared values for the oauth_client tests: endpoints, a fixed clock, stored clients of each
 * authentication method, a validated callback, and helpers that read what was sent.
 *
 * @module
 */

import assert from "node:assert/strict";
import { validateCallbackParams, type ValidatedCallback } from "../../lib/auth/callback_handler.ts";
import { exchangeCode, refreshAccessToken } from "../../lib/auth/oauth_client.ts";
import type { Clock } from "../../lib/deps.ts";
import type { ClientCredentials } from "../../lib/storage/types.ts";
import { type FakeFetch, formOf } from "./fake_fetch.ts";

export const API = "https://api.datadoghq.com";
export const TOKEN_URL = `${API}/oauth2/v1/token`;
export const REVOKE_URL = `${API}/oauth2/v1/revoke`;
export const REGISTER_URL = `${API}/api/v2/oauth2/register`;
export const NOW_MS = 1_770_202_800_123;
export const clock: Clock = { now: () => NOW_MS, sleep: () => Promise.resolve() };
export const STATE = "x".repeat(32);
export const VERIFIER = "v".repeat(128);
export const REDIRECT = "http://127.0.0.1:8000/oauth/callback";

export const PUBLIC: ClientCredentials = {
  client_id: "pub-client",
  client_name: "datadog-pup-cli",
  redirect_uris: [REDIRECT],
  registered_at: 1_770_000_000,
  site: "datadoghq.com",
};
export const SECRET = "s3cr3t:+/ %é";
export const BASIC: ClientCredentials = {
  ...PUBLIC,
  client_id: "conf id:é",
  client_secret: SECRET,
};
export const POST: ClientCredentials = {
  ...PUBLIC,
  client_secret: SECRET,
  token_endpoint_auth_method: "client_secret_post",
};

/** A callback validated for STATE, as the callback handler makes one. */
export function callback(code = "the-code"): ValidatedCallback {
  const v = validateCallbackParams(new URLSearchParams({ code, state: STATE }), STATE);
  assert.equal(v.kind, "code");
  return (v as { callback: ValidatedCallback }).callback;
}

export const TOKENS = {
  access_token: "AT-1",
  token_type: "bearer",
  expires_in: 3600,
  refresh_token: "RT-1",
  scope: "dashboards_read monitors_read",
};

/** Runs exchangeCode() against the fake with the shared values. */
export function exchange(fake: FakeFetch, client = PUBLIC, tokenUrl = TOKEN_URL, insecure = false) {
  return exchangeCode({ fetch: fake.fetch, clock }, {
    tokenUrl,
    client,
    callback: callback(),
    redirectUri: REDIRECT,
    codeVerifier: VERIFIER,
    insecure,
  });
}

/** Runs refreshAccessToken() against the fake with the shared values. */
export function refresh(fake: FakeFetch, client = PUBLIC, refreshToken = "RT-old") {
  return refreshAccessToken({ fetch: fake.fetch, clock }, {
    tokenUrl: TOKEN_URL,
    client,
    refreshToken,
    insecure: false,
  });
}

/** The form fields of a request, sorted by name. */
export async function sortedForm(req: Request) {
  return (await formOf(req)).sort(([a], [b]) => a.localeCompare(b));
}

/** Decodes an HTTP Basic header built per RFC 6749 §2.3.1 (form-urlencoded id and secret). */
export function decodeBasic(header: string | null): [string, string] {
  assert.ok(header?.startsWith("Basic "), `Basic header: ${header}`);
  const raw = atob(header!.slice(6));
  const colon = raw.indexOf(":");
  const dec = (s: string) => decodeURIComponent(s.replace(/\+/g, " "));
  return [dec(raw.slice(0, colon)), dec(raw.slice(colon + 1))];
}
