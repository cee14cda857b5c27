/**
 * `pup auth test`: one cheap authenticated call (`GET /api/v1/validate`) that says whether the
 * credentials pup would use work now, refreshing the session first when it needs it. Exit 0
 * when they work, 3 when the server refuses them (or there are none), 1 when it cannot be
 * reached. The Rust `pup`'s `auth test` only prints the local config; this one asks the server.
 *
 * @module
 */

import { callApi } from "../../api/client.ts";
import type { Deps } from "../../deps.ts";
import type { GlobalFlags, PupContext } from "../context.ts";
import { httpTimeoutMs } from "../data_call.ts";
import { type OutputOptions, outputOptions, wantsData, writeData } from "../output.ts";
import { sessionTarget } from "../session_target.ts";
import { loadSetup } from "../setup.ts";

/** Flags of `auth test`. */
export interface AuthTestFlags extends GlobalFlags {
  readonly site?: string;
  readonly trustSite?: boolean;
}

/** Options of `auth test`. */
export interface AuthTestOptions extends OutputOptions {
  org?: string;
  site?: string;
  trustSite: boolean;
}

/** Flags → options (pure). */
export function parseAuthTestArgs(flags: AuthTestFlags): AuthTestOptions {
  return {
    org: flags.org,
    site: flags.site,
    ...outputOptions(flags),
    trustSite: flags.trustSite ?? false,
  };
}

const CREDENTIAL_NAMES = {
  session: "the stored OAuth session",
  token: "an access token from DD_ACCESS_TOKEN or config.yaml",
  keys: "DD_API_KEY and DD_APP_KEY",
} as const;

/**
 * Calls `/api/v1/validate` with the credential an API call would use.
 *
 * @param opts org, site, output and `--trust-site`
 * @param deps the seams
 * @returns 0 when the credentials work; refusals throw `AuthRequiredError` (exit 3)
 */
export async function runAuthTest(opts: AuthTestOptions, deps: Deps): Promise<number> {
  const setup = await loadSetup(deps, { org: opts.org, site: opts.site });
  const target = sessionTarget(deps, setup, { trustSite: opts.trustSite });
  const { site, org } = setup.resolved;
  const result = await callApi(deps, {
    target,
    sources: { config: setup.config, store: setup.store },
    http: { timeoutMs: httpTimeoutMs(deps.env) },
  }, { method: "GET", path: "/api/v1/validate" });
  const report = { ok: true, site, org, credential: result.credential };
  if (wantsData(opts, deps.env, deps.io, setup.config.output)) {
    await writeData(deps.io, report, opts, deps.env, setup.config.output);
  } else {
    deps.io.out.write(
      `✓ The credentials work on ${site}${org ? ` (org ${org})` : ""}: ${
        CREDENTIAL_NAMES[result.credential]
      }\n`,
    );
  }
  return 0;
}

/** The stricli entry point. */
export default async function authTest(this: PupContext, flags: AuthTestFlags) {
  this.exitCode = await runAuthTest(parseAuthTestArgs(flags), this.deps);
}
