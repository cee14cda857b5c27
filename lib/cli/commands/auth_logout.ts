/**
 * `pup auth logout`: remove the resolved session, and for the default session its site's DCR
 * client, then revoke its tokens at the server, best effort (SPEC §5.4). Idempotent: with
 * nothing stored it says so and exits 0.
 *
 * @module
 */

import { logout, type LogoutReport, type Revocation } from "../../auth/logout.ts";
import type { Deps } from "../../deps.ts";
import type { GlobalFlags, PupContext } from "../context.ts";
import { EXIT } from "../exit_codes.ts";
import { type OutputOptions, outputOptions, wantsData, writeData } from "../output.ts";
import { loadSetup } from "../setup.ts";

/** The flags of `auth logout`. */
export interface AuthLogoutFlags extends GlobalFlags {
  readonly site?: string;
  readonly trustSite?: boolean;
}

/** Options of `auth logout`. */
export interface AuthLogoutOptions extends OutputOptions {
  org?: string;
  /** `--site`: the same as `DD_SITE` for this command. */
  site?: string;
  /** Allows revoking at a non-Datadog host; local removal happens either way. */
  trustSite: boolean;
}

/**
 * Flags → options (pure).
 *
 * @param flags the parsed flags
 * @returns the options
 */
export function parseAuthLogoutArgs(flags: AuthLogoutFlags): AuthLogoutOptions {
  return {
    org: flags.org,
    ...(flags.site === undefined ? {} : { site: flags.site }),
    ...outputOptions(flags),
    trustSite: flags.trustSite ?? false,
  };
}

/**
 * Logs the resolved session out and reports what was removed and revoked.
 *
 * @param opts the options
 * @param deps the seams
 * @returns 0, also when there was nothing to remove
 * @see RFC 7009 §2
 */
export async function runAuthLogout(opts: AuthLogoutOptions, deps: Deps): Promise<number> {
  const setup = await loadSetup(deps, { org: opts.org, site: opts.site });
  const { site, org } = setup.resolved;
  const store = await setup.store();
  const report = await logout(deps, {
    site,
    org,
    store,
    registry: setup.registry,
    trust: {
      flag: opts.trustSite,
      envValue: deps.env.PUP_TRUST_SITE,
      trustedSites: setup.config.trusted_sites,
      mockServer: deps.env.PUP_MOCK_SERVER,
    },
  });
  deps.io.err.write(describe(report, site, org));
  if (wantsData(opts, deps.env, deps.io, setup.config.output)) {
    await writeData(
      deps.io,
      { logged_out: report.sessions.length > 0, org, ...report },
      opts,
      deps.env,
      setup.config.output,
    );
  }
  return EXIT.ok;
}

function describe(report: LogoutReport, site: string, org: string | null): string {
  const suffix = org ? ` (org: ${org})` : "";
  const lines: string[] = [];
  if (report.sessions.length === 0) {
    lines.push(
      `Nothing to log out: no session for ${site}${suffix} is stored${
        report.rows_removed > 0 ? " (its stale sessions.json entry was removed)" : ""
      }.`,
    );
  }
  for (const s of report.sessions) {
    lines.push(
      `Logged out from ${s.site}${suffix}. Tokens removed.`,
      `   ${revocation(s.revoked)}`,
    );
  }
  for (const c of report.clients_removed) {
    lines.push(`   Client registration for ${c} removed.`);
  }
  for (const s of report.stranded) {
    lines.push(
      `Warning: the named session(s) ${
        s.orgs.map((o) => `"${o}"`).join(", ")
      } on ${s.site} keep their tokens but cannot refresh until the next 'pup auth login' on ${s.site}: the site's client registration was removed.`,
    );
  }
  return lines.join("\n") + "\n";
}

function revocation(r: Revocation): string {
  if (r.skipped) {
    return `Not revoked at the server: ${r.skipped}. The tokens were removed here and expire on their own.`;
  }
  const word = (v: boolean | null) => (v === null ? "none stored" : v ? "revoked" : "NOT revoked");
  const all = [r.refresh_token, r.access_token].every((v) => v !== false);
  return `Server revocation: refresh token ${word(r.refresh_token)}, access token ${
    word(r.access_token)
  }${
    all
      ? "."
      : " (the server did not confirm; the tokens were removed here and expire on their own)."
  }`;
}

/** The stricli entry point. */
export default async function authLogout(this: PupContext, flags: AuthLogoutFlags) {
  this.exitCode = await runAuthLogout(parseAuthLogoutArgs(flags), this.deps);
}
