/**
 * `POST /api/v2/oauth2/register`: Dynamic Client Registration, as strict as Datadog's.
 *
 * @module
 */

import { hasMediaType, json, readBody, withFault } from "./http.ts";
import { type MockState, randomValue, type RegisteredClient, takeFault } from "./state.ts";

const SUPPORTED_GRANTS = ["authorization_code", "refresh_token"];
const REDIRECT_PATTERN = /^http:\/\/127\.0\.0\.1:(\d{1,5})\/oauth\/callback$/;

function registrationError(error: string, description: string): Response {
  return json(400, { error, error_description: description });
}

function checkMetadata(
  body: unknown,
  allowedPorts: readonly number[],
): Response | { client_name: string; redirect_uris: string[]; grant_types: string[] } {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return registrationError("invalid_client_metadata", "The body must be a JSON object");
  }
  const meta = body as Record<string, unknown>;
  if (typeof meta.client_name !== "string" || meta.client_name === "") {
    return registrationError("invalid_client_metadata", '"client_name" must be a non-empty string');
  }
  const uris = meta.redirect_uris;
  if (!Array.isArray(uris) || uris.length === 0) {
    return registrationError("invalid_redirect_uri", '"redirect_uris" must be a non-empty array');
  }
  for (const uri of uris) {
    const match = typeof uri === "string" ? REDIRECT_PATTERN.exec(uri) : null;
    if (match === null || !allowedPorts.includes(Number(match[1]))) {
      return registrationError(
        "invalid_redirect_uri",
        `Redirect URI ${JSON.stringify(uri)} is not allowed: use ` +
          `http://127.0.0.1:<port>/oauth/callback with a port in [${allowedPorts.join(", ")}]`,
      );
    }
  }
  const grants = meta.grant_types;
  if (
    !Array.isArray(grants) || grants.length === 0 ||
    !grants.every((g) => typeof g === "string" && SUPPORTED_GRANTS.includes(g))
  ) {
    return registrationError(
      "invalid_client_metadata",
      `"grant_types" must be a non-empty array of ${SUPPORTED_GRANTS.join(", ")}`,
    );
  }
  return { client_name: meta.client_name, redirect_uris: uris as string[], grant_types: grants };
}

/**
 * Registers a client. Answers 201 with the client's metadata; a `client_secret` is issued only
 * when the mock runs with a secret-based `clientAuth`.
 *
 * @param req the request
 * @param state the mock's state
 * @returns the response
 * @see RFC 7591 §3.1 (request), §3.2.1 (response), §3.2.2 (errors)
 */
export async function handleRegister(req: Request, state: MockState): Promise<Response> {
  const text = await readBody(req);
  state.stats.registrations += 1;
  return await withFault(takeFault(state, "register"), "register", () => {
    if (!hasMediaType(req, "application/json")) {
      return registrationError("invalid_client_metadata", "Content-Type must be application/json");
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return registrationError("invalid_client_metadata", "The body is not valid JSON");
    }
    const meta = checkMetadata(body, state.opts.allowedRedirectPorts);
    if (meta instanceof Response) return meta;
    const method = state.opts.clientAuth;
    const client: RegisteredClient = {
      client_id: crypto.randomUUID(),
      ...meta,
      token_endpoint_auth_method: method,
    };
    if (method !== "none") client.client_secret = randomValue("mock_secret_");
    state.clients.set(client.client_id, client);
    state.stats.clientIds.push(client.client_id);
    const answer: Record<string, unknown> = {
      client_id: client.client_id,
      client_name: client.client_name,
      redirect_uris: client.redirect_uris,
      grant_types: client.grant_types,
      token_endpoint_auth_method: method,
      client_id_issued_at: Math.floor(state.opts.now() / 1000),
    };
    if (client.client_secret !== undefined) {
      answer.client_secret = client.client_secret;
      answer.client_secret_expires_at = 0;
    }
    return json(201, answer, { "cache-control": "no-store" });
  });
}
