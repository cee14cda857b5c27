/**
 * A session's access token, refreshed when fewer than 5 minutes remain (SPEC §5.2): under a
 * cross-process lock per (site, org), after re-reading the store, so N processes started
 * together make exactly one refresh request and all use its result (beats ref §12.6-7).
 *
 * @module
 */

import type { Endpoints } from "../config/endpoints.ts";
import type { Deps } from "../deps.ts";
import { AuthRequiredError, OAuthError } from "../errors.ts";
import { orgKey, tokenFor } from "../storage/codec.ts";
import { ensureLocksDir, refreshLockPath, withLock } from "../storage/lock.ts";
import { SessionsRegistry } from "../storage/sessions.ts";
import type { ClientCredentials, SiteStateStore, TokenSet } from "../storage/types.ts";
import { needsRefresh } from "./expiry.ts";
import { refreshability } from "./token_client.ts";
import { loginCommand } from "./login_command.ts";
import { refreshAccessToken, revokeToken } from "./oauth_client.ts";
import { clearRefreshMark, readRefreshMark, writeRefreshMark } from "./refresh_mark.ts";
import {
  loggedOutDuringRefresh,
  refreshFailure,
  type RefreshSubject,
  sessionName,
  tokenState,
  unsavedRefresh,
} from "./refresh_errors.ts";
import { clearRefusal, noteRefusal } from "./session_refusal.ts";

/** Which session, and where its endpoints are. */
export interface SessionTarget {
  site: string;
  org: string | null;
  endpoints: Endpoints;
}

/** Options for `getAccessToken`. */
export interface GetTokenOptions {
  /**
   * Refresh even if the token looks valid (`pup auth refresh`, or a 401). With `staleToken`,
   * a token that already differs from it counts as fresh (another process refreshed first).
   */
  force?: boolean;
  staleToken?: string;
  /** `sessions.json`, for the refusal note; by default the config dir's. */
  registry?: Pick<SessionsRegistry, "read" | "update">;
}

/** The token and whether this call refreshed it. */
export interface AccessTokenResult {
  tokens: TokenSet;
  refreshed: boolean;
}

/**
 * Returns a usable access token for the session, refreshing it when needed.
 *
 * @param deps fetch, clock, configDir
 * @param store the token store
 * @param target site, org and endpoints
 * @param opts force a refresh
 * @throws {AuthRequiredError} when there is no session, or it cannot be refreshed (exit 3)
 * @see RFC 6749 §6 (refreshing an access token)
 */
export async function getAccessToken(
  deps: Pick<Deps, "fetch" | "clock" | "configDir">,
  store: SiteStateStore,
  target: SessionTarget,
  opts: GetTokenOptions = {},
): Promise<AccessTokenResult> {
  const key = orgKey(target.org);
  const subject: RefreshSubject = { site: target.site, org: target.org };
  const login = loginCommand(subject);
  const state = await store.read(target.site);
  const current = tokenFor(state, target.org);
  if (!current) {
    throw new AuthRequiredError(
      `Not logged in to ${sessionName(subject)}: run '${login}'${
        target.org ? "" : ", or set DD_ACCESS_TOKEN, or DD_API_KEY and DD_APP_KEY"
      }`,
    );
  }
  if (!opts.force && !needsRefresh(current, deps.clock.now())) {
    return { tokens: current, refreshed: false };
  }

  await ensureLocksDir(deps.configDir);
  return await withLock(refreshLockPath(deps.configDir, target.site, key), async () => {
    // Another process may have refreshed while we waited for the lock: re-read under it.
    const fresh = await store.readLatest(target.site);
    const latest = tokenFor(fresh, target.org);
    if (!latest) {
      throw new AuthRequiredError(
        `Not logged in to ${sessionName(subject)} any more: run '${login}'`,
      );
    }
    const someoneElseRefreshed = opts.force
      ? opts.staleToken !== undefined && latest.access_token !== opts.staleToken
      : !needsRefresh(latest, deps.clock.now());
    if (someoneElseRefreshed) return { tokens: latest, refreshed: false };
    const standing = tokenState(latest, deps.clock.now());
    const can = refreshability(latest, fresh.client, target.site);
    if (!can.ok) {
      throw new AuthRequiredError(
        latest.refresh_token === ""
          ? `The access token of ${
            sessionName(subject)
          } ${standing} and there is no refresh token: run '${login}'`
          : `The access token of ${
            sessionName(subject)
          } ${standing} and cannot be refreshed: ${can.why}. Run '${login}'${
            can.why.includes("invalid_client") ? ": it registers a new client by itself" : ""
          }`,
      );
    }
    const client = can.client;
    const registry = opts.registry ?? new SessionsRegistry(deps.configDir);
    const unfinished = await readRefreshMark(
      deps.configDir,
      target.site,
      key,
      latest.refresh_token,
    );
    await writeRefreshMark(
      deps.configDir,
      target.site,
      key,
      latest.refresh_token,
      deps.clock.now(),
    );
    let renewed: TokenSet;
    try {
      renewed = await refreshAccessToken(deps, {
        tokenUrl: target.endpoints.tokenUrl,
        client,
        refreshToken: latest.refresh_token,
        insecure: target.endpoints.insecure,
        knownSecrets: [latest.access_token],
      });
    } catch (e) {
      throw await refused(deps, store, registry, target, { e, latest, client, unfinished });
    }
    return await merge(deps, store, registry, target, { latest, renewed, client });
  });
}

/** Notes a refusal (and a rejected client), then builds the error to throw. */
async function refused(
  deps: Pick<Deps, "clock" | "configDir">,
  store: SiteStateStore,
  registry: Pick<SessionsRegistry, "update">,
  target: SessionTarget,
  r: {
    e: unknown;
    latest: TokenSet;
    client: ClientCredentials;
    unfinished: { startedAt: string; sameToken: boolean } | undefined;
  },
): Promise<unknown> {
  const subject = { site: target.site, org: target.org };
  const refusal = r.e instanceof OAuthError &&
    (r.e.error === "invalid_grant" || r.e.error === "invalid_client");
  if (!refusal) {
    // Nothing was spent: the note of this attempt would only mislead the next refresh.
    await clearRefreshMark(deps.configDir, target.site, orgKey(target.org));
    return refreshFailure(subject, r.e, r.latest, deps.clock.now());
  }
  const e = r.e as OAuthError;
  const now = deps.clock.now();
  // A logout while the request was out revokes the token it carried: that refusal is the logout.
  const after = await store.readLatest(target.site).catch(() => undefined);
  if (after && !after.tokens[orgKey(target.org)]) {
    await clearRefreshMark(deps.configDir, target.site, orgKey(target.org));
    return loggedOutDuringRefresh(subject);
  }
  await noteRefusal(registry, subject, {
    error: e.error,
    at: new Date(now).toISOString(),
    ...(e.description ? { description: e.description } : {}),
  });
  let siblings: string[] = [];
  if (e.error === "invalid_client") {
    // Marked only if it is still the client we used: a new registration must not be marked.
    const after = await store.update(
      target.site,
      (s) =>
        s.client?.client_id === r.client.client_id && s.client.rejected_at === undefined
          ? { ...s, client: { ...s.client, rejected_at: Math.floor(now / 1000) } }
          : s,
    ).catch(() => undefined);
    siblings = Object.entries(after?.tokens ?? {})
      .filter(([k, t]) => k !== orgKey(target.org) && t.client_id === r.client.client_id)
      .map(([k]) => k)
      .filter((k) => k !== "__default__");
  }
  return refreshFailure(subject, e, r.latest, now, {
    unfinishedSince: r.unfinished?.sameToken ? r.unfinished.startedAt : undefined,
    siblings,
  });
}

/**
 * Saves a refresh result, only into the session it started from: one read-modify-write under
 * the site's store lock that checks the session still holds the refresh token just spent. A
 * session logged out (or replaced) meanwhile gets nothing; the new tokens are revoked.
 */
async function merge(
  deps: Pick<Deps, "fetch" | "clock" | "configDir">,
  store: SiteStateStore,
  registry: Pick<SessionsRegistry, "read" | "update">,
  target: SessionTarget,
  m: { latest: TokenSet; renewed: TokenSet; client: ClientCredentials },
): Promise<AccessTokenResult> {
  const key = orgKey(target.org);
  const subject = { site: target.site, org: target.org };
  let outcome: "merged" | "gone" | "replaced" = "merged";
  let stored: TokenSet | undefined;
  const save = () =>
    store.update(target.site, (s) => {
      stored = s.tokens[key];
      if (!stored) {
        outcome = "gone";
        return s;
      }
      if (stored.refresh_token !== m.latest.refresh_token) {
        outcome = "replaced";
        return s;
      }
      outcome = "merged";
      return { ...s, tokens: { ...s.tokens, [key]: m.renewed } };
    });
  try {
    await save();
  } catch {
    try {
      await save();
    } catch (again) {
      await noteRefusal(registry, subject, {
        error: "save_failed",
        at: new Date(deps.clock.now()).toISOString(),
        description: again instanceof Error ? again.message : String(again),
      });
      throw unsavedRefresh(subject, `${store.location} (${store.backend})`, again);
    }
  }
  await clearRefreshMark(deps.configDir, target.site, key);
  if (outcome !== "merged") {
    await revokeDropped(deps, target, m.client, m.renewed);
    // A new login replaced the session meanwhile: its tokens are the session now.
    if (outcome === "replaced" && stored) return { tokens: stored, refreshed: false };
    throw loggedOutDuringRefresh(subject);
  }
  await clearRefusal(registry, subject);
  return { tokens: m.renewed, refreshed: true };
}

/** Revokes tokens that will never be stored, best effort (RFC 7009 §2). */
async function revokeDropped(
  deps: Pick<Deps, "fetch" | "clock">,
  target: SessionTarget,
  client: ClientCredentials,
  t: TokenSet,
): Promise<void> {
  for (
    const [token, hint] of [[t.refresh_token, "refresh_token"], [
      t.access_token,
      "access_token",
    ]] as const
  ) {
    if (token === "" || token === undefined) continue;
    await revokeToken(deps, {
      revokeUrl: target.endpoints.revokeUrl,
      client,
      token,
      hint,
      insecure: target.endpoints.insecure,
    });
  }
}
