/**
 * The OAuth requests pup makes, on oauth4webapi: Dynamic Client Registration, the code
 * exchange, the refresh grant and revocation. Each is a request here plus a pure
 * `process…Response` in `oauth_response.ts` (DESIGN rule 1). Client authentication follows
 * what registration returned (RFC 7591 §3.2.1): none (`client_id` in the form),
 * `client_secret_post` or `client_secret_basic` (RFC 6749 §2.3.1).
 *
 * @module
 */

import * as oauth from "oauth4webapi";
import type { Deps } from "../deps.ts";
import { AuthRequiredError, OAuthError } from "../errors.ts";
import { networkErrorKind } from "../network_error.ts";
import type { ClientCredentials, TokenEndpointAuthMethod, TokenSet } from "../storage/types.ts";
import {
  DCR_REDIRECT_PORTS,
  isValidatedCallback,
  redirectUriFor,
  type ValidatedCallback,
} from "./callback_handler.ts";
import {
  DCR_CLIENT_NAME,
  processRegistrationResponse,
  processTokenResponse,
  readBody,
} from "./oauth_response.ts";

export { DCR_CLIENT_NAME };

/** Every request is aborted after this long. */
export const REQUEST_TIMEOUT_MS = 30_000;

type HttpDeps = Pick<Deps, "fetch" | "clock">;

/**
 * How a stored client authenticates at the token and revocation endpoints.
 *
 * @param client the stored DCR client
 * @returns `none` without a secret, else the registered method (`client_secret_basic` when
 *   the server named none)
 * @see RFC 7591 §2 (token_endpoint_auth_method), RFC 6749 §2.3.1
 */
export function clientAuthMethod(client: ClientCredentials): TokenEndpointAuthMethod {
  if (!client.client_secret) return "none";
  return client.token_endpoint_auth_method ?? "client_secret_basic";
}

/**
 * Registers pup as an OAuth client (RFC 7591): `client_name` `datadog-pup-cli`, all four
 * loopback redirect URIs, grants `authorization_code` and `refresh_token`, as SPEC §4.1 says.
 *
 * @param deps fetch and clock
 * @param p the registration endpoint, the site the client belongs to, and whether plain http
 *   is allowed (a loopback `PUP_MOCK_SERVER` only)
 * @returns the client to store
 * @throws {OAuthError} when the server does not answer 201 with a client, or is unreachable
 * @see RFC 7591 §3.1 (request), §3.2.1 (response)
 */
export async function registerClient(
  deps: HttpDeps,
  p: { registerUrl: string; site: string; insecure: boolean },
): Promise<ClientCredentials> {
  const metadata = {
    client_name: DCR_CLIENT_NAME,
    redirect_uris: DCR_REDIRECT_PORTS.map(redirectUriFor),
    grant_types: ["authorization_code", "refresh_token"],
  };
  const as = server(p.registerUrl, { registration_endpoint: p.registerUrl });
  const res = await send(
    "DCR registration request",
    p.registerUrl,
    () => oauth.dynamicClientRegistrationRequest(as, metadata, options(deps, p.insecure)),
  );
  return processRegistrationResponse(await readBody(res), { site: p.site, now: deps.clock.now() });
}

/**
 * Exchanges an authorization code for tokens (`grant_type=authorization_code`).
 *
 * @param deps fetch and clock
 * @param p the token endpoint, the client, the validated callback, the exact redirect URI
 *   used in the authorization request, the PKCE verifier, and whether plain http is allowed
 * @returns the token set to store (`refresh_token` is `""` when the server sent none)
 * @throws {TypeError} when `callback` was not made by the callback handler or paste parser
 * @throws {OAuthError} with the server's `error` (e.g. `invalid_grant`), or on a network
 *   failure or an answer that is not a token response
 * @see RFC 6749 §4.1.3, §4.1.4, §5.1, §5.2; RFC 7636 §4.5
 */
export async function exchangeCode(
  deps: HttpDeps,
  p: {
    tokenUrl: string;
    client: ClientCredentials;
    callback: ValidatedCallback;
    redirectUri: string;
    codeVerifier: string;
    insecure: boolean;
  },
): Promise<TokenSet> {
  if (!isValidatedCallback(p.callback)) {
    throw new TypeError(
      "Cannot exchange a code from a callback that was not validated: use the callback " +
        "from handleCallbackRequest or parsePastedCallback",
    );
  }
  const as = server(p.tokenUrl, { token_endpoint: p.tokenUrl });
  const client = { client_id: p.client.client_id };
  // Only code and state go in: an `iss` we cannot check (Datadog's issuer is not documented)
  // is dropped, as the Rust pup ignores it. The state was already checked, in constant time,
  // against this login's own when the callback was validated: say so rather than compare it
  // with itself.
  const query = new URLSearchParams({ code: p.callback.code, state: p.callback.state });
  const params = oauth.validateAuthResponse(as, client, query, oauth.skipStateCheck);
  const res = await send("token exchange", p.tokenUrl, () =>
    oauth.authorizationCodeGrantRequest(
      as,
      client,
      clientAuth(p.client),
      params,
      p.redirectUri,
      p.codeVerifier,
      options(deps, p.insecure),
    ));
  return await processTokenResponse(await readBody(res), {
    grant: "authorization_code",
    clientId: p.client.client_id,
    now: deps.clock.now(),
    secrets: [p.callback.code, p.codeVerifier, p.client.client_secret ?? ""],
  });
}

/**
 * Gets a new access token with a refresh token (`grant_type=refresh_token`). When the
 * response has no `refresh_token`, the one passed in is kept (ref §12 item 6).
 *
 * @param deps fetch and clock
 * @param p the token endpoint, the client, the current refresh token, and whether plain
 *   http is allowed
 * @returns the new token set
 * @throws {AuthRequiredError} when `refreshToken` is empty
 * @throws {OAuthError} with the server's `error` (e.g. `invalid_grant`), or on a network
 *   failure or an answer that is not a token response
 * @see RFC 6749 §6, §5.1, §5.2
 */
export async function refreshAccessToken(
  deps: HttpDeps,
  p: {
    tokenUrl: string;
    client: ClientCredentials;
    refreshToken: string;
    insecure: boolean;
    /** Other secrets to redact from the server's text, e.g. the current access token. */
    knownSecrets?: readonly string[];
  },
): Promise<TokenSet> {
  if (p.refreshToken === "") {
    throw new AuthRequiredError(
      "Cannot refresh: this session has no refresh token. Run 'pup auth login' to sign in again",
    );
  }
  const as = server(p.tokenUrl, { token_endpoint: p.tokenUrl });
  const res = await send("token refresh", p.tokenUrl, () =>
    oauth.refreshTokenGrantRequest(
      as,
      { client_id: p.client.client_id },
      clientAuth(p.client),
      p.refreshToken,
      options(deps, p.insecure),
    ));
  return await processTokenResponse(await readBody(res), {
    grant: "refresh_token",
    clientId: p.client.client_id,
    now: deps.clock.now(),
    previousRefreshToken: p.refreshToken,
    secrets: [p.refreshToken, p.client.client_secret ?? "", ...(p.knownSecrets ?? [])],
  });
}

/**
 * Revokes a token, best effort (logout removes the local session whatever happens here).
 *
 * @param deps fetch (and clock, unused)
 * @param p the revocation endpoint, the client, the token and its type hint
 * @returns whether the server answered 2xx; never throws
 * @see RFC 7009 §2.1, §2.2
 */
export async function revokeToken(
  deps: HttpDeps,
  p: {
    revokeUrl: string;
    client: ClientCredentials;
    token: string;
    hint: "refresh_token" | "access_token";
    insecure: boolean;
  },
): Promise<boolean> {
  try {
    const as = server(p.revokeUrl, { revocation_endpoint: p.revokeUrl });
    const res = await oauth.revocationRequest(
      as,
      { client_id: p.client.client_id },
      clientAuth(p.client),
      p.token,
      { ...options(deps, p.insecure), additionalParameters: { token_type_hint: p.hint } },
    );
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

function clientAuth(client: ClientCredentials): oauth.ClientAuth {
  switch (clientAuthMethod(client)) {
    case "client_secret_post":
      return oauth.ClientSecretPost(client.client_secret!);
    case "client_secret_basic":
      return oauth.ClientSecretBasic(client.client_secret!);
    default:
      return oauth.None();
  }
}

// The issuer is never compared (no id_token, no `iss`); the library only needs a string.
function server(
  url: string,
  endpoints: Partial<oauth.AuthorizationServer>,
): oauth.AuthorizationServer {
  return { issuer: new URL(url).origin, ...endpoints };
}

function options(deps: HttpDeps, insecure: boolean) {
  return {
    [oauth.customFetch]: (url: string, init: oauth.CustomFetchOptions<string, unknown>) =>
      deps.fetch(url, init as RequestInit),
    [oauth.allowInsecureRequests]: insecure,
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  };
}

async function send(what: string, url: string, request: () => Promise<Response>) {
  try {
    return await request();
  } catch (e) {
    if (e instanceof oauth.OperationProcessingError && e.code === oauth.HTTP_REQUEST_FORBIDDEN) {
      throw new OAuthError(
        "insecure_request",
        `Refusing to send the ${what} to ${JSON.stringify(url)} over plain http: use https ` +
          "(plain http is allowed only for a PUP_MOCK_SERVER on loopback)",
      );
    }
    const cause = e instanceof DOMException && e.name === "TimeoutError"
      ? `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`
      : networkErrorKind(e);
    throw new OAuthError(
      "network_error",
      `The ${what} to "${new URL(url).host}" failed: ${cause}. Check your network ` +
        "connection, proxy settings and the site (--site or DD_SITE), then try again",
      { cause: e },
    );
  }
}
