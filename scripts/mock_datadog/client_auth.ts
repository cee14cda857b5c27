/**
 * Client authentication at the token and revoke endpoints, enforcing the method the client was
 * registered with.
 *
 * @module
 */

import { oauthError } from "./http.ts";
import type { MockState, RegisteredClient } from "./state.ts";

/** The authenticated client, or the error response to send. */
export type ClientAuthResult = { ok: true; client: RegisteredClient } | {
  ok: false;
  response: Response;
};

function decodeFormComponent(text: string): string {
  return decodeURIComponent(text.replace(/\+/g, " "));
}

/**
 * Decodes `Authorization: Basic` credentials: base64 of the form-urlencoded id, a colon, and
 * the form-urlencoded secret.
 *
 * @param header the Authorization header value
 * @returns id and secret, or `undefined` when the header is not valid Basic credentials
 * @see RFC 6749 §2.3.1; RFC 7617 §2
 */
export function parseBasicCredentials(
  header: string,
): { id: string; secret: string } | undefined {
  const match = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header);
  if (match === null) return undefined;
  try {
    const decoded = new TextDecoder("utf-8", { fatal: true }).decode(
      Uint8Array.fromBase64(match[1]),
    );
    const colon = decoded.indexOf(":");
    if (colon < 0) return undefined;
    return {
      id: decodeFormComponent(decoded.slice(0, colon)),
      secret: decodeFormComponent(decoded.slice(colon + 1)),
    };
  } catch {
    return undefined;
  }
}

/**
 * Authenticates the client of a token or revoke request. A public client must send only its
 * `client_id`; `client_secret_post` needs the secret in the form and no Basic header;
 * `client_secret_basic` needs the Basic header and no secret in the form.
 *
 * @param req the request (for its Authorization header)
 * @param form its parsed form
 * @param state the mock's state
 * @returns the client, or an `invalid_client` / `invalid_request` response
 * @see RFC 6749 §2.3 (one method per request), §2.3.1, §3.2.1; RFC 7591 §2
 */
export function authenticateClient(
  req: Request,
  form: URLSearchParams,
  state: MockState,
): ClientAuthResult {
  const fail = (error: string, description: string): ClientAuthResult => ({
    ok: false,
    response: oauthError(error, description),
  });
  const header = req.headers.get("authorization");
  const basic = header === null ? undefined : parseBasicCredentials(header);
  if (header !== null && basic === undefined) {
    return fail("invalid_client", "The Authorization header is not valid Basic credentials");
  }
  const formId = form.get("client_id");
  const formSecret = form.get("client_secret");
  if (basic !== undefined && formSecret !== null) {
    return fail("invalid_request", "Use only one client authentication method per request");
  }
  if (basic !== undefined && formId !== null && formId !== basic.id) {
    return fail("invalid_client", "client_id in the form differs from the Basic credentials");
  }
  const clientId = basic?.id ?? formId;
  if (!clientId) return fail("invalid_client", "client_id is required");
  const client = state.clients.get(clientId);
  if (client === undefined) return fail("invalid_client", "Unknown client");
  switch (client.token_endpoint_auth_method) {
    case "none":
      if (basic !== undefined || formSecret !== null) {
        return fail("invalid_client", "This is a public client: send client_id only, no secret");
      }
      break;
    case "client_secret_post":
      if (basic !== undefined) {
        return fail("invalid_client", "This client must authenticate with client_secret_post");
      }
      if (formSecret !== client.client_secret) {
        return fail("invalid_client", "Client authentication failed");
      }
      break;
    case "client_secret_basic":
      if (basic === undefined) {
        return fail("invalid_client", "This client must authenticate with HTTP Basic");
      }
      if (basic.secret !== client.client_secret) {
        return fail("invalid_client", "Client authentication failed");
      }
      break;
  }
  return { ok: true, client };
}
