/**
 * `pup auth status [--site S]`: the resolved session, from local data only (no network, never a
 * refresh). JSON keys as the Rust `pup` (ref §9.3) plus `status_message`, `storage`, the
 * credential an API call would really use (`auth_method`, `credential`: `DD_ACCESS_TOKEN` or API
 * keys override the session) and the last refusal noted in `sessions.json` (`refused`, exit 3).
 *
 * @module
 */

import {
  describeExpiry,
  expiresAtMs,
  formatLocalRfc3339,
  formatRemaining,
} from "../../auth/expiry.ts";
import { refreshability } from "../../auth/token_client.ts";
import { loginCommand } from "../../auth/login_command.ts";
import { refusalOf } from "../../auth/session_refusal.ts";
import type { Refusal } from "../../storage/sessions.ts";
import type { Deps } from "../../deps.ts";
import { stripUnsafe } from "../../sanitize.ts";
import { tokenFor } from "../../storage/codec.ts";
import { findSession } from "../../storage/sessions.ts";
import type { GlobalFlags, PupContext } from "../context.ts";
import { EXIT } from "../exit_codes.ts";
import { type OutputOptions, outputOptions, wantsData, writeData } from "../output.ts";
import { loadSetup } from "../setup.ts";

/** Options of `auth status`. */
export interface AuthStatusOptions extends OutputOptions {
  org?: string;
  site?: string;
}

/** Flags → options (pure). */
export function parseAuthStatusArgs(flags: GlobalFlags & { site?: string }): AuthStatusOptions {
  return { org: flags.org, site: flags.site, ...outputOptions(flags) };
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
  const login = loginCommand({ site, org });
  const bearer = deps.env.DD_ACCESS_TOKEN
    ? "DD_ACCESS_TOKEN"
    : setup.config.access_token
    ? `access_token in ${setup.config.path ?? "config.yaml"}`
    : undefined;
  const apiKey = deps.env.DD_API_KEY || setup.config.api_key;
  const appKey = deps.env.DD_APP_KEY || setup.config.app_key;
  let result: Record<string, unknown>;
  let session: { usable: boolean; why?: string } | undefined;
  if (tokens) {
    const now = deps.clock.now();
    const { standing, phrase } = describeExpiry(tokens, now);
    const hasRefresh = tokens.refresh_token !== "";
    const can = refreshability(tokens, state.client, site);
    const refreshable = can.ok;
    const refused = refusalOf(setup.rows, { site, org });
    const usable = !refused && (standing === "valid" || refreshable);
    const why = refused
      ? `the server refused its refresh on ${refused.at} (${refused.error}${
        refused.description ? `: ${refused.description}` : ""
      })`
      : can.ok
      ? ""
      : can.why;
    session = { usable, why: usable ? undefined : why };
    const message = refused
      ? `❌ Session for site: ${site}${suffix} needs a new login: ${why}; run '${login}'`
      : standing === "valid"
      ? `✅ Authenticated for site: ${site}${suffix}. Token expires in: ${
        formatRemaining(expiresAtMs(tokens) - now)
      }`
      : refreshable
      ? `⚠️ Token for site: ${site}${suffix} is ${phrase}; the next API call refreshes it, or run 'pup auth refresh${
        org ? ` --org ${org}` : ""
      }'`
      : `❌ Token for site: ${site}${suffix} is ${phrase} and cannot be refreshed (${why}); run '${login}'`;
    result = {
      authenticated: usable,
      expires_at: formatLocalRfc3339(expiresAtMs(tokens)),
      has_refresh: hasRefresh,
      org,
      scopes: tokens.scope.split(/\s+/).filter(Boolean).sort(),
      site,
      status: refused ? "refused" : standing,
      status_message: message.replace("is expired", "expired"),
      storage: store.backend,
      token_type: tokens.token_type,
      ...(refused ? { refused } : {}),
    };
    // The org the server reported at login, when known: a login into another org shows here.
    const row = findSession(setup.rows.filter((r) => r.site === site), org);
    if (row?.org_name) result.org_name = stripUnsafe(row.org_name);
    if (row?.org_uuid) result.org_uuid = stripUnsafe(row.org_uuid);
  } else {
    result = {
      authenticated: false,
      org,
      site,
      status: "no token",
      status_message: `❌ Not authenticated for site: ${site}${suffix}; run '${login}'`,
      storage: store.backend,
    };
  }
  // The credential an API call would actually use (see resolveCredential): it may not be the session.
  const override = bearer
    ? { method: "bearer_token", name: bearer }
    : !session?.usable && apiKey && appKey
    ? { method: "api_keys", name: "DD_API_KEY + DD_APP_KEY" }
    : undefined;
  if (override) {
    const note = !tokens
      ? ""
      : override.method === "bearer_token"
      ? "; it overrides the stored session"
      : `; the stored session is not used (${session?.why ?? "unusable"})`;
    result = {
      ...result,
      authenticated: true,
      auth_method: override.method,
      credential: override.name,
      status_message: `✅ Authenticated for site: ${site}${suffix} with ${override.name}${note}`,
    };
    if (!tokens) result.status = "valid";
  }
  const authenticated = result.authenticated as boolean;
  if (wantsData(opts, deps.env, deps.io, setup.config.output)) {
    await writeData(deps.io, result, opts, deps.env, setup.config.output);
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
        `   Refresh:  ${
          result.refused
            ? `refused on ${(result.refused as Refusal).at} (${(result.refused as Refusal).error})`
            : result.has_refresh
            ? "yes"
            : "no"
        }`,
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
