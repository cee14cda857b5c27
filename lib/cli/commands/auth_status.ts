/**
 * `pup auth status [--site S]`: the resolved session, from local data only (no network, never a
 * refresh). JSON keys as the Rust `pup` (ref §9.3) plus `status_message` and `storage`.
 *
 * @module
 */

import {
  expiresAtMs,
  formatLocalRfc3339,
  formatRemaining,
  needsRefresh,
} from "../../auth/expiry.ts";
import type { Deps } from "../../deps.ts";
import { stripUnsafe } from "../../sanitize.ts";
import { tokenFor } from "../../storage/codec.ts";
import { findSession } from "../../storage/sessions.ts";
import type { GlobalFlags, PupContext } from "../context.ts";
import { EXIT } from "../exit_codes.ts";
import { wantsJson, writeJson } from "../output.ts";
import { loadSetup } from "../setup.ts";

/** Options of `auth status`. */
export interface AuthStatusOptions {
  org?: string;
  site?: string;
  output?: "json" | "table";
}

/** Flags → options (pure). */
export function parseAuthStatusArgs(flags: GlobalFlags & { site?: string }): AuthStatusOptions {
  return { org: flags.org, site: flags.site, output: flags.output };
}

/**
 * Reports the resolved session.
 *
 * @returns 0 when authenticated (or refreshable), 3 when not
 */
export async function runAuthStatus(opts: AuthStatusOptions, deps: Deps): Promise<number> {
  const setup = await loadSetup(deps, { org: opts.org, site: opts.site });
  const { site, org } = setup.resolved;
  const store = await setup.store();
  const state = await store.read(site);
  const tokens = tokenFor(state, org);
  const suffix = org ? ` (org: ${org})` : "";
  let result: Record<string, unknown>;
  let authenticated: boolean;
  if (tokens) {
    const now = deps.clock.now();
    const expired = needsRefresh(tokens, now);
    const hasRefresh = tokens.refresh_token !== "";
    const refreshable = hasRefresh && state.client !== null;
    authenticated = !expired || refreshable;
    const left = expiresAtMs(tokens) - now;
    const message = !expired
      ? `✅ Authenticated for site: ${site}${suffix}. Token expires in: ${formatRemaining(left)}`
      : refreshable
      ? `⚠️ Token expired for site: ${site}${suffix}; the next API call refreshes it, or run 'pup auth refresh'`
      : `❌ Token expired for site: ${site}${suffix} and cannot be refreshed${
        hasRefresh ? " (no client registration for this site)" : ""
      }; run 'pup auth login${org ? ` --org ${org}` : ""}'`;
    result = {
      authenticated,
      expires_at: formatLocalRfc3339(expiresAtMs(tokens)),
      has_refresh: hasRefresh,
      org,
      scopes: tokens.scope.split(/\s+/).filter(Boolean).sort(),
      site,
      status: expired ? "expired" : "valid",
      status_message: message,
      storage: store.backend,
      token_type: tokens.token_type,
    };
    // The org the server reported at login, when known: a login into another org shows here.
    const row = findSession(setup.rows.filter((r) => r.site === site), org);
    if (row?.org_name) result.org_name = stripUnsafe(row.org_name);
    if (row?.org_uuid) result.org_uuid = stripUnsafe(row.org_uuid);
  } else {
    const bearer = deps.env.DD_ACCESS_TOKEN || setup.config.access_token;
    const apiKey = deps.env.DD_API_KEY || setup.config.api_key;
    const appKey = deps.env.DD_APP_KEY || setup.config.app_key;
    const method = bearer ? "bearer_token" : apiKey && appKey ? "api_keys" : undefined;
    authenticated = method !== undefined;
    result = method
      ? {
        authenticated: true,
        auth_method: method,
        org,
        site,
        status: "valid",
        status_message: `✅ Authenticated for site: ${site}${suffix} (${
          method === "bearer_token" ? "bearer token" : "DD_API_KEY + DD_APP_KEY"
        })`,
        storage: store.backend,
      }
      : {
        authenticated: false,
        org,
        site,
        status: "no token",
        status_message: `❌ Not authenticated for site: ${site}${suffix}; run 'pup auth login${
          opts.site || setup.resolved.siteSource === "env" ? ` --site ${site}` : ""
        }${org ? ` --org ${org}` : ""}'`,
        storage: store.backend,
      };
  }
  if (wantsJson(opts.output, deps.io, setup.config.output)) {
    writeJson(deps.io, result);
  } else {
    const lines = [stripUnsafe(String(result.status_message))];
    if (result.org_name || result.org_uuid) {
      lines.push(
        `   Org:      ${result.org_name ?? "(name not reported)"}${
          result.org_uuid ? ` (${result.org_uuid})` : ""
        }`,
      );
    }
    if (tokens) {
      lines.push(
        `   Expires:  ${result.expires_at}`,
        `   Refresh:  ${result.has_refresh ? "yes" : "no"}`,
      );
      lines.push(`   Scopes:   ${(result.scopes as string[]).length}`);
    }
    lines.push(`   Storage:  ${store.backend} (${store.location})`);
    deps.io.out.write(lines.join("\n") + "\n");
  }
  return authenticated ? EXIT.ok : EXIT.auth;
}

/** The stricli entry point. */
export default async function authStatus(this: PupContext, flags: GlobalFlags & { site?: string }) {
  this.exitCode = await runAuthStatus(parseAuthStatusArgs(flags), this.deps);
}
