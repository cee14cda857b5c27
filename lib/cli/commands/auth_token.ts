/**
 * `pup auth token`: prints the resolved session's access token and a newline to stdout, and
 * nothing else there, refreshing it first when under 5 minutes remain (for
 * `curl -H "Authorization: Bearer $(pup auth token)"`). `DD_ACCESS_TOKEN`, then config
 * `access_token`, win as in the Rust `pup` (ref §9.6). The only command that prints a token.
 *
 * @module
 */

import { bearerCredential, loginCommand } from "../../api/credentials.ts";
import { REFRESHED_NOTICE } from "../../api/client.ts";
import type { Deps } from "../../deps.ts";
import { AuthRequiredError } from "../../errors.ts";
import type { GlobalFlags, PupContext } from "../context.ts";
import { sessionTarget } from "../session_target.ts";
import { loadSetup } from "../setup.ts";

/** Flags of `auth token`. */
export interface AuthTokenFlags extends GlobalFlags {
  readonly site?: string;
  readonly trustSite?: boolean;
}

/** Options of `auth token`. */
export interface AuthTokenOptions {
  org?: string;
  /** `--site`: the same as `DD_SITE` for this command. */
  site?: string;
  trustSite: boolean;
}

/** Flags → options (pure); `-o` is accepted but the output is always the bare token. */
export function parseAuthTokenArgs(flags: AuthTokenFlags): AuthTokenOptions {
  return {
    org: flags.org,
    ...(flags.site === undefined ? {} : { site: flags.site }),
    trustSite: flags.trustSite ?? false,
  };
}

/**
 * Prints the access token.
 *
 * @param opts org and `--trust-site`
 * @param deps the seams
 * @returns 0; no usable session throws `AuthRequiredError` (exit 3)
 * @see RFC 6749 §6 (the refresh done first when needed)
 */
export async function runAuthToken(opts: AuthTokenOptions, deps: Deps): Promise<number> {
  const setup = await loadSetup(deps, { org: opts.org, site: opts.site });
  const { site, org } = setup.resolved;
  // Only a refresh sends anything anywhere, so only it goes through the trust gate.
  const bearer = await bearerCredential(
    deps,
    { config: setup.config, store: setup.store },
    { site, org },
    () => sessionTarget(deps, setup, { trustSite: opts.trustSite }),
  );
  if (!bearer) {
    throw new AuthRequiredError(
      `No token available for "${site}"${org ? ` (org "${org}")` : ""}: run '${
        loginCommand({ site, org })
      }' or set DD_ACCESS_TOKEN`,
    );
  }
  if (bearer.refreshed) deps.io.err.write(`${REFRESHED_NOTICE}\n`);
  const c = bearer.credential;
  deps.io.out.write(`${c.kind === "token" ? c.token : c.tokens.access_token}\n`);
  return 0;
}

/** The stricli entry point. */
export default async function authToken(this: PupContext, flags: AuthTokenFlags) {
  this.exitCode = await runAuthToken(parseAuthTokenArgs(flags), this.deps);
}
