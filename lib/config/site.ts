/**
 * Datadog sites: normalization and validation (ref §10.3), which hosts are Datadog's, and the
 * API and authorize hosts of a site (SPEC §3).
 *
 * @module
 */

/** The public sites (ref §4.1), `datadoghq.com` first as the default. */
export const KNOWN_SITES = [
  "datadoghq.com",
  "datadoghq.eu",
  "us3.datadoghq.com",
  "us5.datadoghq.com",
  "ap1.datadoghq.com",
  "ap2.datadoghq.com",
  "ddog-gov.com",
  "datad0g.com",
] as const;

/** The default site. */
export const DEFAULT_SITE = "datadoghq.com";

/** Sites whose authorize host is `app.<site>`; the other known sites authorize on the bare host. */
const APP_PREFIX_SITES = new Set(["datadoghq.com", "datadoghq.eu", "ddog-gov.com", "datad0g.com"]);

const DATADOG_ROOTS = ["datadoghq.com", "datadoghq.eu", "ddog-gov.com", "datad0g.com"];

/**
 * Normalizes user input into a site: trims, strips a scheme and trailing `/`, and one leading
 * `app.`, `api.` or `www.` label (kept as is when it contains `oncall`).
 *
 * @param input what the user typed
 * @returns the normalized site (not yet validated)
 */
export function normalizeSite(input: string): string {
  let s = input.trim().replace(/^https?:\/\//i, "").replace(/\/+$/, "");
  if (s === "") return DEFAULT_SITE;
  // Case is kept: file and keychain names derive from the site, as in the Rust pup.
  if (s.toLowerCase().includes("oncall")) return s;
  s = s.replace(/^(www|api|app)\./i, "");
  const lower = s.toLowerCase();
  return (KNOWN_SITES as readonly string[]).includes(lower) ? lower : s;
}

/**
 * Validates a normalized site: hostname characters only, no empty labels, optional `:port`.
 *
 * @param site a normalized site
 * @throws {TypeError} naming what is wrong
 */
export function validateSite(site: string): void {
  if (site.trim() === "") {
    throw new TypeError(
      'Cannot use an empty site: set --site or DD_SITE to a Datadog site such as "datadoghq.eu"',
    );
  }
  const m = /^([^:]*)(?::(.*))?$/.exec(site)!;
  const host = m[1];
  const port = m[2];
  if (port !== undefined) {
    const n = /^\d{1,5}$/.test(port) ? Number(port) : NaN;
    if (!(n >= 1 && n <= 65535)) {
      throw new TypeError(`Cannot use site "${site}": the port must be a number from 1 to 65535`);
    }
  }
  if (!/^[A-Za-z0-9.-]+$/.test(host)) {
    throw new TypeError(
      `Cannot use site "${site}": a site may contain only letters, digits, "-" and "." (and an optional ":port")`,
    );
  }
  if (host.startsWith(".") || host.endsWith(".") || host.includes("..")) {
    throw new TypeError(
      `Cannot use site "${site}": it has an empty label (leading, trailing or doubled ".")`,
    );
  }
  const meant = suggestSite(site);
  if (meant) {
    throw new TypeError(
      `Cannot use site "${site}": did you mean ${meant}? The Datadog sites are ${
        KNOWN_SITES.join(", ")
      } (a gateway or any other host needs --trust-site)`,
    );
  }
}

/** Region names people type for a site (Datadog's own names for them). */
const REGIONS: Readonly<Record<string, string>> = {
  us: "datadoghq.com",
  us1: "datadoghq.com",
  eu: "datadoghq.eu",
  eu1: "datadoghq.eu",
  us3: "us3.datadoghq.com",
  us5: "us5.datadoghq.com",
  ap1: "ap1.datadoghq.com",
  ap2: "ap2.datadoghq.com",
  gov: "ddog-gov.com",
  "us1-fed": "ddog-gov.com",
};

/**
 * The known site a mistyped one was meant to be: a bare region (`eu`, `us5`) or a host within
 * two edits of a known site (`datadog.eu`, `datadoghq.con`). A Datadog-owned host, one with a
 * port, or one clearly elsewhere gets nothing: it is a real host, for the trust gate to judge.
 *
 * @param site a normalized site
 * @returns the site it was probably meant to be, or undefined
 */
export function suggestSite(site: string): string | undefined {
  if (site.includes(":") || isDatadogSite(site)) return undefined;
  const lower = site.toLowerCase();
  if (Object.hasOwn(REGIONS, lower)) return REGIONS[lower];
  let best: { site: string; d: number } | undefined;
  for (const known of KNOWN_SITES) {
    const d = editDistance(lower, known);
    if (d <= 2 && (!best || d < best.d)) best = { site: known, d };
  }
  return best?.site;
}

/** Levenshtein distance (the strings are short hostnames). */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

/**
 * Normalizes and validates in one step.
 *
 * @throws {TypeError} when the result is not a valid site
 */
export function parseSite(input: string): string {
  const site = normalizeSite(input);
  validateSite(site);
  return site;
}

/** Whether `site` (no port) is, or is under, a Datadog-owned domain. */
export function isDatadogSite(site: string): boolean {
  if (site.includes(":")) return false;
  const host = site.toLowerCase();
  return DATADOG_ROOTS.some((root) => host === root || host.endsWith(`.${root}`));
}

/** Whether the site is one of the public sites whose hosts get `api.`/`app.` prefixes. */
export function isKnownSite(site: string): boolean {
  return (KNOWN_SITES as readonly string[]).includes(site);
}

/** The API and token host: `api.<site>` for known sites, the literal host otherwise (ref §4.1). */
export function apiHost(site: string): string {
  return isKnownSite(site) ? `api.${site}` : site;
}

/**
 * The authorize host: `<subdomain>.<site>` with a subdomain; `app.<site>` for the
 * APP_PREFIX_SITES; the bare site for us3/us5/ap1/ap2 and literal hosts (ref §0.1).
 */
export function authorizeHost(site: string, subdomain?: string): string {
  if (subdomain) return `${subdomain}.${site}`;
  return APP_PREFIX_SITES.has(site) ? `app.${site}` : site;
}
