/**
 * Routes requests to the mock's handlers, including the unauthenticated control API under
 * `/__mock/` that lets separate processes steer the mock.
 *
 * @module
 */

import { handleApi } from "./api.ts";
import { handleAuthorize, handleDecision } from "./authorize.ts";
import { BodyTooLargeError, json, readBody } from "./http.ts";
import { parseFault } from "./options.ts";
import { handleRegister } from "./register.ts";
import { handleRevoke } from "./revoke.ts";
import { addFault, expireAll, forgetClients, type MockState } from "./state.ts";
import { handleToken } from "./token.ts";

type Handler = (req: Request, state: MockState) => Promise<Response> | Response;

async function setFaults(req: Request, state: MockState): Promise<Response> {
  let faults;
  try {
    const value: unknown = JSON.parse(await readBody(req));
    faults = (Array.isArray(value) ? value : [value]).map(parseFault);
  } catch (e) {
    return json(400, { errors: [e instanceof Error ? e.message : String(e)] });
  }
  for (const fault of faults) addFault(state, fault);
  return json(200, { faults: state.faults.length });
}

const ROUTES: Record<string, Record<string, Handler>> = {
  "/api/v2/oauth2/register": { POST: handleRegister },
  "/oauth2/v1/authorize": { GET: handleAuthorize },
  "/oauth2/v1/authorize/decision": { POST: handleDecision },
  "/oauth2/v1/token": { POST: handleToken },
  "/oauth2/v1/revoke": { POST: handleRevoke },
  "/__mock/faults": {
    GET: (_req, state) =>
      json(
        200,
        state.faults.map(({ fault, remaining }) => ({
          ...fault,
          remaining: Number.isFinite(remaining) ? remaining : null,
        })),
      ),
    POST: setFaults,
    DELETE: (_req, state) => {
      state.faults.splice(0);
      return json(200, { faults: 0 });
    },
  },
  "/__mock/stats": { GET: (_req, state) => json(200, state.stats) },
  "/__mock/forget-clients": {
    POST: (_req, state) => json(200, { forgotten: forgetClients(state) }),
  },
  "/__mock/expire-all": {
    POST: (_req, state) => {
      expireAll(state);
      return json(200, { expired: state.accessTokens.size });
    },
  },
};

async function route(req: Request, state: MockState): Promise<Response> {
  const { pathname } = new URL(req.url);
  const methods = ROUTES[pathname];
  if (methods === undefined) {
    if (pathname.startsWith("/api/")) return await handleApi(req, state);
    return json(404, { errors: ["Not found"] });
  }
  const handler = methods[req.method];
  if (handler === undefined) {
    return json(405, { errors: ["Method not allowed"] }, {
      allow: Object.keys(methods).join(", "),
    });
  }
  return await handler(req, state);
}

/**
 * Builds the `Deno.serve` handler for one mock state. A body over 1 MB gets 413; an unexpected
 * failure gets a 500 without details (which could include a token).
 *
 * @param state the mock's state
 * @returns the request handler
 */
export function createHandler(state: MockState): (req: Request) => Promise<Response> {
  return async (req) => {
    try {
      return await route(req, state);
    } catch (e) {
      if (e instanceof BodyTooLargeError) return json(413, { errors: [e.message] });
      return json(500, { errors: ["Internal mock error"] });
    }
  };
}
