/**
 * `POST /oauth2/v1/token`: code exchange with PKCE and rotating refresh tokens.
 *
 * @module
 */

import { authenticateClient } from "./client_auth.ts";
import { json, oauthError, readForm, sleep, withFault } from "./http.ts";
import {
  type Grant,
  type MockState,
  randomValue,
  type RegisteredClient,
  takeFault,
} from "./state.ts";

/** An authorization code is good for this long. */
const CODE_TTL_MS = 60_000;
const VERIFIER_PATTERN = /^[A-Za-z0-9._~-]{43,128}$/;

async function s256(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return new Uint8Array(digest).toBase64({ alphabet: "base64url", omitPadding: true });
}

function issueTokens(
  state: MockState,
  grant: Grant,
  scope: string,
  withRefresh: boolean,
): Response {
  const accessToken = randomValue("mock_at_", state.opts.tokenBytes);
  state.accessTokens.set(accessToken, {
    grant,
    scope,
    expiresAt: state.opts.now() + state.opts.accessTtl * 1000,
    revoked: false,
  });
  const body: Record<string, unknown> = {
    access_token: accessToken,
    // Lower case, as real servers answer; clients must compare case-insensitively.
    token_type: "bearer",
    expires_in: state.opts.accessTtl,
  };
  if (withRefresh) {
    const refreshToken = randomValue("mock_rt_", state.opts.tokenBytes);
    state.refreshTokens.set(refreshToken, { grant, used: false, revoked: false });
    body.refresh_token = refreshToken;
  }
  body.scope = scope;
  return json(200, body, { "cache-control": "no-store", pragma: "no-cache" });
}

async function codeGrant(
  state: MockState,
  client: RegisteredClient,
  form: URLSearchParams,
): Promise<Response> {
  const code = form.get("code");
  if (!code) return oauthError("invalid_request", "code is required");
  const record = state.codes.get(code);
  if (record === undefined) return oauthError("invalid_grant", "The authorization code is invalid");
  if (record.used) {
    record.grant.revoked = true;
    return oauthError(
      "invalid_grant",
      "The authorization code was already used; tokens issued from it are revoked",
    );
  }
  // Spent on first presentation, before any await, so a concurrent second use is seen as reuse
  // and a wrong verifier cannot be retried.
  record.used = true;
  if (record.grant.clientId !== client.client_id) {
    return oauthError("invalid_grant", "The authorization code was issued to another client");
  }
  if (state.opts.now() - record.createdAt >= CODE_TTL_MS) {
    return oauthError("invalid_grant", "The authorization code has expired");
  }
  if (form.get("redirect_uri") !== record.redirectUri) {
    return oauthError("invalid_grant", "redirect_uri does not match the authorization request");
  }
  const verifier = form.get("code_verifier") ?? "";
  if (!VERIFIER_PATTERN.test(verifier)) {
    return oauthError(
      "invalid_grant",
      "PKCE verification failed: code_verifier is missing or malformed",
    );
  }
  if (await s256(verifier) !== record.challenge) {
    return oauthError(
      "invalid_grant",
      "PKCE verification failed: code_verifier does not match code_challenge",
    );
  }
  state.stats.pkceVerified += 1;
  if (record.grant.revoked) {
    return oauthError("invalid_grant", "The authorization code was revoked");
  }
  return issueTokens(state, record.grant, record.grant.scope, true);
}

function refreshGrant(
  state: MockState,
  client: RegisteredClient,
  form: URLSearchParams,
): Response {
  const token = form.get("refresh_token");
  if (!token) return oauthError("invalid_request", "refresh_token is required");
  const record = state.refreshTokens.get(token);
  if (record === undefined) return oauthError("invalid_grant", "The refresh token is invalid");
  if (record.grant.clientId !== client.client_id) {
    return oauthError("invalid_grant", "The refresh token was issued to another client");
  }
  if (record.used) {
    record.grant.revoked = true;
    return oauthError("invalid_grant", "refresh token already used");
  }
  if (record.revoked || record.grant.revoked) {
    return oauthError("invalid_grant", "The refresh token was revoked");
  }
  let scope = record.grant.scope;
  const requested = form.get("scope");
  if (requested !== null) {
    const granted = new Set(scope.split(" "));
    const asked = requested.split(" ").filter((s) => s !== "");
    if (asked.length === 0 || !asked.every((s) => granted.has(s))) {
      return oauthError("invalid_scope", "The requested scope exceeds the original grant");
    }
    scope = asked.join(" ");
  }
  // Without a new refresh token the client keeps the old one, so it must stay valid.
  if (!state.opts.omitRefreshToken) record.used = true;
  return issueTokens(state, record.grant, scope, !state.opts.omitRefreshToken);
}

/**
 * Serves the token endpoint: authenticates the client as registered, then exchanges a code
 * (single use, 60 s, same client and redirect URI, PKCE S256) or a refresh token (single use,
 * rotated). Reusing either revokes every token of that grant.
 *
 * @param req the request
 * @param state the mock's state
 * @returns the response
 * @see RFC 6749 §4.1.3, §5.1, §5.2, §6, §10.4; RFC 7636 §4.6
 */
export async function handleToken(req: Request, state: MockState): Promise<Response> {
  const parsed = await readForm(req);
  const grantType = parsed.ok ? parsed.form.get("grant_type") : null;
  if (grantType === "authorization_code" || grantType === "refresh_token") {
    state.stats.tokenRequests[grantType] += 1;
  } else {
    state.stats.tokenRequests.other += 1;
  }
  return await withFault(takeFault(state, "token", grantType), "token", async () => {
    if (state.opts.tokenDelayMs > 0) await sleep(state.opts.tokenDelayMs);
    if (!parsed.ok) return oauthError("invalid_request", parsed.description);
    const auth = authenticateClient(req, parsed.form, state);
    if (!auth.ok) return auth.response;
    if (grantType === null) return oauthError("invalid_request", "grant_type is required");
    if (grantType !== "authorization_code" && grantType !== "refresh_token") {
      return oauthError("unsupported_grant_type", `grant_type "${grantType}" is not supported`);
    }
    if (!auth.client.grant_types.includes(grantType)) {
      return oauthError("unauthorized_client", `This client was not registered for ${grantType}`);
    }
    return grantType === "authorization_code"
      ? await codeGrant(state, auth.client, parsed.form)
      : refreshGrant(state, auth.client, parsed.form);
  });
}
