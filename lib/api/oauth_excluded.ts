/**
 * Endpoints that do not accept OAuth2 bearer tokens (ref §11.2): they are called with
 * `DD-API-KEY` and `DD-APPLICATION-KEY`, or with `DD-API-KEY` alone for the v1 event intake.
 * The entries are the facts of the Rust `pup`'s table (`src/raw_client.rs`, 55 entries),
 * written here as data.
 *
 * @module
 */

/** How an excluded endpoint authenticates. */
export type KeyRequirement = "api_key_only" | "api_and_app_keys";

/** One excluded endpoint: a method and a path, or every path under `path` when `under`. */
export interface ExcludedEndpoint {
  readonly method: string;
  readonly path: string;
  /** Also match every path below `path` (an id-parameterized route). */
  readonly under?: boolean;
  readonly area: string;
}

type Row = readonly [method: string, path: string, under?: "under"];

function area(name: string, rows: readonly Row[]): ExcludedEndpoint[] {
  return rows.map(([method, path, under]) => ({
    method,
    path,
    area: name,
    ...(under ? { under: true } : {}),
  }));
}

/** The table: every endpoint pup calls with API keys instead of an OAuth token. */
export const OAUTH_EXCLUDED_ENDPOINTS: readonly ExcludedEndpoint[] = [
  ...area("API and application keys", [
    ["GET", "/api/v2/api_keys"],
    ["GET", "/api/v2/api_keys", "under"],
    ["POST", "/api/v2/api_keys"],
    ["DELETE", "/api/v2/api_keys", "under"],
    ["GET", "/api/v2/application_keys"],
    ["GET", "/api/v2/application_keys", "under"],
    ["POST", "/api/v2/application_keys", "under"],
    ["PATCH", "/api/v2/application_keys", "under"],
    ["DELETE", "/api/v2/application_keys", "under"],
  ]),
  ...area("DDSQL editor tools", [
    ["GET", "/api/unstable/ddsql-editor/tools/ddsql-docs"],
    ["GET", "/api/unstable/ddsql-editor/tools/table-names"],
    ["POST", "/api/unstable/ddsql-editor/tools/table-data"],
  ]),
  ...area("Fleet Automation", [
    ["GET", "/api/v2/fleet/agents"],
    ["GET", "/api/v2/fleet/agents", "under"],
    ["GET", "/api/v2/fleet/agents/versions"],
    ["GET", "/api/v2/fleet/deployments"],
    ["GET", "/api/v2/fleet/deployments", "under"],
    ["POST", "/api/v2/fleet/deployments/configure"],
    ["POST", "/api/v2/fleet/deployments/upgrade"],
    ["POST", "/api/v2/fleet/deployments", "under"],
    ["DELETE", "/api/v2/fleet/deployments", "under"],
    ["GET", "/api/v2/fleet/schedules"],
    ["GET", "/api/v2/fleet/schedules", "under"],
    ["POST", "/api/v2/fleet/schedules"],
    ["PATCH", "/api/v2/fleet/schedules", "under"],
    ["DELETE", "/api/v2/fleet/schedules", "under"],
    ["POST", "/api/v2/fleet/schedules", "under"],
  ]),
  ...area("Observability Pipelines", [
    ["GET", "/api/v2/obs-pipelines/pipelines"],
    ["POST", "/api/v2/obs-pipelines/pipelines"],
    ["GET", "/api/v2/obs-pipelines/pipelines", "under"],
    ["PUT", "/api/v2/obs-pipelines/pipelines", "under"],
    ["DELETE", "/api/v2/obs-pipelines/pipelines", "under"],
    ["POST", "/api/v2/obs-pipelines/pipelines/validate"],
  ]),
  ...area("Cost and billing", [
    ["GET", "/api/v2/usage/projected_cost"],
    ["GET", "/api/v2/usage/cost_by_org"],
    ["GET", "/api/v2/cost_by_tag/monthly_cost_attribution"],
  ]),
  ...area("Cloud Cost Management configuration", [
    ["GET", "/api/v2/cost/aws_cur_config"],
    ["POST", "/api/v2/cost/aws_cur_config"],
    ["GET", "/api/v2/cost/aws_cur_config", "under"],
    ["DELETE", "/api/v2/cost/aws_cur_config", "under"],
    ["GET", "/api/v2/cost/azure_uc_config"],
    ["POST", "/api/v2/cost/azure_uc_config"],
    ["GET", "/api/v2/cost/azure_uc_config", "under"],
    ["DELETE", "/api/v2/cost/azure_uc_config", "under"],
    ["GET", "/api/v2/cost/gcp_uc_config"],
    ["POST", "/api/v2/cost/gcp_uc_config"],
    ["GET", "/api/v2/cost/gcp_uc_config", "under"],
    ["DELETE", "/api/v2/cost/gcp_uc_config", "under"],
    ["GET", "/api/v2/cost/oci_config"],
    ["GET", "/api/v2/cost/anomalies"],
  ]),
  // The Continuous Profiler declares no OAuth scope.
  ...area("Profiling", [
    ["POST", "/profiling/api/v1", "under"],
    ["GET", "/profiling/api/v1", "under"],
    ["POST", "/api/unstable/profiles", "under"],
    ["GET", "/api/ui/profiling", "under"],
  ]),
  // Posting an event goes to the v1 intake, which takes the API key only; reading events
  // works with OAuth.
  ...area("Event intake", [["POST", "/api/v1/events"]]),
];

function matches(e: ExcludedEndpoint, method: string, path: string): boolean {
  if (e.method !== method) return false;
  if (path === e.path) return true;
  // "Under" covers the base path itself and anything below it, never a sibling such as
  // `/api/v2/api_keys_other`, which the Rust pup's bare prefix match would also catch.
  return e.under === true && path.startsWith(`${e.path}/`);
}

/**
 * Says whether an endpoint must be called with API keys instead of an OAuth token.
 *
 * @param method the HTTP method (any case)
 * @param path the request path, without query string
 * @returns `api_key_only` for `POST /api/v1/events`, `api_and_app_keys` for the rest of the
 *   table, `undefined` when a bearer token may be used
 * @see RFC 6750 §2.1 (bearer tokens, which these endpoints refuse)
 */
export function keyRequirement(method: string, path: string): KeyRequirement | undefined {
  const m = method.toUpperCase();
  const p = path.length > 1 ? path.replace(/\/+$/, "") : path;
  if (m === "POST" && p === "/api/v1/events") return "api_key_only";
  return OAUTH_EXCLUDED_ENDPOINTS.some((e) => matches(e, m, p)) ? "api_and_app_keys" : undefined;
}
