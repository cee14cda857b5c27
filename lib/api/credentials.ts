/**
 * Which credential an API call uses (SPEC §3, ref §11.2): `DD_ACCESS_TOKEN` (or config
 * `access_token`) > the stored OAuth session for (site, org), refreshed when under 5 minutes
 * remain > `DD_API_KEY` + `DD_APP_KEY` (or config `api_key`/`app_key`). Endpoints on the
 * OAuth-excluded table use API keys or fail. Unlike the Rust `pup`, a session that cannot be
 * refreshed says why instead of silently looking like "not logged in" (ref §12 item 7).
 *
 * @module
 */

import { getAccessToken, type SessionTarget } from "../auth/session_tokens.ts";
import { needsRefresh } from "../auth/expiry.ts";
import { loginCommand } from "../auth/login_command.ts";
import type { FileConfig } from "../config/config_file.ts";
import type { Deps } from "../deps.ts";
import { AuthRequiredError } from "../errors.ts";
import { tokenFor } from "../storage/codec.ts";
import { checkSecret } from "../sanitize.ts";
import type { SiteStateStore, TokenSet } from "../storage/types.ts";
import { keyRequirement } from "./oauth_excluded.ts";

/** A credential ready to be put in headers. */
export type Credential =
  | { kind: "token"; source: "DD_ACCESS_TOKEN" | "config"; token: string }
  | { kind: "session"; tokens: TokenSet; store: SiteStateStore }
  | { kind: "keys"; apiKey: string; appKey?: string };

/** Where credentials come from; the store is opened only when it is needed. */
export interface CredentialSources {
  config: Pick<FileConfig, "access_token" | "api_key" | "app_key" | "path">;
  store: () => Promise<SiteStateStore>;
}

/** The chosen credential, whether a refresh happened, and warnings for stderr. */
export interface ResolvedCredential {
  credential: Credential;
  refreshed: boolean;
  warnings: string[];
}

type CredDeps = Pick<Deps, "fetch" | "clock" | "configDir" | "env">;

/**
 * Headers carrying a credential.
 *
 * @param c the credential
 * @returns `Authorization: Bearer …`, or `DD-API-KEY` (+ `DD-APPLICATION-KEY`)
 * @see RFC 6750 §2.1
 */
export function authHeaders(c: Credential): Record<string, string> {
  if (c.kind === "token") return { authorization: `Bearer ${c.token}` };
  if (c.kind === "session") return { authorization: `Bearer ${c.tokens.access_token}` };
  return c.appKey === undefined
    ? { "dd-api-key": c.apiKey }
    : { "dd-api-key": c.apiKey, "dd-application-key": c.appKey };
}

/**
 * The credentials from the environment and config.yaml, each refused when it carries a control
 * character (a newline would end up quoted in the runtime's header error).
 *
 * @param env the environment snapshot
 * @param config config.yaml values, already checked when the file was read
 * @returns the API key, application key and access token in force, if any
 * @throws {UsageError} naming the variable, never its value
 */
export function envCredentials(
  env: Readonly<Record<string, string | undefined>>,
  config: Pick<FileConfig, "access_token" | "api_key" | "app_key">,
): { apiKey?: string; appKey?: string; accessToken?: string } {
  const pick = (name: string, fromConfig: string | undefined) => {
    const v = env[name];
    if (v) return checkSecret(v, name);
    return fromConfig || undefined;
  };
  return {
    apiKey: pick("DD_API_KEY", config.api_key),
    appKey: pick("DD_APP_KEY", config.app_key),
    accessToken: pick("DD_ACCESS_TOKEN", config.access_token),
  };
}

/** The login command for a session (one helper for every hint; see `lib/auth/login_command.ts`). */
export { loginCommand } from "../auth/login_command.ts";

/** A bearer credential: a token from the environment or config, or the stored session. */
export type BearerCredential = Extract<Credential, { kind: "token" | "session" }>;

/**
 * The bearer credential in force, fresh: `DD_ACCESS_TOKEN`, then config `access_token`, then
 * the stored session of (site, org), refreshed first when under 5 minutes remain. The one place
 * that decides "which token, and is it fresh" for API calls and `pup auth token`.
 *
 * @param deps fetch and clock (a refresh), the config dir (its lock), the environment
 * @param sources config values and the token store
 * @param subject the session's site and org
 * @param target builds the trust-gated target; called only when a refresh must be sent
 * @returns the credential and whether it was refreshed, or `undefined` when there is no token
 *   and no stored session
 * @throws {AuthRequiredError} when the session exists but cannot be refreshed
 */
export async function bearerCredential(
  deps: CredDeps,
  sources: CredentialSources,
  subject: { site: string; org: string | null },
  target: () => SessionTarget,
): Promise<{ credential: BearerCredential; refreshed: boolean } | undefined> {
  const { accessToken } = envCredentials(deps.env, sources.config);
  if (accessToken) {
    const source = deps.env.DD_ACCESS_TOKEN ? "DD_ACCESS_TOKEN" : "config";
    return { credential: { kind: "token", source, token: accessToken }, refreshed: false };
  }
  const store = await sources.store();
  const stored = tokenFor(await store.read(subject.site), subject.org);
  if (!stored) return undefined;
  if (!needsRefresh(stored, deps.clock.now())) {
    return { credential: { kind: "session", tokens: stored, store }, refreshed: false };
  }
  const { tokens, refreshed } = await getAccessToken(deps, store, target());
  return { credential: { kind: "session", tokens, store }, refreshed };
}

/**
 * Picks the credential for one request.
 *
 * @param deps fetch and clock (for a refresh), the config dir (its lock), the environment
 * @param sources config values and the token store
 * @param target the session, already through the trust gate
 * @param method the HTTP method
 * @param path the request path, without query
 * @returns the credential
 * @throws {AuthRequiredError} when nothing usable exists (exit 3), naming the ways to fix it
 * @throws {StorageCorruptError} when the store cannot be parsed (exit 1); nothing is written
 * @see RFC 6749 §6 (the refresh done on the way)
 */
export async function resolveCredential(
  deps: CredDeps,
  sources: CredentialSources,
  target: SessionTarget,
  method: string,
  path: string,
): Promise<ResolvedCredential> {
  const { apiKey, appKey } = envCredentials(deps.env, sources.config);
  const warnings: string[] = [];
  const requirement = keyRequirement(method, path);
  const m = method.toUpperCase();
  if (requirement === "api_key_only") {
    if (apiKey) return { credential: { kind: "keys", apiKey }, refreshed: false, warnings };
    throw new AuthRequiredError(
      `${m} ${path} requires DD_API_KEY; OAuth2 bearer tokens are not supported`,
    );
  }
  if (requirement === "api_and_app_keys") {
    if (apiKey && appKey) {
      return { credential: { kind: "keys", apiKey, appKey }, refreshed: false, warnings };
    }
    throw new AuthRequiredError(
      `${m} ${path} requires DD_API_KEY and DD_APP_KEY; OAuth2 bearer tokens are not supported`,
    );
  }
  try {
    const bearer = await bearerCredential(deps, sources, target, () => target);
    if (bearer) return { ...bearer, warnings };
  } catch (e) {
    if (!(e instanceof AuthRequiredError) || !apiKey || !appKey) throw e;
    // The session is dead but keys are configured: use them, and say why out loud.
    warnings.push(`Warning: ${e.message}. Using DD_API_KEY and DD_APP_KEY instead.`);
    return { credential: { kind: "keys", apiKey, appKey }, refreshed: false, warnings };
  }
  if (apiKey && appKey) {
    return { credential: { kind: "keys", apiKey, appKey }, refreshed: false, warnings };
  }
  const suffix = target.org ? ` (org "${target.org}")` : "";
  const half = apiKey
    ? " (DD_API_KEY is set but DD_APP_KEY is not)"
    : appKey
    ? " (DD_APP_KEY is set but DD_API_KEY is not)"
    : "";
  throw new AuthRequiredError(
    `Not authenticated for "${target.site}"${suffix}${half}: run '${
      loginCommand(target)
    }' for OAuth2, set DD_ACCESS_TOKEN for bearer auth, or set DD_API_KEY and DD_APP_KEY for API+APP key auth`,
  );
}
