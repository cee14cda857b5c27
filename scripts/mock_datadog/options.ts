/**
 * Options, fault descriptions and statistics of the mock Datadog server.
 *
 * @module
 */

/** How a registered client authenticates at the token and revoke endpoints (RFC 7591 §2). */
export type ClientAuthMethod = "none" | "client_secret_post" | "client_secret_basic";

/** The endpoints a fault can target; `api` covers every `/api/...` route but registration. */
export type FaultEndpoint = "register" | "authorize" | "token" | "revoke" | "api";

/** The grant types the token endpoint serves. */
export type GrantType = "authorization_code" | "refresh_token";

/**
 * A fault injected into one endpoint. With `status` (or `body`) the endpoint answers with it
 * instead of doing its work; with only `truncate` it does its work and cuts the body in half;
 * `delayMs` waits first. A fault fires `count` times (forever when absent), then is dropped.
 */
export interface Fault {
  endpoint: FaultEndpoint;
  /** The status to answer with; defaults to the endpoint's success status when `body` is set. */
  status?: number;
  /** The body to answer with; defaults to an error document fitting the endpoint. */
  body?: string;
  /** Content-Type of `body`; `application/json` by default. */
  contentType?: string;
  /** Cut the answer's body in half, leaving e.g. invalid JSON. */
  truncate?: boolean;
  /** Seconds sent in a `Retry-After` header. */
  retryAfter?: number;
  /** Milliseconds to wait before answering. */
  delayMs?: number;
  /** How many requests the fault affects; unlimited when absent. */
  count?: number;
  /** Only for `token`: affect only requests of this grant type. */
  grantType?: GrantType;
}

/** How to start the mock; every field is optional. */
export interface MockOptions {
  /** TCP port on 127.0.0.1; 0 (the default) picks a free one. */
  port?: number;
  /** `GET /oauth2/v1/authorize` redirects with a code at once, without a consent page. */
  autoApprove?: boolean;
  /** The consent page submits its own form (for headless Chromium, which runs scripts). */
  autoSubmit?: boolean;
  /** Access-token lifetime in seconds; 3600 by default. */
  accessTtl?: number;
  /** Client authentication issued at registration and then enforced; `none` by default. */
  clientAuth?: ClientAuthMethod;
  /** Scopes the authorize endpoint refuses with `invalid_scope`. */
  rejectScopes?: readonly string[];
  /** `dd_oid` added to the callback redirect; omitted when unset. */
  orgUuid?: string;
  /** `dd_org_name` added to the callback redirect; omitted when unset. */
  orgName?: string;
  /** `domain` added to the callback redirect; omitted when unset. */
  domain?: string;
  /** Refresh answers carry no `refresh_token`, and the presented one stays valid. */
  omitRefreshToken?: boolean;
  /** Random bytes in each access and refresh token (32 by default; 768 makes 1 KB tokens). */
  tokenBytes?: number;
  /** Every token request waits this long before it is processed. */
  tokenDelayMs?: number;
  /** The `DD-API-KEY` accepted by API routes (with `appKey`); API keys fail when unset. */
  apiKey?: string;
  /** The `DD-APPLICATION-KEY` accepted by API routes (with `apiKey`). */
  appKey?: string;
  /** Ports allowed in registered redirect URIs; 8000, 8080, 8888 and 9000 by default. */
  allowedRedirectPorts?: readonly number[];
  /** Faults active from the start. */
  faults?: readonly Fault[];
  /** Milliseconds since the epoch; injectable so tests can expire codes and tokens. */
  now?: () => number;
}

/** Counters of what the mock has seen; every request counts, including faulted ones. */
export interface MockStats {
  /** Requests to the registration endpoint. */
  registrations: number;
  /** `GET /oauth2/v1/authorize` requests. */
  authorizeRequests: number;
  /** Consent-form submissions, by the button pressed. */
  consentDecisions: { approved: number; denied: number };
  /** Token requests by `grant_type` (anything else counts as `other`). */
  tokenRequests: { authorization_code: number; refresh_token: number; other: number };
  /** Code exchanges whose PKCE verifier matched its challenge. */
  pkceVerified: number;
  /** Every revoke request; `ok` says whether a token of the calling client was revoked. */
  revocations: { token_type_hint: string | null; ok: boolean }[];
  /** Requests to API routes. */
  apiRequests: number;
  /** Requests answered or altered by a fault. */
  faultsFired: number;
  /** Client ids issued by registration, in order. */
  clientIds: string[];
  /** The query parameters of the latest authorize request. */
  lastAuthorizeParams: Record<string, string> | null;
}

/** The redirect ports Datadog accepts in DCR (ref §7.1). */
export const DEFAULT_REDIRECT_PORTS: readonly number[] = [8000, 8080, 8888, 9000];

const FAULT_ENDPOINTS: readonly string[] = ["register", "authorize", "token", "revoke", "api"];
const FAULT_KEYS: readonly string[] = [
  "endpoint",
  "status",
  "body",
  "contentType",
  "truncate",
  "retryAfter",
  "delayMs",
  "count",
  "grantType",
];

function nonNegativeInteger(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new TypeError(
      `Fault "${name}" must be a non-negative integer, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/**
 * Checks an untrusted fault description (from the control API or a flag) and returns it typed.
 *
 * @param value the parsed JSON
 * @returns the fault, with only the known fields
 * @throws {TypeError} naming the first bad field
 */
export function parseFault(value: unknown): Fault {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError("A fault must be a JSON object");
  }
  const raw = value as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (!FAULT_KEYS.includes(key)) throw new TypeError(`Unknown fault field "${key}"`);
  }
  if (typeof raw.endpoint !== "string" || !FAULT_ENDPOINTS.includes(raw.endpoint)) {
    throw new TypeError(`Fault "endpoint" must be one of ${FAULT_ENDPOINTS.join(", ")}`);
  }
  const fault: Fault = { endpoint: raw.endpoint as FaultEndpoint };
  const status = nonNegativeInteger(raw.status, "status");
  if (status !== undefined) {
    if (status < 200 || status > 599) throw new TypeError(`Fault "status" must be 200-599`);
    fault.status = status;
  }
  for (const key of ["body", "contentType"] as const) {
    if (raw[key] === undefined) continue;
    if (typeof raw[key] !== "string") throw new TypeError(`Fault "${key}" must be a string`);
    fault[key] = raw[key] as string;
  }
  if (raw.truncate !== undefined) {
    if (typeof raw.truncate !== "boolean") {
      throw new TypeError(`Fault "truncate" must be a boolean`);
    }
    fault.truncate = raw.truncate;
  }
  for (const key of ["retryAfter", "delayMs", "count"] as const) {
    const n = nonNegativeInteger(raw[key], key);
    if (n !== undefined) fault[key] = n;
  }
  if (raw.grantType !== undefined) {
    if (raw.grantType !== "authorization_code" && raw.grantType !== "refresh_token") {
      throw new TypeError(`Fault "grantType" must be "authorization_code" or "refresh_token"`);
    }
    fault.grantType = raw.grantType;
  }
  if (fault.count === 0) throw new TypeError(`Fault "count" must be at least 1`);
  return fault;
}

/** Fresh, all-zero statistics. */
export function emptyStats(): MockStats {
  return {
    registrations: 0,
    authorizeRequests: 0,
    consentDecisions: { approved: 0, denied: 0 },
    tokenRequests: { authorization_code: 0, refresh_token: 0, other: 0 },
    pkceVerified: 0,
    revocations: [],
    apiRequests: 0,
    faultsFired: 0,
    clientIds: [],
    lastAuthorizeParams: null,
  };
}
