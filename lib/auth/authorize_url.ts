/**
 * The browser step's URL: the authorization request of the code flow with PKCE, with the
 * parameters in the Rust `pup`'s order (ref §4.3) so both produce the same address.
 *
 * @module
 */

/** What goes into an authorization request. */
export interface AuthorizeUrlParams {
  /** The authorization endpoint, e.g. `https://app.datadoghq.com/oauth2/v1/authorize`. */
  authorizeUrl: string;
  /** The DCR `client_id`. */
  clientId: string;
  /** The loopback redirect URI of this login's callback server. */
  redirectUri: string;
  /** This flow's `state`. */
  state: string;
  /** The scopes to request; sent sorted and space separated. */
  scopes: readonly string[];
  /** The S256 code challenge. */
  codeChallenge: string;
  /** An org UUID hint (`dd_oid`); sent only when non-empty. */
  orgUuid?: string;
}

/**
 * Builds the authorization request URL. Parameters, in order: `response_type=code`,
 * `client_id`, `redirect_uri`, `state`, `scope` (sorted, space separated),
 * `code_challenge`, `code_challenge_method=S256`, then `dd_oid` when an org UUID is given.
 * The query is `application/x-www-form-urlencoded` (a space becomes `+`).
 *
 * @param p the request's values
 * @returns the URL to open in the browser
 * @throws {TypeError} when `authorizeUrl` is not an http(s) URL
 * @see RFC 6749 §4.1.1 (authorization request), RFC 7636 §4.3 (code_challenge),
 *   RFC 8252 §7.3 (loopback redirect)
 */
export function buildAuthorizeUrl(p: AuthorizeUrlParams): string {
  let endpoint: URL;
  try {
    endpoint = new URL(p.authorizeUrl);
  } catch {
    throw new TypeError(
      `Cannot build the authorize URL from ${JSON.stringify(p.authorizeUrl)}: it is not a URL`,
    );
  }
  if (endpoint.protocol !== "https:" && endpoint.protocol !== "http:") {
    throw new TypeError(
      `Cannot build the authorize URL from ${JSON.stringify(p.authorizeUrl)}: ` +
        "only http and https URLs are allowed",
    );
  }
  const query = new URLSearchParams();
  query.append("response_type", "code");
  query.append("client_id", p.clientId);
  query.append("redirect_uri", p.redirectUri);
  query.append("state", p.state);
  query.append("scope", [...new Set(p.scopes)].sort().join(" "));
  query.append("code_challenge", p.codeChallenge);
  query.append("code_challenge_method", "S256");
  if (p.orgUuid !== undefined && p.orgUuid !== "") query.append("dd_oid", p.orgUuid);
  // An endpoint that already has a query keeps it, ours follows; a fragment would hide ours.
  const existing = endpoint.search.length > 1 ? `${endpoint.search}&` : "?";
  return `${endpoint.origin}${endpoint.pathname}${existing}${query}`;
}
