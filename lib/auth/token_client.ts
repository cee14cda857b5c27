/**
 * Which client a session's tokens belong to, for refresh and revocation.
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
