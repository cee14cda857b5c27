/**
 * `pup auth list`: every session in `sessions.json` with its site, org, org UUID, scopes, expiry
 * and status; local data only (ref §9.6).
 *
 * @module
 */

import { describeExpiry, expiresAtMs, formatLocalRfc3339 } from "../../auth/expiry.ts";
import type { Deps } from "../../deps.ts";
import { tokenFor } from "../../storage/codec.ts";
import type { Refusal } from "../../storage/sessions.ts";
import type { SiteState } from "../../storage/types.ts";
import type { GlobalFlags, PupContext } from "../context.ts";
import { EXIT } from "../exit_codes.ts";
import { type OutputOptions, outputOptions, renderTable, wantsData, writeData } from "../output.ts";
import { loadSetup } from "../setup.ts";

/** Options of `auth list`. */
export interface AuthListOptions extends OutputOptions {
}

/** Flags → options (pure). `--org` is accepted as everywhere but a list shows every org. */
export function parseAuthListArgs(flags: GlobalFlags): AuthListOptions {
  return { ...outputOptions(flags) };
}

/** One listed session, keys sorted as the Rust `pup` prints them. */
export interface SessionListing {
  expires_at: string | null;
  has_refresh: boolean;
  org: string | null;
  /** The org name the server reported at login, when known (not in the Rust `pup`). */
  org_name: string | null;
  org_uuid: string | null;
  scopes: string[];
  site: string;
  /** "expiring" inside the 5-minute refresh window; "refused" after the server refused it. */
  status: "valid" | "expiring" | "expired" | "refused" | "no token";
  /** The last refusal noted for the session, if any (see `auth status`). */
  refused?: Refusal;
}

/**
 * Lists the sessions; reads each site's store once, never the network. A session whose refresh
 * was refused shows it (and makes the exit code 3); a token inside the refresh window shows
 * "expiring in 4m0s", not "expired".
 *
 * @returns 0, or 3 when a listed session was refused
 */
export async function runAuthList(opts: AuthListOptions, deps: Deps): Promise<number> {
  const setup = await loadSetup(deps, {});
  const store = await setup.store();
  const states = new Map<string, SiteState>();
  const listings: SessionListing[] = [];
  const statusText = new Map<number, string>();
  for (const row of setup.rows) {
    let state = states.get(row.site);
    if (!state) {
      state = await store.read(row.site);
      states.set(row.site, state);
    }
    const t = tokenFor(state, row.org);
    const expiry = t ? describeExpiry(t, deps.clock.now()) : undefined;
    listings.push({
      expires_at: t ? formatLocalRfc3339(expiresAtMs(t)) : null,
      has_refresh: t ? t.refresh_token !== "" : false,
      org: row.org,
      org_name: row.org_name ?? null,
      org_uuid: row.org_uuid ?? null,
      scopes: t ? t.scope.split(/\s+/).filter(Boolean).sort() : [],
      site: row.site,
      status: !expiry ? "no token" : row.refused ? "refused" : expiry.standing,
      ...(row.refused ? { refused: row.refused } : {}),
    });
    if (expiry?.standing === "expiring") statusText.set(listings.length - 1, expiry.phrase);
  }
  if (wantsData(opts, deps.env, deps.io, setup.config.output)) {
    await writeData(deps.io, listings, opts, deps.env, setup.config.output);
  } else if (listings.length === 0) {
    deps.io.out.write("No sessions. Run 'pup auth login' to create one.\n");
  } else {
    deps.io.out.write(renderTable(
      ["SITE", "ORG", "ORG NAME", "ORG UUID", "STATUS", "EXPIRES", "SCOPES"],
      listings.map((l, i) => [
        l.site,
        l.org ?? "(default)",
        l.org_name ?? "-",
        l.org_uuid ?? "-",
        l.refused ? `refused ${l.refused.at} (${l.refused.error})` : statusText.get(i) ?? l.status,
        l.expires_at ?? "-",
        String(l.scopes.length),
      ]),
    ));
  }
  return listings.some((l) => l.refused) ? EXIT.auth : EXIT.ok;
}

/** The stricli entry point. */
export default async function authList(this: PupContext, flags: GlobalFlags) {
  this.exitCode = await runAuthList(parseAuthListArgs(flags), this.deps);
}
