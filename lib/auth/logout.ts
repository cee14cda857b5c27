/**
 * Logging out (SPEC §5.4): remove a session's tokens and `sessions.json` rows, and for the
 * default session the site's DCR client too, then revoke the removed tokens at the server,
 * best effort. Local removal comes first, so a revocation that fails, hangs or is interrupted
 * never leaves a session behind. Beats ref §12.10: tokens without a `sessions.json` row are
 * removed as well, and the server is asked to revoke them (RFC 7009).
 *
 * @module
 */

import { endpointsFor } from "../config/endpoints.ts";
import { ensureSiteTrusted, type TrustInputs } from "../config/trust.ts";
import type { Deps } from "../deps.ts";
import { orgKey } from "../storage/codec.ts";
import type { SessionRow, SessionsRegistry } from "../storage/sessions.ts";
import type { ClientCredentials, SiteStateStore, TokenSet } from "../storage/types.ts";
import { DEFAULT_ORG_KEY } from "../storage/types.ts";
import { revokeToken } from "./oauth_client.ts";
import { tokenClient } from "./token_client.ts";

/** What to log out, and what the revocation may use. */
export interface LogoutOptions {
  /** The resolved site: the default session's site, and a place named tokens may hide. */
  site: string;
  /** The org label, or null for the default session. */
  org: string | null;
  store: SiteStateStore;
  registry: Pick<SessionsRegistry, "read" | "update">;
  /** Who vouches for non-Datadog hosts; an untrusted host is never sent a token. */
  trust: TrustInputs;
}

/** The server's answer for one token: true revoked, false failed, null not attempted. */
export interface Revocation {
  refresh_token: boolean | null;
  access_token: boolean | null;
  /** Why nothing was attempted, when so. */
  skipped?: string;
}

/** One removed session. */
export interface RemovedSession {
  site: string;
  org: string | null;
  revoked: Revocation;
}

/** What a logout did. */
export interface LogoutReport {
  sessions: RemovedSession[];
  /** `sessions.json` rows removed. */
  rows_removed: number;
  /** Sites whose DCR client was removed. */
  clients_removed: string[];
  /** Named sessions on those sites that can no longer refresh. */
  stranded: { site: string; orgs: string[] }[];
}

/**
 * Logs a session out.
 *
 * @param deps fetch and clock (revocation), interrupt (stops waiting for the server)
 * @param o the session and stores (see {@link LogoutOptions})
 * @returns what was removed and revoked; an empty report means nothing was stored
 * @throws {StorageCorruptError} when a store cannot be parsed (nothing is changed then)
 * @see RFC 7009 §2 (token revocation)
 */
export async function logout(
  deps: Pick<Deps, "fetch" | "clock" | "interrupt" | "env">,
  o: LogoutOptions,
): Promise<LogoutReport> {
  const key = orgKey(o.org);
  const named = o.org !== null;
  const sameOrg = (r: SessionRow) => named ? r.org === o.org : r.org === null && r.site === o.site;
  const rowsBefore = await o.registry.read();
  // A named org's rows may sit on any site; the resolved site catches tokens without a row.
  const sites = [...new Set([...rowsBefore.filter(sameOrg).map((r) => r.site), o.site])];

  const report: LogoutReport = { sessions: [], rows_removed: 0, clients_removed: [], stranded: [] };
  const pending: { site: string; tokens: TokenSet; client: ClientCredentials | null }[] = [];
  for (const site of sites) {
    const peek = await o.store.read(site);
    if (!Object.hasOwn(peek.tokens, key) && (named || !peek.client)) continue;
    let removed: TokenSet | undefined;
    let client: ClientCredentials | null = null;
    let dropClient = false;
    let others: string[] = [];
    let confidential: string[] = [];
    await o.store.update(site, (s) => {
      removed = Object.hasOwn(s.tokens, key) ? s.tokens[key] : undefined;
      client = s.client;
      const tokens = { ...s.tokens };
      delete tokens[key];
      others = Object.keys(tokens).filter((k) => k !== DEFAULT_ORG_KEY);
      // Only sessions of a confidential client lose their refresh with it: a public client's
      // sessions refresh with the client_id their own token set holds.
      confidential = Object.entries(tokens).filter(([k, t]) =>
        k !== DEFAULT_ORG_KEY && s.client?.client_secret !== undefined &&
        t.client_id === s.client.client_id
      ).map(([k]) => k);
      const hadDefault = removed !== undefined ||
        rowsBefore.some((r) => r.org === null && r.site === site);
      // A lone client with only named sessions left is theirs: keep it for their refresh.
      dropClient = !named && s.client !== null && (hadDefault || others.length === 0);
      return { tokens, client: dropClient ? null : s.client };
    });
    if (dropClient) {
      report.clients_removed.push(site);
      const orgs = [...new Set(confidential)].sort();
      if (orgs.length > 0) report.stranded.push({ site, orgs });
    }
    if (removed) pending.push({ site, tokens: removed, client });
  }
  await o.registry.update((rows) => {
    const kept = rows.filter((r) => !sameOrg(r));
    report.rows_removed = rows.length - kept.length;
    return kept;
  });

  for (const p of pending) {
    report.sessions.push({ site: p.site, org: o.org, revoked: await revokeBoth(deps, o, p) });
  }
  return report;
}

async function revokeBoth(
  deps: Pick<Deps, "fetch" | "clock" | "interrupt" | "env">,
  o: LogoutOptions,
  p: { site: string; tokens: TokenSet; client: ClientCredentials | null },
): Promise<Revocation> {
  const none = (skipped: string): Revocation => ({
    refresh_token: null,
    access_token: null,
    skipped,
  });
  try {
    ensureSiteTrusted(p.site, o.trust);
  } catch {
    return none(`'${p.site}' is not a trusted host, so no token was sent there`);
  }
  // Tokens belong to the client that obtained them; a different stored client cannot revoke.
  const client = tokenClient(p.tokens, p.client, p.site);
  if (!client) return none(`no client registration is known for ${p.site}`);
  let endpoints;
  try {
    endpoints = endpointsFor(p.site, deps.env.PUP_MOCK_SERVER || undefined);
  } catch (e) {
    return none((e as Error).message);
  }
  const revoke = async (token: string, hint: "refresh_token" | "access_token") => {
    if (token === "") return null;
    if (deps.interrupt.aborted) return false;
    const answer = revokeToken(deps, {
      revokeUrl: endpoints.revokeUrl,
      client,
      token,
      hint,
      insecure: endpoints.insecure,
    });
    return await untilInterrupted(answer, deps.interrupt);
  };
  // The refresh token first: revoking it also ends its access tokens on most servers.
  const refresh_token = await revoke(p.tokens.refresh_token, "refresh_token");
  const access_token = await revoke(p.tokens.access_token, "access_token");
  return { refresh_token, access_token };
}

/** The revocation's answer, or false as soon as Ctrl-C is pressed (the session is gone already). */
async function untilInterrupted(answer: Promise<boolean>, signal: AbortSignal): Promise<boolean> {
  let onAbort!: () => void;
  const interrupted = new Promise<false>((resolve) => (onAbort = () => resolve(false)));
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    return await Promise.race([answer, interrupted]);
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}
