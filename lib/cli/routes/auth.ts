/**
 * The `auth` routes: login, status, refresh, logout, list, token.
 *
 * @module
 */

import { buildCommand, buildRouteMap } from "@stricli/core";
import { globalAliases, globalFlagParams } from "../context.ts";

const siteFlag = {
  kind: "parsed",
  parse: String,
  brief: "Datadog site, e.g. datadoghq.eu (overrides DD_SITE)",
  optional: true,
  placeholder: "site",
} as const;

const authStatus = buildCommand({
  loader: () => import("../commands/auth_status.ts"),
  parameters: { flags: { ...globalFlagParams, site: siteFlag }, aliases: globalAliases },
  docs: {
    brief: "Show the resolved session (local only, never refreshes)",
    fullDescription:
      "Reports whether the resolved session is authenticated, its site, org, expiry, scopes and storage backend. Exit code 3 when not authenticated.",
  },
});

const authList = buildCommand({
  loader: () => import("../commands/auth_list.ts"),
  parameters: { flags: { ...globalFlagParams }, aliases: globalAliases },
  docs: { brief: "List every stored session (local only)" },
});

/** Every `auth` subcommand. Add a route with one entry here. */
export const authRoutes = buildRouteMap({
  routes: {
    status: authStatus,
    list: authList,
  },
  docs: { brief: "Log in, inspect and manage sessions" },
});
