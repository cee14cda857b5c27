/**
 * One authenticated Datadog API call: pick the credential (refreshing the session first when
 * under 5 minutes remain), send it, and on a 401 with the session's token refresh once and
 * retry once (the Rust `pup` never retries, ref §11.3). 401/403 end as `AuthRequiredError`
 * (exit 3) with the next command; other failures as `ApiError` (exit 1).
 *
 * @module
 */

import { getAccessToken, type SessionTarget } from "../auth/session_tokens.ts";
import type { Deps } from "../deps.ts";
import { AuthRequiredError } from "../errors.ts";
import { VERSION } from "../version.ts";
import { type ApiBody, apiFailure, describeFailure, processApiSuccess } from "./api_response.ts";
import {
  authHeaders,
  type Credential,
  type CredentialSources,
  loginCommand,
  resolveCredential,
} from "./credentials.ts";
import { scopeFor } from "./endpoint_scopes.ts";
import { type HttpOptions, sendWithRetries } from "./http.ts";

/** The line printed on stderr after an automatic refresh (as the Rust `pup`). */
export const REFRESHED_NOTICE = "🔄 Access token refreshed automatically.";

/** The User-Agent of every API request. */
export const USER_AGENT = `pup-deno/${VERSION}`;

/** Headers a caller may not set: they carry credentials, or pup owns them. */
const RESERVED_HEADERS = new Set([
  "authorization",
  "proxy-authorization",
  "dd-api-key",
  "dd-application-key",
  "cookie",
  "host",
  "content-length",
]);

/** One API request, before credentials. */
export interface ApiRequest {
  method: string;
  /** Starts with `/`; may carry a query string. */
  path: string;
  /** Extra query parameters, appended to any in `path`. */
  query?: readonly (readonly [string, string])[];
  /** A JSON text sent with `Content-Type: application/json`. */
  body?: string;
  /** Extra headers (never credentials). */
  headers?: Readonly<Record<string, string>>;
}

/** What a successful call returns. */
export interface ApiResult {
  status: number;
  /** The parsed JSON body; `null` when the body was empty. */
  data: unknown;
  /** Which credential answered: `DD_ACCESS_TOKEN`/config token, the stored session, API keys. */
  credential: Credential["kind"];
}

/** Everything a call needs besides the request. */
export interface ApiCallContext {
  target: SessionTarget;
  sources: CredentialSources;
  http?: HttpOptions;
}

type ClientDeps = Pick<Deps, "fetch" | "clock" | "configDir" | "env" | "interrupt" | "io">;

/**
 * Whether a header name may be set by the caller.
 *
 * @param name a header name
 * @returns false for credential headers and those pup owns
 */
export function isReservedHeader(name: string): boolean {
  return RESERVED_HEADERS.has(name.trim().toLowerCase());
}

/**
 * Builds the URL of a request on the site's API base.
 *
 * @param apiBase e.g. `https://api.datadoghq.com`
 * @param req the request
 * @returns the URL
 * @throws {TypeError} when the path would leave the API host
 */
export function requestUrl(apiBase: string, req: Pick<ApiRequest, "path" | "query">): URL {
  if (!req.path.startsWith("/") || req.path.startsWith("//") || req.path.includes("\\")) {
    throw new TypeError(`Cannot call "${req.path}": the path must start with a single "/"`);
  }
  const base = new URL(apiBase);
  const url = new URL(req.path, base);
  if (url.origin !== base.origin) {
    throw new TypeError(`Cannot call "${req.path}": it leaves the API host "${base.host}"`);
  }
  for (const [k, v] of req.query ?? []) url.searchParams.append(k, v);
  return url;
}

/**
 * Calls the API.
 *
 * @param deps fetch, clock, config dir, env, interrupt, and stderr for notices
 * @param ctx the session target (already through the trust gate), credential sources, HTTP
 *   options
 * @param req the request
 * @returns the status and parsed body of a 2xx answer
 * @throws {AuthRequiredError} no usable credential, or 401/403 (exit 3)
 * @throws {ApiError} any other failure, naming the host and the next step (exit 1)
 * @see RFC 6750 §3.1 (`invalid_token` answers), RFC 6749 §6 (refresh)
 */
export async function callApi(
  deps: ClientDeps,
  ctx: ApiCallContext,
  req: ApiRequest,
): Promise<ApiResult> {
  for (const name of Object.keys(req.headers ?? {})) {
    if (isReservedHeader(name)) {
      throw new TypeError(
        `Cannot set the header "${name}": pup sets credentials itself (use DD_ACCESS_TOKEN, 'pup auth login' or DD_API_KEY and DD_APP_KEY)`,
      );
    }
  }
  const url = requestUrl(ctx.target.endpoints.apiBase, req);
  const method = req.method.toUpperCase();
  const label = { what: `${method} ${url.pathname}`, host: url.host };
  const resolved = await resolveCredential(deps, ctx.sources, ctx.target, method, url.pathname);
  for (const w of resolved.warnings) deps.io.err.write(`${w}\n`);
  if (resolved.refreshed) deps.io.err.write(`${REFRESHED_NOTICE}\n`);
  let credential = resolved.credential;

  const send = (c: Credential) =>
    sendWithRetries(deps, {
      method,
      url: url.href,
      headers: {
        ...req.headers,
        accept: "application/json",
        "user-agent": USER_AGENT,
        ...(req.body === undefined ? {} : { "content-type": "application/json" }),
        ...authHeaders(c),
      },
      body: req.body,
    }, ctx.http);

  let body = await send(credential);
  if (body.status === 401 && credential.kind === "session") {
    // The server disagrees with our clock or revoked the token: one forced refresh, one retry.
    const stale = credential.tokens.access_token;
    const renewed = await getAccessToken(deps, credential.store, ctx.target, {
      force: true,
      staleToken: stale,
    });
    if (renewed.refreshed) deps.io.err.write(`${REFRESHED_NOTICE}\n`);
    credential = { ...credential, tokens: renewed.tokens };
    body = await send(credential);
  }
  if (body.status >= 200 && body.status < 300) {
    return {
      status: body.status,
      data: processApiSuccess(body, label),
      credential: credential.kind,
    };
  }
  // The server may quote what it was sent: every credential in play is redacted from its text.
  const secrets = credentialSecrets(resolved.credential, credential);
  if (body.status === 401 || body.status === 403) {
    throw authFailure(body, label, credential, ctx, secrets);
  }
  throw apiFailure(body, label, secrets);
}

function credentialSecrets(...cs: Credential[]): string[] {
  return cs.flatMap((c) =>
    c.kind === "token"
      ? [c.token]
      : c.kind === "session"
      ? [c.tokens.access_token, c.tokens.refresh_token]
      : [c.apiKey, c.appKey ?? ""]
  );
}

function authFailure(
  body: ApiBody,
  label: { what: string; host: string },
  c: Credential,
  ctx: ApiCallContext,
  secrets: readonly string[],
): AuthRequiredError {
  const head = `${label.what} on "${label.host}" was refused`;
  const [method, path] = label.what.split(" ");
  const scope = scopeFor(method, path);
  const why = describeFailure(body, secrets);
  const login = loginCommand(ctx.target);
  const denied = body.status === 403;
  let message: string;
  if (c.kind === "session") {
    message = denied
      ? `${head} (${why}): the session lacks the permission or OAuth scope this endpoint needs${
        scope ? ` (${scope})` : ""
      }. Run '${login} --extra-scopes ${
        scope ?? "<scope>"
      }' to ask for it (it keeps the scopes you have; 'pup auth scopes' lists them), or use DD_API_KEY and DD_APP_KEY`
      : `${head} even after refreshing the access token (${why}). Run '${login}' to sign in again`;
  } else if (c.kind === "token") {
    const from = c.source === "config"
      ? `access_token in ${ctx.sources.config.path ?? "config.yaml"}`
      : "DD_ACCESS_TOKEN";
    message = denied
      ? `${head} (${why}): the token from ${from} lacks the permission or scope this endpoint needs`
      : `${head} (${why}): the token from ${from} is invalid or expired. Set a fresh one, or remove it to use '${login}'`;
  } else {
    const keys = c.appKey === undefined
      ? "DD_API_KEY is a valid key"
      : "DD_API_KEY and DD_APP_KEY are valid keys";
    message =
      `${head} (${why}): check that ${keys} of site "${ctx.target.site}" (DD_SITE) with the needed permissions`;
  }
  return new AuthRequiredError(message);
}
