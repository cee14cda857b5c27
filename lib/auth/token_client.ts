/**
 * Which client a session's tokens belong to, and whether the session can be refreshed: the one
 * place this is decided, for the refresh itself (`session_tokens.ts`), logout's revocation and
 * what `auth status` reports.
 *
 * @module
 */

import type { ClientCredentials, TokenSet } from "../storage/types.ts";

/**
 * The client a session refreshes (and revokes) with: the one that issued its tokens (`client_id` of its own
 * token set), as the server requires (RFC 6749 §6). The site's stored registration supplies
 * the secret and method only when it is that same client; a session whose client is no longer
 * stored (a default logout removed it, or a new registration replaced it) refreshes as the
 * public client Datadog registers. So sibling sessions survive a default logout.
 *
 * @param tokens the session's token set
 * @param site the site's stored client, if any
 * @param siteName the site, for the record
 * @returns the client to present, or `undefined` when the token set names none and none is stored
 */
export function tokenClient(
  tokens: TokenSet,
  site: ClientCredentials | null,
  siteName: string,
): ClientCredentials | undefined {
  if (site && (tokens.client_id === "" || tokens.client_id === site.client_id)) return site;
  if (tokens.client_id === "") return undefined;
  return {
    client_id: tokens.client_id,
    client_name: "datadog-pup-cli",
    redirect_uris: [],
    registered_at: 0,
    site: siteName,
    token_endpoint_auth_method: "none",
  };
}

/** Whether a session can be refreshed, and why not. */
export type Refreshability =
  | { ok: true; client: ClientCredentials }
  | { ok: false; why: string };

/**
 * Decides whether `tokens` can be refreshed: it needs a refresh token and a client (see
 * {@link tokenClient}) that the server has not refused (`rejected_at`, set on `invalid_client`).
 *
 * @param tokens the session's token set
 * @param site the site's stored client, if any
 * @param siteName the site
 * @returns the client to refresh with, or the reason in words (`... cannot be refreshed: <why>`)
 */
export function refreshability(
  tokens: TokenSet,
  site: ClientCredentials | null,
  siteName: string,
): Refreshability {
  if (tokens.refresh_token === "") return { ok: false, why: "there is no refresh token" };
  const client = tokenClient(tokens, site, siteName);
  if (!client) {
    return {
      ok: false,
      why:
        "the site's client registration is gone (a 'pup auth logout' of the default session removes it)",
    };
  }
  if (client.rejected_at !== undefined) {
    return {
      ok: false,
      why: `the server refused the client registration of "${siteName}" at ${
        new Date(client.rejected_at * 1000).toISOString()
      } (invalid_client)`,
    };
  }
  return { ok: true, client };
}
