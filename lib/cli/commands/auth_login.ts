/**
 * `pup auth login`: the OAuth2 login (SPEC §4). Progress goes to stderr; stdout gets a JSON
 * summary with `-o json` or when it is not a terminal, never a token.
 *
 * @module
 */

import { resolvePinnedPort, runLoginFlow } from "../../auth/login_flow.ts";
import { resolveLoginScopes } from "../../auth/scopes.ts";
import { isKnownSite } from "../../config/site.ts";
import { orgKey } from "../../storage/codec.ts";
import type { Deps } from "../../deps.ts";
import { UsageError } from "../../errors.ts";
import type { GlobalFlags, PupContext } from "../context.ts";
import { EXIT } from "../exit_codes.ts";
import { type OutputOptions, outputOptions, wantsData, writeData } from "../output.ts";
import { sessionTarget } from "../session_target.ts";
import { loadSetup } from "../setup.ts";
import { isUuid } from "../../auth/uuid.ts";

/** The flags of `auth login`, as stricli parses them. */
export interface AuthLoginFlags extends GlobalFlags {
  readonly site?: string;
  readonly orgUuid?: string;
  readonly subdomain?: string;
  readonly callbackPort?: string;
  readonly scopes?: string;
  readonly extraScopes?: string;
  readonly readOnly?: boolean;
  /** The Rust pup's alias of `--read-only`. */
  readonly ro?: boolean;
  readonly noBrowser?: boolean;
  readonly trustSite?: boolean;
}

/** Options of `auth login`. */
export interface AuthLoginOptions extends OutputOptions {
  org?: string;
  site?: string;
  /** Checked to be a UUID; empty means none (ref §4.3). */
  orgUuid?: string;
  /** Checked to be one DNS label; empty means none. */
  subdomain?: string;
  /** The `--callback-port` text; checked with `PUP_OAUTH_CALLBACK_PORT` at run time. */
  callbackPort?: string;
  scopes?: string;
  extraScopes?: string;
  readOnly: boolean;
  noBrowser: boolean;
  trustSite: boolean;
  /** Test seam, no flag: ports scanned when none is pinned. */
  callbackPorts?: readonly number[];
}

const DNS_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/**
 * Flags → options (pure).
 *
 * @param flags the parsed flags
 * @returns the options
 * @throws {UsageError} for an `--org-uuid` that is not a UUID or a `--subdomain` that is not
 *   one DNS label
 */
export function parseAuthLoginArgs(flags: AuthLoginFlags): AuthLoginOptions {
  const orgUuid = flags.orgUuid?.trim() || undefined;
  if (orgUuid !== undefined && !isUuid(orgUuid)) {
    throw new UsageError(
      `Cannot use --org-uuid "${orgUuid}": it must be an org UUID such as 00000000-1111-2222-3333-444444444444 (see Organization Settings in Datadog)`,
    );
  }
  const subdomain = flags.subdomain?.trim() || undefined;
  if (subdomain !== undefined && !DNS_LABEL.test(subdomain)) {
    throw new UsageError(
      `Cannot use --subdomain "${subdomain}": it must be one DNS label (letters, digits and "-", at most 63), e.g. --subdomain acme for acme.datadoghq.com`,
    );
  }
  return {
    org: flags.org,
    ...outputOptions(flags),
    site: flags.site,
    orgUuid,
    subdomain,
    callbackPort: flags.callbackPort,
    scopes: flags.scopes,
    extraScopes: flags.extraScopes,
    readOnly: (flags.readOnly || flags.ro) ?? false,
    noBrowser: flags.noBrowser ?? false,
    trustSite: flags.trustSite ?? false,
  };
}

/**
 * Logs in and stores the session.
 *
 * @param opts the options
 * @param deps the seams
 * @returns 0; failures throw (exit codes by `exitCodeFor`)
 * @see RFC 6749 §4.1, RFC 7636, RFC 7591, RFC 8252
 */
export async function runAuthLogin(opts: AuthLoginOptions, deps: Deps): Promise<number> {
  const setup = await loadSetup(deps, { org: opts.org, site: opts.site });
  const { site, org } = setup.resolved;
  if (opts.subdomain && !isKnownSite(site)) {
    throw new UsageError(
      `Cannot use --subdomain with "${site}": it applies only to the public Datadog sites; pass a vanity or gateway host whole with --site`,
    );
  }
  // Usage problems surface before any port is bound or request sent.
  const pinnedPort = resolvePinnedPort(opts.callbackPort, deps.env);
  // --extra-scopes adds to what the session holds now, so it never drops a scope it had.
  const currentScopes = opts.extraScopes === undefined
    ? undefined
    : (await (await setup.store()).read(site)).tokens[orgKey(org)]?.scope;
  const scopes = resolveLoginScopes({
    currentScopes,
    scopes: opts.scopes,
    extraScopes: opts.extraScopes,
    readOnly: opts.readOnly || setup.config.read_only === true,
    configScopes: setup.config.scopes,
    profileScopes: org === null
      ? undefined
      : (setup.config.profiles && Object.hasOwn(setup.config.profiles, org)
        ? setup.config.profiles[org].scopes
        : undefined),
  });
  const target = sessionTarget(deps, setup, {
    trustSite: opts.trustSite,
    subdomain: opts.subdomain,
  });
  const store = await setup.store();
  const result = await runLoginFlow(deps, {
    site,
    org,
    endpoints: target.endpoints,
    subdomain: opts.subdomain,
    store,
    registry: setup.registry,
    rows: setup.rows,
    scopes,
    orgUuid: opts.orgUuid,
    noBrowser: opts.noBrowser,
    pinnedPort,
    ports: opts.callbackPorts,
  });
  if (wantsData(opts, deps.env, deps.io, setup.config.output)) {
    await writeData(deps.io, result, opts, deps.env, setup.config.output);
  }
  return EXIT.ok;
}

/** The stricli entry point. */
export default async function authLogin(this: PupContext, flags: AuthLoginFlags) {
  this.exitCode = await runAuthLogin(parseAuthLoginArgs(flags), this.deps);
}
