/**
 * Every URL pup talks to for a site, with `PUP_MOCK_SERVER` replacing every Datadog host
 * (SPEC §7) and literal hosts used as they are (ref §4.1).
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { stripUnsafe } from "../sanitize.ts";
import { apiHost, authorizeHost } from "./site.ts";

/** The endpoints of one site. */
export interface Endpoints {
  /** Base URL for API calls, no trailing slash, e.g. `https://api.datadoghq.com`. */
  apiBase: string;
  /** RFC 7591 registration endpoint. */
  registerUrl: string;
  /** Authorization endpoint (browser step). */
  authorizeUrl: string;
  /** RFC 6749 token endpoint. */
  tokenUrl: string;
  /** RFC 7009 revocation endpoint. */
  revokeUrl: string;
  /** Plain http is allowed: only for a `PUP_MOCK_SERVER` on loopback. */
  insecure: boolean;
}

/**
 * Whether a URL's host is a loopback address.
 *
 * @param url a parsed URL
 * @returns true for 127.0.0.0/8, `[::1]` and `localhost`
 */
export function isLoopbackUrl(url: URL): boolean {
  const h = url.hostname.replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/**
 * Checks a `PUP_MOCK_SERVER` value: an http or https origin on loopback (127.0.0.0/8, `[::1]`,
 * `localhost`), with no path beyond `/`, no credentials, query or fragment. The mock receives
 * every token pup holds, so it must be a server on this machine.
 *
 * @param value the variable's value
 * @returns the origin, e.g. `http://127.0.0.1:8765`
 * @throws {UsageError} naming the variable (exit 2)
 */
export function parseMockServer(value: string): string {
  const refuse = (why: string): never => {
    throw new UsageError(
      `Cannot use PUP_MOCK_SERVER ${JSON.stringify(stripUnsafe(value).slice(0, 200))}: ${why}. ` +
        "It is a test seam that sends every token to that server: unset it for real use",
    );
  };
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return refuse('it is not a URL such as "http://127.0.0.1:8765"');
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    refuse("only http and https URLs are allowed");
  }
  if (!isLoopbackUrl(url)) {
    refuse("only loopback hosts are allowed (127.0.0.0/8, [::1], localhost)");
  }
  if (url.username || url.password || url.search || url.hash || url.pathname !== "/") {
    refuse("give only scheme, host and port, with no path, credentials, query or fragment");
  }
  return url.origin;
}

/**
 * Computes the endpoints of `site`.
 *
 * @param site a validated site
 * @param mockServer the `PUP_MOCK_SERVER` value, if any
 * @param subdomain an SSO subdomain for the authorize host only (never persisted)
 * @throws {UsageError} when `PUP_MOCK_SERVER` is not a loopback http(s) origin
 */
export function endpointsFor(site: string, mockServer?: string, subdomain?: string): Endpoints {
  let apiBase = `https://${apiHost(site)}`;
  let authBase = `https://${authorizeHost(site, subdomain)}`;
  let insecure = false;
  if (mockServer) {
    apiBase = authBase = parseMockServer(mockServer);
    insecure = apiBase.startsWith("http:");
  }
  return {
    apiBase,
    registerUrl: `${apiBase}/api/v2/oauth2/register`,
    authorizeUrl: `${authBase}/oauth2/v1/authorize`,
    tokenUrl: `${apiBase}/oauth2/v1/token`,
    revokeUrl: `${apiBase}/oauth2/v1/revoke`,
    insecure,
  };
}
