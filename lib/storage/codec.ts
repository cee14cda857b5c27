/**
 * Strict parsing and exact serialization of the stored shapes, mirroring the Rust `pup`'s serde
 * types (ref §3): required fields, integer types, strings never null. One bad entry makes the
 * Rust `pup` drop a whole per-site map, so we refuse to read it and never write one.
 *
 * @module
 */

import { StorageCorruptError } from "../errors.ts";
import {
  type ClientCredentials,
  DEFAULT_ORG_KEY,
  type SiteState,
  type TokenEndpointAuthMethod,
  type TokenSet,
} from "./types.ts";

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function fail(location: string, detail: string): never {
  throw new StorageCorruptError(
    location,
    `Cannot read "${location}": ${detail}. It was left untouched; fix or move it aside, then run 'pup auth login'`,
  );
}

function str(o: Json, key: string, where: string, location: string, fallback?: string): string {
  const v = o[key];
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== "string") {
    fail(location, `${where}field "${key}" must be a string, found ${describe(v)}`);
  }
  return v;
}

function int(o: Json, key: string, where: string, location: string): number {
  const v = o[key];
  if (typeof v !== "number" || !Number.isSafeInteger(v)) {
    fail(location, `${where}field "${key}" must be an integer, found ${describe(v)}`);
  }
  return v;
}

function describe(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "number") return Number.isInteger(v) ? "an integer" : "a fraction";
  return `a ${typeof v}`;
}

/**
 * Parses JSON text, naming the location when it is not JSON.
 *
 * @param text the stored text
 * @param location file path or keychain entry, for the error
 */
export function parseJson(text: string, location: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    return fail(
      location,
      text.trim() === "" ? "it is empty" : `it is not valid JSON${jsonErrorPlace(text, e)}`,
    );
  }
}

/**
 * Where a JSON parse failed, as " (line L, column C)", or "" when the engine did not say.
 * Never the engine's message itself: V8 quotes the input around the error, and a store's input
 * is tokens.
 */
function jsonErrorPlace(text: string, e: unknown): string {
  const m = /at position (\d+)/.exec(e instanceof Error ? e.message : "");
  if (!m) return "";
  const before = text.slice(0, Number(m[1]));
  const line = before.split("\n").length;
  return ` (line ${line}, column ${before.length - before.lastIndexOf("\n")})`;
}

/**
 * Validates one stored token set as the Rust `pup` would (ref §3).
 *
 * @param value a parsed JSON value
 * @param where prefix naming the entry, e.g. `org "prod": `
 * @param location file path or keychain entry
 * @returns the token set, `expires_at` kept when it is a string
 */
export function parseTokenSet(value: unknown, where: string, location: string): TokenSet {
  if (!isObject(value)) fail(location, `${where}expected a token object, found ${describe(value)}`);
  const t: TokenSet = {
    access_token: str(value, "access_token", where, location),
    refresh_token: str(value, "refresh_token", where, location),
    token_type: str(value, "token_type", where, location, "Bearer"),
    expires_in: int(value, "expires_in", where, location),
    issued_at: int(value, "issued_at", where, location),
    scope: str(value, "scope", where, location, ""),
    client_id: str(value, "client_id", where, location, ""),
  };
  if (typeof value.expires_at === "string") t.expires_at = value.expires_at;
  return t;
}

function looksLikeTokenSet(value: Json): boolean {
  return typeof value.access_token === "string" && "expires_in" in value;
}

/**
 * Parses a per-site token map: `{org: TokenSet}`, or the legacy bare token set read as
 * `{"__default__": it}` (ref §1.3).
 *
 * @param value parsed JSON
 * @param location file path or keychain entry
 * @param allowLegacy accept the bare token-set form (the file store does; the keychain does not)
 */
export function parseTokenMap(
  value: unknown,
  location: string,
  allowLegacy = true,
): Record<string, TokenSet> {
  if (!isObject(value)) {
    fail(location, `expected a JSON object of sessions, found ${describe(value)}`);
  }
  if (allowLegacy && looksLikeTokenSet(value)) {
    return { [DEFAULT_ORG_KEY]: parseTokenSet(value, "", location) };
  }
  // fromEntries defines own properties: an org named "__proto__" cannot change the prototype.
  // Readers look orgs up with `tokenFor` (own properties only).
  return Object.fromEntries(
    Object.entries(value).map((
      [org, entry],
    ) => [org, parseTokenSet(entry, `session "${org}": `, location)]),
  );
}

const AUTH_METHODS = new Set(["none", "client_secret_post", "client_secret_basic"]);

/**
 * Validates stored client credentials (ref §1.4) plus our optional secret and auth method.
 *
 * @param value parsed JSON
 * @param location file path or keychain entry
 */
export function parseClient(value: unknown, location: string): ClientCredentials {
  const where = "client: ";
  if (!isObject(value)) fail(location, `${where}expected an object, found ${describe(value)}`);
  const uris = value.redirect_uris;
  if (!Array.isArray(uris) || !uris.every((u) => typeof u === "string")) {
    fail(location, `${where}field "redirect_uris" must be an array of strings`);
  }
  const c: ClientCredentials = {
    client_id: str(value, "client_id", where, location),
    client_name: str(value, "client_name", where, location),
    redirect_uris: uris as string[],
    registered_at: int(value, "registered_at", where, location),
    site: str(value, "site", where, location),
  };
  if (value.client_secret !== undefined) {
    c.client_secret = str(value, "client_secret", where, location);
  }
  if (value.token_endpoint_auth_method !== undefined) {
    const m = str(value, "token_endpoint_auth_method", where, location);
    if (!AUTH_METHODS.has(m)) fail(location, `${where}unknown token_endpoint_auth_method "${m}"`);
    c.token_endpoint_auth_method = m as TokenEndpointAuthMethod;
  }
  if (value.rejected_at !== undefined) c.rejected_at = int(value, "rejected_at", where, location);
  return c;
}

/**
 * Parses the keychain value `{"tokens": {...}, "client": {...} | null}` (ref §2.1); missing
 * members default to `{}` and `null` as in the Rust `pup`.
 *
 * @param text the stored value
 * @param location keychain entry name, for errors
 */
export function parseSiteData(text: string, location: string): SiteState {
  const value = parseJson(text, location);
  if (!isObject(value)) fail(location, `expected a JSON object, found ${describe(value)}`);
  const tokens = value.tokens === undefined ? {} : parseTokenMap(value.tokens, location, false);
  const client = value.client === undefined || value.client === null
    ? null
    : parseClient(value.client, location);
  return { tokens, client };
}

/** Orders a token set's fields as the Rust `pup` writes them, integers kept integers. */
export function toWireTokenSet(t: TokenSet): TokenSet {
  const out: TokenSet = {
    access_token: t.access_token,
    refresh_token: t.refresh_token,
    token_type: t.token_type,
    expires_in: Math.trunc(t.expires_in),
    issued_at: Math.trunc(t.issued_at),
    scope: t.scope,
    client_id: t.client_id,
  };
  if (t.expires_at !== undefined) out.expires_at = t.expires_at;
  return out;
}

/** Orders client credentials' fields as the Rust `pup` writes them (ref §1.4). */
export function toWireClient(c: ClientCredentials): ClientCredentials {
  const out: ClientCredentials = {
    client_id: c.client_id,
    client_name: c.client_name,
    redirect_uris: [...c.redirect_uris],
    registered_at: Math.trunc(c.registered_at),
    site: c.site,
  };
  if (c.client_secret !== undefined) out.client_secret = c.client_secret;
  if (c.token_endpoint_auth_method !== undefined) {
    out.token_endpoint_auth_method = c.token_endpoint_auth_method;
  }
  if (c.rejected_at !== undefined) out.rejected_at = Math.trunc(c.rejected_at);
  return out;
}

/** Serializes a token map pretty-printed (2 spaces, no trailing newline), as serde_json does. */
export function serializeTokenMap(tokens: Record<string, TokenSet>): string {
  const out: Record<string, TokenSet> = {};
  for (const [org, t] of Object.entries(tokens)) out[org] = toWireTokenSet(t);
  return JSON.stringify(out, null, 2);
}

/** Serializes the keychain value compactly (ref §2.1): `client` is `null`, never omitted. */
export function serializeSiteData(state: SiteState): string {
  const tokens: Record<string, TokenSet> = {};
  for (const [org, t] of Object.entries(state.tokens)) tokens[org] = toWireTokenSet(t);
  return JSON.stringify({ tokens, client: state.client ? toWireClient(state.client) : null });
}

/**
 * Maps a site to the file/entry name part: every non-alphanumeric character becomes `_`
 * (ref §1.2, Rust `char::is_alphanumeric`).
 */
export function sanitizeSite(site: string): string {
  // Validated sites are ASCII; compiling the Unicode-property pattern costs start-up time.
  if (/^[\x20-\x7e]*$/.test(site)) return site.replace(/[^A-Za-z0-9]/g, "_");
  return site.replace(/[^\p{Alphabetic}\p{N}]/gu, "_");
}

/**
 * The token set of `org` in a site's state, read as an own property only: an org named
 * `constructor` or `toString` is not an inherited member of the map.
 *
 * @param state a site's state
 * @param org the org label, null for the default session
 * @returns the token set, or undefined when that session does not exist
 */
export function tokenFor(
  state: Pick<SiteState, "tokens">,
  org: string | null | undefined,
): TokenSet | undefined {
  const key = orgKey(org);
  return Object.hasOwn(state.tokens, key) ? state.tokens[key] : undefined;
}

/** Maps an org label to its token-map key: none or empty is the default slot. */
export function orgKey(org: string | null | undefined): string {
  return org ? org : DEFAULT_ORG_KEY;
}
