/**
 * Canned data served by the mock's API routes.
 *
 * @module
 */

/** A monitor as `GET /api/v1/monitor` returns it (the fields the mock serves). */
export interface Monitor {
  id: number;
  name: string;
  type: string;
  query: string;
  overall_state: string;
  tags: string[];
}

/** A log event as the logs search returns it. */
export interface LogEvent {
  id: string;
  type: "log";
  attributes: { timestamp: string; status: string; service: string; message: string };
}

/** The monitors every mock serves. */
export const MONITORS: readonly Monitor[] = [
  {
    id: 1001,
    name: "CPU high on web hosts",
    type: "metric alert",
    query: "avg(last_5m):avg:system.cpu.user{role:web} > 90",
    overall_state: "OK",
    tags: ["team:web", "env:prod"],
  },
  {
    id: 1002,
    name: "Checkout errors",
    type: "log alert",
    query: 'logs("service:checkout status:error").index("*").rollup("count").last("5m") > 10',
    overall_state: "Alert",
    tags: ["team:payments", "env:prod"],
  },
  {
    id: 1003,
    name: "Disk almost full",
    type: "metric alert",
    query: "max(last_10m):max:system.disk.in_use{*} by {host} > 0.95",
    overall_state: "Warn",
    tags: ["team:infra", "env:staging"],
  },
];

/** The log events every mock serves, newest first. */
export const LOGS: readonly LogEvent[] = [
  {
    id: "AAAAAYmock0000000003",
    type: "log",
    attributes: {
      timestamp: "2026-01-15T10:02:00.000Z",
      status: "error",
      service: "checkout",
      message: "payment provider timed out after 30s",
    },
  },
  {
    id: "AAAAAYmock0000000002",
    type: "log",
    attributes: {
      timestamp: "2026-01-15T10:01:00.000Z",
      status: "info",
      service: "web",
      message: "GET /cart 200 in 12ms",
    },
  },
  {
    id: "AAAAAYmock0000000001",
    type: "log",
    attributes: {
      timestamp: "2026-01-15T10:00:00.000Z",
      status: "warn",
      service: "checkout",
      message: "retrying payment request",
    },
  },
];

/**
 * Whether a log event matches a (tiny subset of the) log query syntax: `*`, `service:x`,
 * `status:x`, and bare words matched in the message; all terms must match.
 *
 * @param event the log event
 * @param query the query
 * @returns true when every term matches
 */
export function logMatches(event: LogEvent, query: string): boolean {
  const a = event.attributes;
  return query.split(/\s+/).filter((t) => t !== "" && t !== "*").every((term) => {
    const [key, value] = term.includes(":") ? term.split(/:(.*)/s) : ["", term];
    if (key === "service") return a.service === value;
    if (key === "status") return a.status === value;
    return a.message.toLowerCase().includes(term.toLowerCase());
  });
}
