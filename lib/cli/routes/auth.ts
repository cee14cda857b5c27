/**
 * The `auth` routes: login, status, refresh, logout, list, token.
 *
 * @module
 */

import { buildCommand, buildRouteMap } from "@stricli/core";
import { globalAliases, globalFlagParams } from "../context.ts";
import { siteFlag, trustSiteFlag } from "../flags.ts";
import { lazyImport } from "../../lazy_import.ts";

const authStatus = buildCommand({
  loader: () =>
    lazyImport<typeof import("../commands/auth_status.ts")>(
      "../commands/auth_status.ts",
      import.meta.url,
    ),
  parameters: { flags: { ...globalFlagParams, site: siteFlag }, aliases: globalAliases },
  docs: {
    brief: "Show the resolved session (local only, never refreshes)",
    fullDescription:
      "Reports whether the resolved session is authenticated, its site, org, expiry, scopes and storage backend. Exit code 3 when not authenticated.",
  },
});

const textFlag = (brief: string, placeholder: string) =>
  ({ kind: "parsed", parse: String, brief, optional: true, placeholder }) as const;

const authLogin = buildCommand({
  loader: () =>
    lazyImport<typeof import("../commands/auth_login.ts")>(
      "../commands/auth_login.ts",
      import.meta.url,
    ),
  parameters: {
    flags: {
      ...globalFlagParams,
      site: siteFlag,
      orgUuid: textFlag("Org UUID to hint to the authorization server (dd_oid)", "uuid"),
      subdomain: textFlag("SSO subdomain for the browser step only, e.g. acme", "name"),
      callbackPort: textFlag("Callback port: one of 8000, 8080, 8888, 9000", "port"),
      scopes: textFlag("Comma-separated scopes replacing the defaults", "a,b"),
      extraScopes: textFlag("Comma-separated scopes added to the defaults", "a,b"),
      readOnly: { kind: "boolean", brief: "Request only read scopes", optional: true },
      ro: {
        kind: "boolean",
        brief: "Same as --read-only (the Rust pup's alias)",
        optional: true,
        withNegated: false,
        hidden: true,
      },
      noBrowser: {
        kind: "boolean",
        brief: "Do not open a browser; paste the redirected URL instead",
        optional: true,
        withNegated: false,
      },
      trustSite: trustSiteFlag,
    },
    aliases: globalAliases,
  },
  docs: {
    brief: "Log in with OAuth2 in the browser (PKCE, dynamic client registration)",
    fullDescription:
      "Opens the browser to authorize pup, waits up to 5 minutes for the loopback callback (or a pasted redirect URL), then stores the tokens for the site and org.",
  },
});

const authRefresh = buildCommand({
  loader: () =>
    lazyImport<typeof import("../commands/auth_refresh.ts")>(
      "../commands/auth_refresh.ts",
      import.meta.url,
    ),
  parameters: {
    flags: { ...globalFlagParams, site: siteFlag, trustSite: trustSiteFlag },
    aliases: globalAliases,
  },
  docs: {
    brief: "Refresh the resolved session's access token now",
    fullDescription: "Exit code 3 when there is no session or it cannot be refreshed.",
  },
});

const authLogout = buildCommand({
  loader: () =>
    lazyImport<typeof import("../commands/auth_logout.ts")>(
      "../commands/auth_logout.ts",
      import.meta.url,
    ),
  parameters: {
    flags: { ...globalFlagParams, site: siteFlag, trustSite: trustSiteFlag },
    aliases: globalAliases,
  },
  docs: {
    brief: "Remove the resolved session and revoke its tokens (best effort)",
    fullDescription:
      "--org N removes that named session. Without --org, removes the default session of the resolved site (DD_SITE picks it) and that site's client registration.",
  },
});

const authList = buildCommand({
  loader: () =>
    lazyImport<typeof import("../commands/auth_list.ts")>(
      "../commands/auth_list.ts",
      import.meta.url,
    ),
  parameters: { flags: { ...globalFlagParams }, aliases: globalAliases },
  docs: { brief: "List every stored session (local only)" },
});

const authToken = buildCommand({
  loader: () =>
    lazyImport<typeof import("../commands/auth_token.ts")>(
      "../commands/auth_token.ts",
      import.meta.url,
    ),
  parameters: {
    flags: { ...globalFlagParams, site: siteFlag, trustSite: trustSiteFlag },
    aliases: globalAliases,
  },
  docs: {
    brief: "Print the access token (refreshed first if needed) and nothing else",
    fullDescription:
      'For curl -H "Authorization: Bearer $(pup auth token)". DD_ACCESS_TOKEN wins when set. Exit code 3 when there is no usable session.',
  },
});

const authTest = buildCommand({
  loader: () =>
    lazyImport<typeof import("../commands/auth_test.ts")>(
      "../commands/auth_test.ts",
      import.meta.url,
    ),
  parameters: {
    flags: { ...globalFlagParams, site: siteFlag, trustSite: trustSiteFlag },
    aliases: globalAliases,
  },
  docs: {
    brief: "Check with the server that the credentials work now (GET /api/v1/validate)",
    fullDescription:
      "Uses the credential an API call would use (DD_ACCESS_TOKEN, the stored session, refreshed first if needed, or API keys). Exit code 0 when they work, 3 when they are refused or missing.",
  },
});

const authSwitch = buildCommand({
  loader: () =>
    lazyImport<typeof import("../commands/auth_switch.ts")>(
      "../commands/auth_switch.ts",
      import.meta.url,
    ),
  parameters: {
    flags: {
      ...globalFlagParams,
      default: {
        kind: "boolean",
        brief: "Make the unnamed (default) session the default again",
        optional: true,
        withNegated: false,
      },
    },
    aliases: globalAliases,
  },
  docs: {
    brief: "Make a stored session the default for later commands (writes org: in config.yaml)",
    fullDescription:
      "pup auth switch --org <name> makes that named session the default; --default goes back to the unnamed one. DD_ORG and --org still win.",
  },
});

const authScopes = buildCommand({
  loader: () =>
    lazyImport<typeof import("../commands/auth_scopes.ts")>(
      "../commands/auth_scopes.ts",
      import.meta.url,
    ),
  parameters: { flags: { ...globalFlagParams, site: siteFlag }, aliases: globalAliases },
  docs: {
    brief: "Show the session's OAuth scopes against what pup's commands need (local only)",
    fullDescription:
      "Lists the stored scopes of the resolved session, which commands lack one, and the 'pup auth login --extra-scopes' line that adds them while keeping the rest.",
  },
});

/** Every `auth` subcommand. Add a route with one entry here. */
export const authRoutes = buildRouteMap({
  routes: {
    login: authLogin,
    status: authStatus,
    refresh: authRefresh,
    logout: authLogout,
    list: authList,
    token: authToken,
    test: authTest,
    switch: authSwitch,
    scopes: authScopes,
  },
  docs: { brief: "Log in, inspect and manage sessions" },
});
