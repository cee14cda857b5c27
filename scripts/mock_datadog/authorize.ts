/**
 * `GET /oauth2/v1/authorize` and the consent form's `POST /oauth2/v1/authorize/decision`.
 *
 * @module
 */

import { escapeHtml, findRepeated, htmlPage, readForm, redirectWith, withFault } from "./http.ts";
import { type MockState, type PendingAuthorization, randomValue, takeFault } from "./state.ts";

function badRequestPage(message: string): Response {
  return htmlPage(
    400,
    "Datadog (mock) - Invalid authorization request",
    `<h1>Invalid authorization request</h1>\n<p id="error">${escapeHtml(message)}</p>`,
  );
}

/** Sends the user back to the client with a code, after consent. */
function approve(state: MockState, pending: PendingAuthorization): Response {
  const code = randomValue("mock_code_");
  state.codes.set(code, {
    grant: { clientId: pending.clientId, scope: pending.scope, revoked: false },
    redirectUri: pending.redirectUri,
    challenge: pending.challenge,
    createdAt: state.opts.now(),
    used: false,
  });
  return redirectWith(pending.redirectUri, {
    code,
    state: pending.state,
    dd_oid: state.opts.orgUuid,
    dd_org_name: state.opts.orgName,
    domain: state.opts.domain,
  });
}

function consentPage(state: MockState, requestId: string, pending: PendingAuthorization): Response {
  const client = state.clients.get(pending.clientId)!;
  const scopes = pending.scope.split(" ").map((s) => `<li>${escapeHtml(s)}</li>`).join("");
  const org = state.opts.orgName === undefined
    ? ""
    : ` in org <strong>${escapeHtml(state.opts.orgName)}</strong>`;
  // The script uses click() rather than form.submit() so the button's name=value is sent, as a
  // person's click would.
  const script = state.opts.autoSubmit
    ? `\n<script>document.getElementById("approve").click();</script>`
    : "";
  return htmlPage(
    200,
    "Datadog (mock) - Authorize application",
    `<h1>Authorize ${escapeHtml(client.client_name)}</h1>
<p><strong>${escapeHtml(client.client_name)}</strong> asks for access${org} with these scopes:</p>
<ul id="scopes">${scopes}</ul>
<form id="consent" method="post" action="/oauth2/v1/authorize/decision">
<input type="hidden" name="request_id" value="${escapeHtml(requestId)}">
<button type="submit" id="approve" name="decision" value="approve">Authorize</button>
<button type="submit" id="deny" name="decision" value="deny">Deny</button>
</form>${script}`,
  );
}

/** Validates everything that can be reported back to a verified redirect URI. */
function validateRequest(
  state: MockState,
  q: URLSearchParams,
): { error: string; description: string } | undefined {
  const repeated = findRepeated(q);
  if (repeated !== undefined) {
    return { error: "invalid_request", description: `Parameter "${repeated}" is repeated` };
  }
  if (q.get("response_type") !== "code") {
    return { error: "unsupported_response_type", description: 'response_type must be "code"' };
  }
  if (!q.get("state")) return { error: "invalid_request", description: "state is required" };
  if (!q.get("code_challenge")) {
    return { error: "invalid_request", description: "code_challenge is required (PKCE)" };
  }
  if (q.get("code_challenge_method") !== "S256") {
    return { error: "invalid_request", description: 'code_challenge_method must be "S256"' };
  }
  const scopes = (q.get("scope") ?? "").split(" ").filter((s) => s !== "");
  if (scopes.length === 0) return { error: "invalid_scope", description: "scope is required" };
  const rejected = scopes.filter((s) => state.opts.rejectScopes.includes(s));
  if (rejected.length > 0) {
    return { error: "invalid_scope", description: `Unknown scope(s): ${rejected.join(", ")}` };
  }
  return undefined;
}

/**
 * Starts an authorization: checks the client and redirect URI (a bad one gets a 400 page, never
 * a redirect), then the other parameters (errors go back to the client), then shows the consent
 * page or, with `autoApprove`, redirects with a code at once.
 *
 * @param req the request
 * @param state the mock's state
 * @returns the response
 * @see RFC 6749 §4.1.1, §4.1.2.1; RFC 7636 §4.3, §4.4.1
 */
export async function handleAuthorize(req: Request, state: MockState): Promise<Response> {
  const q = new URL(req.url).searchParams;
  state.stats.authorizeRequests += 1;
  state.stats.lastAuthorizeParams = Object.fromEntries(q);
  return await withFault(takeFault(state, "authorize"), "authorize", () => {
    const clientId = q.get("client_id");
    const client = clientId === null ? undefined : state.clients.get(clientId);
    if (client === undefined) {
      return badRequestPage(`Unknown client_id ${JSON.stringify(clientId ?? "")}`);
    }
    const redirectUri = q.get("redirect_uri") ?? "";
    if (q.getAll("redirect_uri").length !== 1 || !client.redirect_uris.includes(redirectUri)) {
      return badRequestPage(
        `redirect_uri ${JSON.stringify(redirectUri)} is not registered for this client`,
      );
    }
    const problem = validateRequest(state, q);
    if (problem !== undefined) {
      return redirectWith(redirectUri, {
        error: problem.error,
        error_description: problem.description,
        state: q.get("state") || undefined,
      });
    }
    const pending: PendingAuthorization = {
      clientId: client.client_id,
      redirectUri,
      state: q.get("state")!,
      scope: q.get("scope")!.split(" ").filter((s) => s !== "").join(" "),
      challenge: q.get("code_challenge")!,
    };
    if (state.opts.autoApprove) return approve(state, pending);
    const requestId = randomValue("mock_req_", 16);
    state.pending.set(requestId, pending);
    return consentPage(state, requestId, pending);
  });
}

/**
 * Takes the consent form's answer: approve redirects with a code, deny with `access_denied`.
 * Each consent can be answered once.
 *
 * @param req the form POST
 * @param state the mock's state
 * @returns the response
 * @see RFC 6749 §4.1.2, §4.1.2.1
 */
export async function handleDecision(req: Request, state: MockState): Promise<Response> {
  const parsed = await readForm(req);
  if (!parsed.ok) return badRequestPage(parsed.description);
  const requestId = parsed.form.get("request_id") ?? "";
  const pending = state.pending.get(requestId);
  if (pending === undefined) {
    return badRequestPage("This authorization request is unknown or was already answered");
  }
  const decision = parsed.form.get("decision");
  if (decision !== "approve" && decision !== "deny") {
    return badRequestPage('decision must be "approve" or "deny"');
  }
  state.pending.delete(requestId);
  if (decision === "deny") {
    state.stats.consentDecisions.denied += 1;
    return redirectWith(pending.redirectUri, {
      error: "access_denied",
      error_description: "The user denied the authorization request",
      state: pending.state,
    });
  }
  state.stats.consentDecisions.approved += 1;
  return approve(state, pending);
}
