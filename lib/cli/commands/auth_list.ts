/**
 * `pup auth list`: every session in `sessions.json` with its site, org, org UUID, scopes, expiry
 * and status; local data only (ref §9.6).
 *
 * @module
 */

import { expiresAtMs, formatLocalRfc3339, needsRefresh } from "../../auth/expiry.ts";
import type { Deps } from "../../deps.ts";
import { tokenFor } from "../../storage/codec.ts";
import type { SiteState } from "../../storage/types.ts";
import type { GlobalFlags, PupContext } from "../context.ts";
import { renderTable, wantsJson, writeJson } from "../output.ts";
import { loadSetup } from "../setup.ts";

/** Options of `auth list`. */
export interface AuthListOptions {
  output?: "json" | "table";
}

/** Flags → options (pure). `--org` is accepted as everywhere but a list shows every org. */
export function parseAuthListArgs(flags: GlobalFlags): AuthListOptions {
  return { output: flags.output };
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
  status: "valid" | "expired" | "no token";
}

/** Lists the sessions; reads each site's store once. */
export async function runAuthList(opts: AuthListOptions, deps: Deps): Promise<number> {
  const setup = await loadSetup(deps, {});
  const store = await setup.store();
  const states = new Map<string, SiteState>();
  const listings: SessionListing[] = [];
  for (const row of setup.rows) {
    let state = states.get(row.site);
    if (!state) {
      state = await store.read(row.site);
      states.set(row.site, state);
    }
    const t = tokenFor(state, row.org);
    listings.push({
      expires_at: t ? formatLocalRfc3339(expiresAtMs(t)) : null,
      has_refresh: t ? t.refresh_token !== "" : false,
      org: row.org,
      org_name: row.org_name ?? null,
      org_uuid: row.org_uuid ?? null,
      scopes: t ? t.scope.split(/\s+/).filter(Boolean).sort() : [],
      site: row.site,
      status: !t ? "no token" : needsRefresh(t, deps.clock.now()) ? "expired" : "valid",
    });
  }
  if (wantsJson(opts.output, deps.io, setup.config.output)) {
    writeJson(deps.io, listings);
  } else if (listings.length === 0) {
    deps.io.out.write("No sessions. Run 'pup auth login' to create one.\n");
  } else {
    deps.io.out.write(renderTable(
      ["SITE", "ORG", "ORG NAME", "ORG UUID", "STATUS", "EXPIRES", "SCOPES"],
      listings.map((l) => [
        l.site,
        l.org ?? "(default)",
        l.org_name ?? "-",
        l.org_uuid ?? "-",
        l.status,
        l.expires_at ?? "-",
        String(l.scopes.length),
      ]),
    ));
  }
  return 0;
}

/** The stricli entry point. */
export default async function authList(this: PupContext, flags: GlobalFlags) {
  this.exitCode = await runAuthList(parseAuthListArgs(flags), this.deps);
}
