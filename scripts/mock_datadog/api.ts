/**
 * The mock's Datadog API routes and their authentication: a valid bearer token (with the route's
 * scope) or the configured API and application keys.
 *
 * @module
 */

import { logMatches, LOGS, MONITORS } from "./fixtures.ts";
import { hasMediaType, json, readBody, withFault } from "./http.ts";
import { type MockState, takeFault, usableAccessToken } from "./state.ts";

/** What a route handler gets. */
interface ApiRequest {
  method: string;
  url: URL;
  params: string[];
  body: string;
  hasJsonBody: boolean;
}

interface Route {
  method: string | "*";
  pattern: RegExp;
  /** The OAuth scope a bearer token needs; `null` for none. */
  scope: string | null;
  handle(r: ApiRequest): Response;
}

const FORBIDDEN = () => json(403, { errors: ["Forbidden"] });
const badRequest = (message: string) => json(400, { errors: [message] });

function parseJsonBody(r: ApiRequest): { value: unknown } | Response {
  if (!r.hasJsonBody) return badRequest("Content-Type must be application/json");
  try {
    return { value: JSON.parse(r.body) };
  } catch {
    return badRequest("The request body is not valid JSON");
  }
}

function listMonitors(r: ApiRequest): Response {
  const q = r.url.searchParams;
  const name = q.get("name")?.toLowerCase();
  const tags = (q.get("monitor_tags") ?? "").split(",").map((t) => t.trim()).filter(Boolean);
  let result = MONITORS.filter((m) =>
    (name === undefined || m.name.toLowerCase().includes(name)) &&
    tags.every((t) => m.tags.includes(t))
  );
  const pageSize = q.get("page_size");
  if (pageSize !== null) {
    if (!/^\d{1,4}$/.test(pageSize) || Number(pageSize) > 1000) {
      return badRequest(`Invalid page_size "${pageSize}": use an integer from 0 to 1000`);
    }
    const page = Number(q.get("page") ?? "0");
    result = result.slice(page * Number(pageSize), (page + 1) * Number(pageSize));
  }
  return json(200, result);
}

function getMonitor(r: ApiRequest): Response {
  const monitor = MONITORS.find((m) => String(m.id) === r.params[0]);
  return monitor === undefined ? json(404, { errors: ["Monitor not found"] }) : json(200, monitor);
}

function searchLogs(r: ApiRequest): Response {
  const parsed = parseJsonBody(r);
  if (parsed instanceof Response) return parsed;
  const body = (parsed.value ?? {}) as {
    filter?: { query?: unknown; from?: unknown; to?: unknown };
    page?: { limit?: unknown; cursor?: unknown };
  };
  const filter = body.filter ?? {};
  for (const key of ["query", "from", "to"] as const) {
    if (filter[key] !== undefined && typeof filter[key] !== "string") {
      return badRequest(`filter.${key} must be a string`);
    }
  }
  const limit = body.page?.limit ?? 10;
  if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 1 || limit > 1000) {
    return badRequest("page.limit must be an integer from 1 to 1000");
  }
  const start = typeof body.page?.cursor === "string" ? Number(body.page.cursor) || 0 : 0;
  const matching = LOGS.filter((e) => logMatches(e, (filter.query as string) ?? "*"));
  const data = matching.slice(start, start + limit);
  const page: { after?: string } = {};
  if (start + limit < matching.length) page.after = String(start + limit);
  return json(200, { data, meta: { page } });
}

function queryMetrics(r: ApiRequest): Response {
  const q = r.url.searchParams;
  const from = Number(q.get("from"));
  const to = Number(q.get("to"));
  const query = q.get("query") ?? "";
  if (!q.get("from") || !q.get("to") || !Number.isInteger(from) || !Number.isInteger(to)) {
    return badRequest("from and to must be integer POSIX timestamps in seconds");
  }
  if (from >= to) return badRequest("from must be before to");
  if (query === "") return badRequest("query is required");
  const metric = /^(?:\w+:)?([\w.]+)/.exec(query)?.[1] ?? query;
  const step = (to - from) / 4;
  const pointlist = [0, 1, 2, 3, 4].map((i) => [(from + i * step) * 1000, 40 + 5 * i]);
  return json(200, {
    status: "ok",
    res_type: "time_series",
    query,
    from_date: from * 1000,
    to_date: to * 1000,
    series: [{ metric, expression: query, scope: "*", pointlist, length: pointlist.length }],
  });
}

function echo(r: ApiRequest): Response {
  let body: unknown = null;
  if (r.body !== "") {
    const parsed = parseJsonBody(r);
    if (parsed instanceof Response) return parsed;
    body = parsed.value;
  }
  return json(200, {
    method: r.method,
    path: r.url.pathname,
    query: Object.fromEntries(r.url.searchParams),
    body,
  });
}

const ROUTES: readonly Route[] = [
  {
    method: "GET",
    pattern: /^\/api\/v1\/validate$/,
    scope: null,
    handle: () => json(200, { valid: true }),
  },
  { method: "GET", pattern: /^\/api\/v1\/monitor$/, scope: "monitors_read", handle: listMonitors },
  {
    method: "GET",
    pattern: /^\/api\/v1\/monitor\/([^/]+)$/,
    scope: "monitors_read",
    handle: getMonitor,
  },
  {
    method: "POST",
    pattern: /^\/api\/v2\/logs\/events\/search$/,
    scope: "logs_read_data",
    handle: searchLogs,
  },
  { method: "GET", pattern: /^\/api\/v1\/query$/, scope: "timeseries_query", handle: queryMetrics },
  { method: "*", pattern: /^\/api\/v2\/echo$/, scope: null, handle: echo },
];

/** `undefined` when allowed, else the 401/403 answer. */
function checkAuth(req: Request, state: MockState, scope: string | null): Response | undefined {
  const authorization = req.headers.get("authorization");
  const bearer = authorization === null ? null : /^Bearer +(\S+) *$/i.exec(authorization);
  if (bearer) {
    const token = usableAccessToken(state, bearer[1]);
    if (token === undefined) return json(401, { errors: ["Unauthorized"] });
    if (scope !== null && !token.scope.split(" ").includes(scope)) return FORBIDDEN();
    return undefined;
  }
  const { apiKey, appKey } = state.opts;
  const ok = apiKey !== undefined && appKey !== undefined &&
    req.headers.get("dd-api-key") === apiKey &&
    req.headers.get("dd-application-key") === appKey;
  return ok ? undefined : FORBIDDEN();
}

/**
 * Serves an `/api/...` request: counts it, applies any `api` fault, checks credentials (a bearer
 * token wins over API keys, as in pup), then runs the route.
 *
 * @param req the request
 * @param state the mock's state
 * @returns the response
 * @see RFC 6750 §2.1, §3.1 (bearer tokens)
 */
export async function handleApi(req: Request, state: MockState): Promise<Response> {
  const url = new URL(req.url);
  const body = await readBody(req);
  state.stats.apiRequests += 1;
  return await withFault(takeFault(state, "api"), "api", () => {
    const matches = ROUTES.filter((r) => r.pattern.test(url.pathname));
    if (matches.length === 0) return json(404, { errors: ["Not found"] });
    const route = matches.find((r) => r.method === "*" || r.method === req.method);
    if (route === undefined) return json(405, { errors: ["Method not allowed"] });
    const denied = checkAuth(req, state, route.scope);
    if (denied !== undefined) return denied;
    return route.handle({
      method: req.method,
      url,
      params: route.pattern.exec(url.pathname)!.slice(1),
      body,
      hasJsonBody: hasMediaType(req, "application/json"),
    });
  });
}
