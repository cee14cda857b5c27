/**
 * Turns a command's setup into the session it acts on: (site, org), the site's endpoints, and
 * the trust gate applied before any credential can leave (SPEC §3, ref §9.7).
 *
 * @module
 */

import type { SessionTarget } from "../auth/session_tokens.ts";
import { endpointsFor } from "../config/endpoints.ts";
import { ensureSiteTrusted } from "../config/trust.ts";
import type { Deps } from "../deps.ts";
import type { Setup } from "./setup.ts";

/**
 * The resolved session target, after the trust gate.
 *
 * @param deps env and stderr
 * @param setup the loaded setup
 * @param opts `--trust-site`, and an SSO subdomain for the authorize host only
 * @throws {PupError} UNTRUSTED_SITE for a non-Datadog host nobody vouched for
 */
export function sessionTarget(
  deps: Deps,
  setup: Setup,
  opts: { trustSite?: boolean; subdomain?: string } = {},
): SessionTarget {
  const { site, org } = setup.resolved;
  const note = ensureSiteTrusted(site, {
    flag: opts.trustSite ?? false,
    envValue: deps.env.PUP_TRUST_SITE,
    trustedSites: setup.config.trusted_sites,
    mockServer: deps.env.PUP_MOCK_SERVER,
  });
  if (note) deps.io.err.write(`${note}\n`);
  return {
    site,
    org,
    endpoints: endpointsFor(site, deps.env.PUP_MOCK_SERVER || undefined, opts.subdomain),
  };
}
