/**
 * Where a successful login goes (ref §4.5, §9.2 steps 9-11, §1.5): the effective site after
 * the browser's datacenter switch, the org label (relabelled when the server picked another
 * org than the hinted UUID), and the writes: tokens, client, `sessions.json` row, and the
 * prune of other default sessions after a bare login.
 *
 * @module
 */

import { isDatadogSite, isKnownSite, parseSite } from "../config/site.ts";
import type { Writer } from "../deps.ts";
import { orgKey } from "../storage/codec.ts";
import {
  findSession,
  pruneDefaultSessions,
  type SessionRow,
  type SessionsRegistry,
  upsertSession,
} from "../storage/sessions.ts";
import type { ClientCredentials, SiteStateStore, TokenSet } from "../storage/types.ts";
import { DEFAULT_ORG_KEY } from "../storage/types.ts";
import type { ValidatedCallback } from "./callback_handler.ts";
import { isUuid } from "./uuid.ts";

/**
 * The remembered `dd_oid` hint: the UUID of this org's row on this site. A row of another
 * site belongs to another org (beats ref §9.2 step 2, which ignores the site).
 *
 * @param rows the `sessions.json` rows
 * @param site the site being logged in to
 * @param org the org label, or null for the default session
 * @returns the UUID, or undefined when there is no such row or it is not UUID-shaped
 * @see RFC 6749 §4.1.1 (extension parameters of the authorization request)
 */
export function rememberedOrgUuid(
  rows: readonly SessionRow[],
  site: string,
  org: string | null,
): string | undefined {
  const row = findSession(rows.filter((r) => r.site === site), org);
  return row?.org_uuid && isUuid(row.org_uuid) ? row.org_uuid : undefined;
}

/**
 * The site a login belongs to after the browser's datacenter switch (ref §4.5): the
 * callback's `domain`, normalized, when the login started on a public site and `domain` is a
 * Datadog-owned host; otherwise the site the login started on.
 *
 * @param site the site the login started on
 * @param domain the callback's `domain`, if any
 * @returns the effective site
 * @see RFC 6749 §4.1.2 (authorization response)
 */
export function effectiveSite(site: string, domain: string | undefined): string {
  if (!domain || !isKnownSite(site)) return site;
  try {
    const candidate = parseSite(domain);
    return isDatadogSite(candidate) ? candidate : site;
  } catch {
    return site;
  }
}

/**
 * The org label to save under: the requested one, unless a named login hinted a UUID and the
 * server returned another org (ref §9.2 step 9). Then the label is `"<dd_org_name> [<first 8
 * of dd_oid>]"` (or the 8 characters alone) and the ref's warning goes to `err`.
 *
 * @param err stderr, for the warning
 * @param org the requested org label, or null (a default login never relabels)
 * @param hint the `dd_oid` sent, if any
 * @param cb the validated callback
 * @returns the label to save under
 * @see RFC 6749 §4.1.2
 */
export function saveLabel(
  err: Writer,
  org: string | null,
  hint: string | undefined,
  cb: ValidatedCallback,
): string | null {
  if (org === null || !hint || !cb.dd_oid || cb.dd_oid.toLowerCase() === hint.toLowerCase()) {
    return org;
  }
  const short = cb.dd_oid.slice(0, 8);
  const label = cb.dd_org_name ? `${cb.dd_org_name} [${short}]` : short;
  err.write(
    `⚠️  Requested org UUID ${hint} but OAuth returned ${cb.dd_oid}${
      cb.dd_org_name ? ` (${cb.dd_org_name})` : ""
    }. Saving token under "${label}" instead of the requested label.\n   Your existing '${org}' session is unchanged. Run \`pup auth logout --org ${org}\` to clear it if it's stale.\n`,
  );
  return label;
}

/** One successful login, ready to store. */
export interface LoginToSave {
  /** The site the login started on (where a new client was registered). */
  startSite: string;
  /** The effective site: tokens, row and a copy of the client go here. */
  site: string;
  /** The org label, or null for the default session. */
  label: string | null;
  tokens: TokenSet;
  client: ClientCredentials;
  /** The client was registered by this login (else it was already stored). */
  registered: boolean;
  /** The row's `org_uuid`; omitted from the row when null. */
  orgUuid: string | null;
}

/**
 * Writes a login: tokens (and the client) under the effective site, the client also under
 * the starting site when it was registered there, the `sessions.json` row, and after a bare
 * login the prune of other default rows (ref §1.5), whose token slots go best effort. When the
 * row cannot be written, the token slot is put back as it was, so a failed save never leaves
 * tokens without a row (issue 13 #4).
 *
 * @param store the token store
 * @param registry `sessions.json`
 * @param r what to write
 * @returns the other sites whose default session this bare login replaced
 * @throws when the store or registry cannot be written (after the rollback)
 * @see RFC 7591 §3.2.1 (the client is reused until re-registered)
 */
export async function saveLogin(
  store: SiteStateStore,
  registry: Pick<SessionsRegistry, "update">,
  r: LoginToSave,
): Promise<{ replacedDefaults: string[] }> {
  const key = orgKey(r.label);
  // The effective site gets the client too, or its refresh would find none (beats ref §12.9).
  const keepClient = r.registered || r.site !== r.startSite;
  let previous: TokenSet | undefined;
  await store.update(r.site, (s) => {
    previous = s.tokens[key];
    return {
      tokens: { ...s.tokens, [key]: r.tokens },
      client: keepClient ? r.client : s.client,
    };
  });
  if (r.registered && r.site !== r.startSite) {
    await store.update(r.startSite, (s) => ({ ...s, client: r.client }));
  }
  const row: SessionRow = { site: r.site, org: r.label };
  if (r.orgUuid) row.org_uuid = r.orgUuid;
  let removedSites: string[] = [];
  try {
    await registry.update((rows) => {
      if (r.label !== null) return upsertSession(rows, row);
      // The upsert already drops every default row (one per org name), so note their sites first.
      removedSites = pruneDefaultSessions(rows, r.site).removedSites;
      return pruneDefaultSessions(upsertSession(rows, row), r.site).rows;
    });
  } catch (e) {
    await undoTokens(store, r, key, previous);
    throw e;
  }
  for (const other of new Set(removedSites)) {
    try {
      await store.update(other, (s) => {
        const tokens = { ...s.tokens };
        delete tokens[DEFAULT_ORG_KEY];
        return { ...s, tokens };
      });
    } catch {
      // Best effort, as the Rust pup: the row is gone, a leftover slot is only unused data.
    }
  }
  return { replacedDefaults: [...new Set(removedSites)].filter((s) => s !== r.site).sort() };
}

/** Puts the token slot back as it was, if it still holds this login's tokens. */
async function undoTokens(
  store: SiteStateStore,
  r: LoginToSave,
  key: string,
  previous: TokenSet | undefined,
): Promise<void> {
  await store.update(r.site, (s) => {
    if (s.tokens[key]?.refresh_token !== r.tokens.refresh_token) return s;
    const tokens = { ...s.tokens };
    if (previous) tokens[key] = previous;
    else delete tokens[key];
    return { ...s, tokens };
  }).catch(() => {});
}
