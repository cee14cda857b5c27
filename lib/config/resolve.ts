/**
 * Which site and org a command acts on (SPEC §3, ref §10): flags, environment, config.yaml and
 * `sessions.json`, with the warnings the user needs when the choice is ambiguous.
 *
 * @module
 */

import { StorageCorruptError, UsageError } from "../errors.ts";
import { hasUnsafeChars } from "../sanitize.ts";
import { defaultSessionSites, type SessionRow, sitesForOrg } from "../storage/sessions.ts";
import { DEFAULT_ORG_KEY } from "../storage/types.ts";
import type { FileConfig } from "./config_file.ts";
import { DEFAULT_SITE, parseSite } from "./site.ts";

/** Where the resolved site came from. */
export type SiteSource = "flag" | "env" | "config" | "session" | "default-session" | "default";

/** The outcome of resolution. */
export interface Resolved {
  site: string;
  /** null is the default (unnamed) session. */
  org: string | null;
  siteSource: SiteSource;
  /** Lines for stderr, each already phrased for the user. */
  warnings: string[];
}

/** What resolution reads. */
export interface ResolveInput {
  env: Readonly<Record<string, string | undefined>>;
  config: FileConfig;
  sessions: readonly SessionRow[];
  /** `--org`. */
  orgFlag?: string;
  /** `--site`, only on `auth login` and `auth status`. */
  siteFlag?: string;
  /** The path of sessions.json, for errors about a tampered row. */
  sessionsPath: string;
}

/**
 * Validates an org label from a flag, env or config.
 *
 * @returns the org, or null for the default session (absent or empty)
 * @throws {UsageError} for the reserved `__default__`, control, C1 or bidi characters, or a
 *   whitespace-only name
 */
export function parseOrg(value: string | undefined): string | null {
  if (value === undefined || value === "") return null;
  if (value === DEFAULT_ORG_KEY) {
    throw new UsageError(
      `Cannot use the org name "${DEFAULT_ORG_KEY}": it is reserved for the default session; omit --org for the default session or pick another name`,
    );
  }
  // Control, C1 and bidi characters in a label would end up in file and keychain names and in
  // terminals, where they could disguise one org as another.
  if (hasUnsafeChars(value)) {
    throw new UsageError(
      `Cannot use an org name with control or bidi characters: pick a plain name`,
    );
  }
  if (value.trim() === "") {
    throw new UsageError(`Cannot use a whitespace-only org name: pick a plain name`);
  }
  return value;
}

function explicitSite(label: string, value: string): string {
  if (value.trim() === "") {
    throw new UsageError(
      `${label} must not be empty or whitespace-only: set it to a Datadog site such as "datadoghq.eu", or unset it`,
    );
  }
  try {
    return parseSite(value);
  } catch (e) {
    throw new UsageError(`${label}: ${(e as Error).message}`);
  }
}

/**
 * Resolves (site, org).
 *
 * @param input flags, env, config and sessions rows
 * @returns the site, org, where the site came from and warnings
 * @throws {UsageError} for bad flag/env/config values
 * @throws {StorageCorruptError} when the site recalled from sessions.json is not valid
 */
export function resolveSiteAndOrg(input: ResolveInput): Resolved {
  const { env, config } = input;
  const warnings: string[] = [];
  const org = parseOrg(input.orgFlag ?? (env.DD_ORG || undefined) ?? config.org);
  if (input.siteFlag !== undefined) {
    return { site: explicitSite("--site", input.siteFlag), org, siteSource: "flag", warnings };
  }
  if (env.DD_SITE !== undefined) {
    return { site: explicitSite("DD_SITE", env.DD_SITE), org, siteSource: "env", warnings };
  }
  if (config.site !== undefined) {
    return {
      site: explicitSite(`"site" in ${config.path ?? "config.yaml"}`, config.site),
      org,
      siteSource: "config",
      warnings,
    };
  }
  const fromSessions = (site: string, label: string, source: SiteSource): Resolved => {
    try {
      return { site: parseSite(site), org, siteSource: source, warnings };
    } catch (e) {
      throw new StorageCorruptError(
        input.sessionsPath,
        `${label} in "${input.sessionsPath}" contains an invalid site "${site}": ${
          (e as Error).message
        }. Run 'pup auth login${org ? ` --org ${org}` : ""}' to replace the corrupted session`,
      );
    }
  };
  if (org !== null) {
    const sites = sitesForOrg(input.sessions, org);
    if (sites.length === 1) {
      return fromSessions(sites[0], `The session for org "${org}"`, "session");
    }
    if (sites.length > 1) {
      warnings.push(
        `Warning: org "${org}" has sessions on several sites (${
          sites.join(", ")
        }); using ${DEFAULT_SITE}. Set DD_SITE to choose one.`,
      );
    }
  } else {
    const sites = defaultSessionSites(input.sessions);
    if (sites.length === 1) return fromSessions(sites[0], "The default session", "default-session");
    if (sites.length > 1) {
      warnings.push(
        `Warning: multiple default (no-org) sessions on different sites (${
          sites.join(", ")
        }); not auto-selecting. Set DD_SITE or re-run pup auth login.`,
      );
    }
  }
  return { site: DEFAULT_SITE, org, siteSource: "default", warnings };
}
