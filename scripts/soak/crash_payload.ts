/**
 * The values the crash experiments write, and how a survivor is classified. Every value of
 * generation `g` carries `g` in every session, the client and every `sessions.json` row, so a
 * file that mixes two writes shows two generations.
 *
 * @module
 */

import { parseClient, parseJson, parseTokenMap } from "../../lib/storage/codec.ts";
import { parseSessions, type SessionRow } from "../../lib/storage/sessions.ts";
import type { ClientCredentials, SiteState, TokenSet } from "../../lib/storage/types.ts";

/** The site every crash experiment writes. */
export const CRASH_SITE = "datadoghq.com";

/** How one store looked after a run. */
export type Verdict = "old" | "new" | "mixed" | "empty" | "unparsable" | "missing";

/** The org labels of a run: the default slot plus named ones. */
export function orgNames(count: number): string[] {
  return ["__default__", ...Array.from({ length: count - 1 }, (_, i) => `org-${i}`)];
}

function tokenFor(gen: number, org: string): TokenSet {
  // About 1 KB per session, like a real Datadog token set, so a write is several pages.
  const pad = "x".repeat(900);
  return {
    access_token: `at-g${gen}-${org}-${pad}`,
    refresh_token: `rt-g${gen}-${org}`,
    token_type: "Bearer",
    expires_in: 3600,
    issued_at: 1_770_000_000 + gen,
    scope: "dashboards_read monitors_read",
    client_id: `client-g${gen}`,
  };
}

/** The client credentials of generation `gen`. */
export function clientFor(gen: number): ClientCredentials {
  return {
    client_id: `client-g${gen}`,
    client_name: "datadog-pup-cli",
    redirect_uris: [8000, 8080, 8888, 9000].map((p) => `http://127.0.0.1:${p}/oauth/callback`),
    registered_at: 1_770_000_000 + gen,
    site: CRASH_SITE,
  };
}

/** The whole site state of generation `gen` for `orgs` sessions. */
export function stateFor(gen: number, orgs: number): SiteState {
  const tokens: Record<string, TokenSet> = {};
  for (const org of orgNames(orgs)) tokens[org] = tokenFor(gen, org);
  return { tokens, client: clientFor(gen) };
}

/** The `sessions.json` rows of generation `gen`. */
export function rowsFor(gen: number, orgs: number): SessionRow[] {
  const uuid = `00000000-0000-4000-8000-${String(gen).padStart(12, "0")}`;
  return orgNames(orgs).map((org) => ({
    site: CRASH_SITE,
    org: org === "__default__" ? null : org,
    org_uuid: uuid,
  }));
}

function judge(gens: Set<number>, expectedCount: number, seen: number, old: number): Verdict {
  if (seen === 0) return "empty";
  if (gens.size !== 1 || seen !== expectedCount) return "mixed";
  return gens.has(old) ? "old" : gens.has(old + 1) ? "new" : "mixed";
}

/**
 * Classifies a token map (file or keychain) against the old generation `old`.
 *
 * @param text the stored text, `undefined` when missing
 * @param location for parse errors
 * @param orgs how many sessions every generation has
 * @param old the generation before the interrupted write (the new one is `old + 1`)
 */
export function classifyTokens(
  text: string | undefined,
  location: string,
  orgs: number,
  old: number,
): Verdict {
  if (text === undefined) return "missing";
  if (text.trim() === "") return "empty";
  let map: Record<string, TokenSet>;
  try {
    map = parseTokenMap(parseJson(text, location), location);
  } catch {
    return "unparsable";
  }
  const gens = new Set(Object.values(map).map((t) => t.issued_at - 1_770_000_000));
  for (const [org, t] of Object.entries(map)) {
    if (t.access_token !== tokenFor(t.issued_at - 1_770_000_000, org).access_token) return "mixed";
  }
  return judge(gens, orgs, Object.keys(map).length, old);
}

/** Classifies a client file or the keychain value's `client` member. */
export function classifyClient(text: string | undefined, location: string, old: number): Verdict {
  if (text === undefined) return "missing";
  if (text.trim() === "") return "empty";
  let c: ClientCredentials;
  try {
    c = parseClient(parseJson(text, location), location);
  } catch {
    return "unparsable";
  }
  const gen = c.registered_at - 1_770_000_000;
  if (c.client_id !== `client-g${gen}`) return "mixed";
  return judge(new Set([gen]), 1, 1, old);
}

/** Classifies `sessions.json`. */
export function classifySessions(
  text: string | undefined,
  location: string,
  orgs: number,
  old: number,
): Verdict {
  if (text === undefined) return "missing";
  if (text.trim() === "") return "empty";
  let rows: SessionRow[];
  try {
    rows = parseSessions(text, location);
  } catch {
    return "unparsable";
  }
  const gens = new Set(rows.map((r) => Number(r.org_uuid?.slice(-12))));
  return judge(gens, orgs, rows.length, old);
}
