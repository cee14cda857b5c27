/**
 * A session's access token, refreshed when fewer than 5 minutes remain (SPEC §5.2): under a
 * cross-process lock per (site, org), after re-reading the store, so N processes started
 * together make exactly one refresh request and all use its result (beats ref §12.6-7).
 *
 * @module
 */

import type { Endpoints } from "../config/endpoints.ts";
import type { Deps } from "../deps.ts";
import { AuthRequiredError, OAuthError, PupError } from "../errors.ts";
import { orgKey, tokenFor } from "../storage/codec.ts";
import { withLock } from "../storage/lock.ts";
import { ensureLocksDir, refreshLockPath } from "../storage/store_files.ts";
import type { SiteStateStore, TokenSet } from "../storage/types.ts";
import { needsRefresh } from "./expiry.ts";
import { refreshAccessToken } from "./oauth_client.ts";

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
}

/** The token and whether this call refreshed it. */
export interface AccessTokenResult {
  tokens: TokenSet;
  refreshed: boolean;
}

function loginHint(t: SessionTarget): string {
  return `pup auth login${t.org ? ` --org ${t.org}` : ""}`;
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
  const suffix = target.org ? ` (org "${target.org}")` : "";
  const state = await store.read(target.site);
  const current = tokenFor(state, target.org);
  if (!current) {
    throw new AuthRequiredError(
      `Not logged in to "${target.site}"${suffix}: run '${loginHint(target)}'${
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
    const fresh = await store.update(target.site, (s) => s);
    const latest = tokenFor(fresh, target.org);
    if (!latest) {
      throw new AuthRequiredError(
        `Not logged in to "${target.site}"${suffix} any more: run '${loginHint(target)}'`,
      );
    }
    const someoneElseRefreshed = opts.force
      ? opts.staleToken !== undefined && latest.access_token !== opts.staleToken
      : !needsRefresh(latest, deps.clock.now());
    if (someoneElseRefreshed) return { tokens: latest, refreshed: false };
    if (latest.refresh_token === "") {
      throw new AuthRequiredError(
        `Token expired for "${target.site}"${suffix} and there is no refresh token: run '${
          loginHint(target)
        }' to re-authenticate`,
      );
    }
    if (!fresh.client) {
      throw new AuthRequiredError(
        `Token expired for "${target.site}"${suffix} and cannot be refreshed: the site's client registration is gone (a 'pup auth logout' of the default session removes it). Run '${
          loginHint(target)
        }'`,
      );
    }
    let renewed: TokenSet;
    try {
      renewed = await refreshAccessToken(deps, {
        tokenUrl: target.endpoints.tokenUrl,
        client: fresh.client,
        refreshToken: latest.refresh_token,
        insecure: target.endpoints.insecure,
        knownSecrets: [latest.access_token],
      });
    } catch (e) {
      if (
        e instanceof OAuthError && (e.error === "invalid_grant" || e.error === "invalid_client")
      ) {
        throw new AuthRequiredError(
          `Token expired for "${target.site}"${suffix} and the refresh was refused (${e.error}${
            e.description ? `: ${e.description}` : ""
          }). Run '${loginHint(target)}' to re-authenticate`,
          { cause: e },
        );
      }
      if (e instanceof PupError) {
        throw new PupError(
          e.code,
          `Token expired for "${target.site}"${suffix} and the refresh failed: ${e.message}. Run 'pup auth refresh' to refresh or '${
            loginHint(target)
          }' to re-authenticate`,
          { cause: e },
        );
      }
      throw e;
    }
    await store.update(target.site, (s) => ({ ...s, tokens: { ...s.tokens, [key]: renewed } }));
    return { tokens: renewed, refreshed: true };
  });
}
