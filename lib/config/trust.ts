/**
 * The trust gate for non-Datadog hosts (ref §9.7, SPEC §3): credentials go to a host that is
 * not Datadog's only when the user said so; otherwise fail closed and list the remedies.
 *
 * @module
 */

import { PupError } from "../errors.ts";
import { parseMockServer } from "./endpoints.ts";
import { isDatadogSite, normalizeSite } from "./site.ts";

/** What may vouch for a host. */
export interface TrustInputs {
  /** `--trust-site` was given. */
  flag: boolean;
  /** `PUP_TRUST_SITE` value. */
  envValue?: string;
  /** config.yaml `trusted_sites`. */
  trustedSites?: readonly string[];
  /** A `PUP_MOCK_SERVER` replaces every host: the mock is the user's own choice. */
  mockServer?: string;
}

/**
 * Throws unless credentials may be sent to `site`.
 *
 * @param site a validated site
 * @returns a note for stderr when trust came from the environment, else undefined
 * @throws {PupError} code UNTRUSTED_SITE, naming the three ways to trust the host
 */
export function ensureSiteTrusted(site: string, inputs: TrustInputs): string | undefined {
  // A mock vouches only once it passed `parseMockServer` (loopback): every host is then it.
  if (isDatadogSite(site) || inputs.flag) return undefined;
  if (inputs.mockServer) {
    parseMockServer(inputs.mockServer);
    return undefined;
  }
  const env = (inputs.envValue ?? "").trim().toLowerCase();
  if (env === "1" || env === "true") {
    return `Using non-Datadog host '${site}' (trusted via PUP_TRUST_SITE)`;
  }
  if ((inputs.trustedSites ?? []).some((t) => normalizeSite(t) === site)) return undefined;
  throw new PupError(
    "UNTRUSTED_SITE",
    `'${site}' is not a Datadog-owned host, so pup will not send credentials there. To send credentials there, use one of: --trust-site (this invocation), PUP_TRUST_SITE=1 (env, this invocation), or add it to trusted_sites in your pup config (durable).`,
  );
}
