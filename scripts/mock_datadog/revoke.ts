/**
 * `POST /oauth2/v1/revoke`: token revocation.
 *
 * @module
 */

import { authenticateClient } from "./client_auth.ts";
import { oauthError, readForm, withFault } from "./http.ts";
import { type MockState, takeFault } from "./state.ts";

/**
 * Revokes an access or refresh token of the calling client. A known client always gets 200,
 * even for an unknown token or one of another client (then nothing is revoked). Every request
 * is recorded in `stats.revocations`.
 *
 * @param req the request
 * @param state the mock's state
 * @returns the response
 * @see RFC 7009 §2.1, §2.2
 */
export async function handleRevoke(req: Request, state: MockState): Promise<Response> {
  const parsed = await readForm(req);
  const entry = {
    token_type_hint: parsed.ok ? parsed.form.get("token_type_hint") : null,
    ok: false,
  };
  state.stats.revocations.push(entry);
  return await withFault(takeFault(state, "revoke"), "revoke", () => {
    if (!parsed.ok) return oauthError("invalid_request", parsed.description);
    const auth = authenticateClient(req, parsed.form, state);
    if (!auth.ok) return auth.response;
    const token = parsed.form.get("token");
    if (!token) return oauthError("invalid_request", "token is required");
    // The hint only orders the search (RFC 7009 §2.1), so both kinds are looked up.
    const record = state.accessTokens.get(token) ?? state.refreshTokens.get(token);
    if (record !== undefined && record.grant.clientId === auth.client.client_id) {
      record.revoked = true;
      entry.ok = true;
    }
    return new Response(null, { status: 200, headers: { "cache-control": "no-store" } });
  });
}
