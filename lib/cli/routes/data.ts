/**
 * The data routes: `api`, `monitors`, `logs`, `metrics`. Each calls Datadog with the resolved
 * session's credentials.
 *
 * @module
 */

import { buildCommand, buildRouteMap, type Command, type RouteMap } from "@stricli/core";
import { globalAliases, globalFlagParams, type PupContext } from "../context.ts";
import { trustSiteFlag, wholeNumber } from "../flags.ts";
import { lazyImport } from "../../lazy_import.ts";

const dataFlags = { ...globalFlagParams, trustSite: trustSiteFlag } as const;

const CREDENTIALS_NOTE =
  "Credentials: DD_ACCESS_TOKEN, else the stored OAuth session (refreshed when under 5 minutes remain), else DD_API_KEY + DD_APP_KEY.";

const timeBrief = "now, 15m, 1h, 2d, unix seconds or RFC 3339";

const api = buildCommand({
  loader: () =>
    lazyImport<typeof import("../commands/api.ts")>("../commands/api.ts", import.meta.url),
  parameters: {
    flags: {
      ...dataFlags,
      method: {
        kind: "parsed",
        parse: String,
        brief: "HTTP method (default GET, or POST with --input)",
        optional: true,
        placeholder: "METHOD",
      },
      field: {
        kind: "parsed",
        parse: String,
        brief:
          "key=value: a query parameter for GET/HEAD/DELETE/OPTIONS or with --input; else a JSON body field (string)",
        optional: true,
        variadic: true,
        placeholder: "key=value",
      },
      header: {
        kind: "parsed",
        parse: String,
        brief: "Extra header 'Name: value', repeatable; never Authorization or DD-API-KEY",
        optional: true,
        variadic: true,
        placeholder: "header",
      },
      input: {
        kind: "parsed",
        parse: String,
        brief: "JSON request body from a file, or - for stdin",
        optional: true,
        placeholder: "file",
      },
    },
    aliases: { ...globalAliases, X: "method", f: "field", H: "header" },
    positional: {
      kind: "tuple",
      parameters: [{ brief: "API path, starting with /api/", parse: String, placeholder: "path" }],
    },
  },
  docs: {
    brief: "Call any Datadog API endpoint and print the JSON answer",
    fullDescription:
      `Example: pup api /api/v1/monitor -f name=cpu. -f fields are query parameters for GET, HEAD, DELETE and OPTIONS (and whenever --input gives the body), otherwise a JSON object body of string values; use --input for anything richer. ${CREDENTIALS_NOTE}`,
  },
});

const monitorsList = buildCommand({
  loader: () =>
    lazyImport<typeof import("../commands/monitors_list.ts")>(
      "../commands/monitors_list.ts",
      import.meta.url,
    ),
  parameters: {
    flags: {
      ...dataFlags,
      name: {
        kind: "parsed",
        parse: String,
        brief: "Only monitors whose name contains this",
        optional: true,
        placeholder: "text",
      },
      tags: {
        kind: "parsed",
        parse: String,
        brief: "Only monitors with all these monitor tags (comma-separated)",
        optional: true,
        placeholder: "a,b",
      },
      limit: {
        kind: "parsed",
        parse: wholeNumber,
        brief: "At most this many monitors (1-1000)",
        optional: true,
        placeholder: "n",
      },
    },
    aliases: globalAliases,
  },
  docs: { brief: "List monitors (GET /api/v1/monitor)", fullDescription: CREDENTIALS_NOTE },
});

const monitorsGet = buildCommand({
  loader: () =>
    lazyImport<typeof import("../commands/monitors_get.ts")>(
      "../commands/monitors_get.ts",
      import.meta.url,
    ),
  parameters: {
    flags: dataFlags,
    aliases: globalAliases,
    positional: {
      kind: "tuple",
      parameters: [{ brief: "Monitor id", parse: String, placeholder: "id" }],
    },
  },
  docs: { brief: "Show one monitor (GET /api/v1/monitor/{id})", fullDescription: CREDENTIALS_NOTE },
});

/** `--from` and `--to`, shared by the commands that take a time range. */
const timeRangeFlags = {
  from: {
    kind: "parsed",
    parse: String,
    brief: `Start (default 1h ago): ${timeBrief}`,
    optional: true,
    placeholder: "time",
  },
  to: {
    kind: "parsed",
    parse: String,
    brief: `End (default now): ${timeBrief}`,
    optional: true,
    placeholder: "time",
  },
} as const;

/** `--query` (with what it queries) and the time range, shared by logs and metrics. */
function queryAndTimeFlags(brief: string) {
  return {
    query: { kind: "parsed", parse: String, brief, placeholder: "query" },
    ...timeRangeFlags,
  } as const;
}

const logsSearch = buildCommand({
  loader: () =>
    lazyImport<typeof import("../commands/logs_search.ts")>(
      "../commands/logs_search.ts",
      import.meta.url,
    ),
  parameters: {
    flags: {
      ...dataFlags,
      ...queryAndTimeFlags("Log search query, e.g. service:web status:error"),
      limit: {
        kind: "parsed",
        parse: wholeNumber,
        brief: "At most this many events (1-1000, default 50)",
        optional: true,
        placeholder: "n",
      },
    },
    aliases: globalAliases,
  },
  docs: {
    brief: "Search logs (POST /api/v2/logs/events/search); also 'logs search'",
    fullDescription: CREDENTIALS_NOTE,
  },
});

const metricsQuery = buildCommand({
  loader: () =>
    lazyImport<typeof import("../commands/metrics_query.ts")>(
      "../commands/metrics_query.ts",
      import.meta.url,
    ),
  parameters: {
    flags: {
      ...dataFlags,
      ...queryAndTimeFlags("Metrics query, e.g. avg:system.cpu.user{*}"),
    },
    aliases: globalAliases,
  },
  docs: { brief: "Query timeseries (GET /api/v1/query)", fullDescription: CREDENTIALS_NOTE },
});

/** Top-level data routes, merged into the root route map. Add a route with one entry here. */
export const dataRoutes: Record<string, Command<PupContext> | RouteMap<PupContext>> = {
  api,
  monitors: buildRouteMap({
    routes: { list: monitorsList, get: monitorsGet },
    docs: { brief: "List and show monitors" },
  }),
  logs: buildRouteMap({
    // `logs query` is what the pup docs write; `logs search` stays as an alias.
    routes: { query: logsSearch },
    aliases: { search: "query" },
    docs: { brief: "Search logs" },
  }),
  metrics: buildRouteMap({ routes: { query: metricsQuery }, docs: { brief: "Query metrics" } }),
};
