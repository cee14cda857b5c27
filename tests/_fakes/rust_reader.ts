/**
 * A strict reader that mirrors the Rust `pup`'s serde types (ref §0.1, §3): what our writers
 * produce must pass it, or the Rust `pup` would drop the whole per-site map. Written from the
 * reference, independently of lib/storage/codec.ts, so the two cannot share a mistake.
 *
 * @module
 */

type J = Record<string, unknown>;

function isObj(v: unknown): v is J {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function requireInt(o: J, k: string, where: string): void {
  const v = o[k];
  if (typeof v !== "number" || !Number.isInteger(v)) {
    throw new Error(`${where}.${k}: expected i64, got ${JSON.stringify(v)}`);
  }
}

function requireStr(o: J, k: string, where: string, optional = false): void {
  if (optional && !(k in o)) return;
  if (typeof o[k] !== "string") {
    throw new Error(`${where}.${k}: expected string, got ${JSON.stringify(o[k])}`);
  }
}

/** TokenSet: access_token, refresh_token, expires_in, issued_at required; token_type, scope, client_id strings if present. */
export function rustTokenSet(v: unknown, where: string): void {
  if (!isObj(v)) throw new Error(`${where}: expected object`);
  requireStr(v, "access_token", where);
  requireStr(v, "refresh_token", where);
  requireStr(v, "token_type", where, true);
  requireInt(v, "expires_in", where);
  requireInt(v, "issued_at", where);
  requireStr(v, "scope", where, true);
  requireStr(v, "client_id", where, true);
}

/** tokens_<site>.json: a map of TokenSets (the map form is what a writer must produce). */
export function rustTokenFile(text: string): void {
  const v = JSON.parse(text);
  if (!isObj(v)) throw new Error("token file: expected a map");
  for (const [org, t] of Object.entries(v)) rustTokenSet(t, `tokens[${org}]`);
}

/** ClientCredentials: all five fields required with their types. */
export function rustClient(v: unknown, where = "client"): void {
  if (!isObj(v)) throw new Error(`${where}: expected object`);
  for (const k of ["client_id", "client_name", "site"]) requireStr(v, k, where);
  requireInt(v, "registered_at", where);
  if (!Array.isArray(v.redirect_uris) || !v.redirect_uris.every((u) => typeof u === "string")) {
    throw new Error(`${where}.redirect_uris: expected Vec<String>`);
  }
}

/** sessions.json: array of {site: string, org?: string|null, org_uuid?: string|null}; org_uuid never written as null by Rust. */
export function rustSessions(text: string): void {
  const v = JSON.parse(text);
  if (!Array.isArray(v)) throw new Error("sessions: expected array");
  for (const [i, row] of v.entries()) {
    if (!isObj(row)) throw new Error(`sessions[${i}]: expected object`);
    requireStr(row, "site", `sessions[${i}]`);
    if (!("org" in row) || (row.org !== null && typeof row.org !== "string")) {
      throw new Error(`sessions[${i}].org: expected string or null (written explicitly)`);
    }
    if ("org_uuid" in row && typeof row.org_uuid !== "string") {
      throw new Error(`sessions[${i}].org_uuid: must be omitted rather than null`);
    }
  }
}

/** Keychain value: {"tokens": map, "client": ClientCredentials | null}, compact. */
export function rustSiteData(text: string): void {
  if (text.includes("\n")) throw new Error("keychain value: expected compact JSON");
  const v = JSON.parse(text);
  if (!isObj(v)) throw new Error("keychain value: expected object");
  if (!isObj(v.tokens)) throw new Error("keychain value: tokens must be a map");
  for (const [org, t] of Object.entries(v.tokens)) rustTokenSet(t, `tokens[${org}]`);
  if (!("client" in v)) {
    throw new Error("keychain value: client must be written (null when absent)");
  }
  if (v.client !== null) rustClient(v.client);
}
