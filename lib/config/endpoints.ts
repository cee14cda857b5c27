/**
 * Every URL pup talks to for a site, with `PUP_MOCK_SERVER` replacing every Datadog host
 * (SPEC §7) and literal hosts used as they are (ref §4.1).
 *
 * @module
 */

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

/** Whether a URL's host is a loopback address. */
export function isLoopbackUrl(url: URL): boolean {
  const h = url.hostname.replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/**
 * Computes the endpoints of `site`.
 *
 * @param site a validated site
 * @param mockServer the `PUP_MOCK_SERVER` value, if any
 * @param subdomain an SSO subdomain for the authorize host only (never persisted)
 * @throws {TypeError} when `PUP_MOCK_SERVER` is not an http(s) URL
 */
export function endpointsFor(site: string, mockServer?: string, subdomain?: string): Endpoints {
  let apiBase = `https://${apiHost(site)}`;
  let authBase = `https://${authorizeHost(site, subdomain)}`;
  let insecure = false;
  if (mockServer) {
    let url: URL;
    try {
      url = new URL(mockServer);
    } catch {
      throw new TypeError(
        `Cannot use PUP_MOCK_SERVER "${mockServer}": it is not a URL such as "http://127.0.0.1:8765"`,
      );
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new TypeError(
        `Cannot use PUP_MOCK_SERVER "${mockServer}": only http and https URLs are allowed`,
      );
    }
    apiBase = authBase = url.origin;
    insecure = url.protocol === "http:" && isLoopbackUrl(url);
    if (url.protocol === "http:" && !insecure) {
      throw new TypeError(
        `Cannot use PUP_MOCK_SERVER "${mockServer}": plain http is allowed only on loopback`,
      );
    }
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
