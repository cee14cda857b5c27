/**
 * `pup auth refresh`: refresh the resolved session's access token now (SPEC §5.2, ref §9.4),
 * under the same cross-process lock as automatic refresh.
 *
 * @module
 */

import { expiresAtMs, formatLocalRfc3339 } from "../../auth/expiry.ts";
import { getAccessToken } from "../../auth/session_tokens.ts";
import type { Deps } from "../../deps.ts";
import type { GlobalFlags, PupContext } from "../context.ts";
import { EXIT } from "../exit_codes.ts";
import { type OutputOptions, outputOptions, wantsData, writeData } from "../output.ts";
import { sessionTarget } from "../session_target.ts";
import { loadSetup } from "../setup.ts";

/** The flags of `auth refresh`. */
export interface AuthRefreshFlags extends GlobalFlags {
  readonly site?: string;
  readonly trustSite?: boolean;
}

/** Options of `auth refresh`. */
export interface AuthRefreshOptions extends OutputOptions {
  org?: string;
  /** `--site`: the same as `DD_SITE` for this command. */
  site?: string;
  trustSite: boolean;
}

/**
 * Flags → options (pure).
 *
 * @param flags the parsed flags
 * @returns the options
 */
export function parseAuthRefreshArgs(flags: AuthRefreshFlags): AuthRefreshOptions {
  return {
    org: flags.org,
    ...(flags.site === undefined ? {} : { site: flags.site }),
    ...outputOptions(flags),
    trustSite: flags.trustSite ?? false,
  };
}

/**
 * Refreshes the resolved session's access token.
 *
 * @param opts the options
 * @param deps the seams
 * @returns 0
 * @throws {AuthRequiredError} when there is no session, no refresh token or no client (exit 3)
 * @throws {PupError} when the refresh request fails (exit 1)
 * @see RFC 6749 §6
 */
export async function runAuthRefresh(opts: AuthRefreshOptions, deps: Deps): Promise<number> {
  const setup = await loadSetup(deps, { org: opts.org, site: opts.site });
  const target = sessionTarget(deps, setup, { trustSite: opts.trustSite });
  const store = await setup.store();
  const suffix = target.org ? ` (org: ${target.org})` : "";
  deps.io.err.write(`🔄 Refreshing access token for site: ${target.site}${suffix}...\n`);
  const { tokens } = await getAccessToken(deps, store, target, { force: true });
  const expires = formatLocalRfc3339(expiresAtMs(tokens));
  deps.io.err.write(
    `✅ Token refreshed successfully!\n   Access token expires: ${expires}\n   Token stored in: ${store.location}\n`,
  );
  if (wantsData(opts, deps.env, deps.io, setup.config.output)) {
    await writeData(
      deps.io,
      {
        site: target.site,
        org: target.org,
        refreshed: true,
        expires_at: expires,
        scopes: tokens.scope.split(/\s+/).filter(Boolean).sort(),
        storage: store.backend,
      },
      opts,
      deps.env,
      setup.config.output,
    );
  }
  return EXIT.ok;
}

/** The stricli entry point. */
export default async function authRefresh(this: PupContext, flags: AuthRefreshFlags) {
  this.exitCode = await runAuthRefresh(parseAuthRefreshArgs(flags), this.deps);
}
