/**
 * The state of one mock server: registered clients, pending consents, codes, tokens, faults and
 * statistics. Each `startMockDatadog` call owns one; nothing lives at module level.
 *
 * @module
 */

import {
  type ClientAuthMethod,
  DEFAULT_REDIRECT_PORTS,
  emptyStats,
  type Fault,
  type FaultEndpoint,
  type MockOptions,
  type MockStats,
} from "./options.ts";

/** A client created by dynamic registration (RFC 7591 §3.2.1). */
export interface RegisteredClient {
  client_id: string;
  client_name: string;
  client_secret?: string;
  redirect_uris: string[];
  grant_types: string[];
  token_endpoint_auth_method: ClientAuthMethod;
}

/** A validated authorize request waiting for the consent decision. */
export interface PendingAuthorization {
  clientId: string;
  redirectUri: string;
  state: string;
  scope: string;
  challenge: string;
}

/**
 * Everything issued from one authorization code. Revoking it invalidates every token in the
 * family, as RFC 6749 §4.1.2 and §10.4 ask on code or refresh-token reuse.
 */
export interface Grant {
  clientId: string;
  scope: string;
  revoked: boolean;
}

/** An authorization code (single use, 60 s). */
export interface AuthCode {
  grant: Grant;
  redirectUri: string;
  challenge: string;
  createdAt: number;
  used: boolean;
}

/** An issued access token. */
export interface AccessToken {
  grant: Grant;
  scope: string;
  expiresAt: number;
  revoked: boolean;
}

/** An issued refresh token (single use: it rotates). */
export interface RefreshToken {
  grant: Grant;
  used: boolean;
  revoked: boolean;
}

/** Options with their defaults filled in. */
export type ResolvedOptions =
  & Required<Omit<MockOptions, "orgUuid" | "orgName" | "domain" | "apiKey" | "appKey">>
  & Pick<MockOptions, "orgUuid" | "orgName" | "domain" | "apiKey" | "appKey">;

/** The mutable state of one mock server. */
export interface MockState {
  readonly opts: ResolvedOptions;
  readonly clients: Map<string, RegisteredClient>;
  readonly pending: Map<string, PendingAuthorization>;
  readonly codes: Map<string, AuthCode>;
  readonly accessTokens: Map<string, AccessToken>;
  readonly refreshTokens: Map<string, RefreshToken>;
  /** Active faults with how many firings remain. */
  readonly faults: { fault: Fault; remaining: number }[];
  readonly stats: MockStats;
}

/**
 * Builds a fresh state from the options.
 *
 * @param opts the options given to `startMockDatadog`
 * @returns the state, with defaults filled in
 */
export function createState(opts: MockOptions): MockState {
  const resolved: ResolvedOptions = {
    port: opts.port ?? 0,
    autoApprove: opts.autoApprove ?? false,
    autoSubmit: opts.autoSubmit ?? false,
    accessTtl: opts.accessTtl ?? 3600,
    clientAuth: opts.clientAuth ?? "none",
    rejectScopes: opts.rejectScopes ?? [],
    orgUuid: opts.orgUuid,
    orgName: opts.orgName,
    domain: opts.domain,
    omitRefreshToken: opts.omitRefreshToken ?? false,
    tokenBytes: opts.tokenBytes ?? 32,
    tokenDelayMs: opts.tokenDelayMs ?? 0,
    apiKey: opts.apiKey,
    appKey: opts.appKey,
    allowedRedirectPorts: opts.allowedRedirectPorts ?? DEFAULT_REDIRECT_PORTS,
    faults: opts.faults ?? [],
    now: opts.now ?? Date.now,
  };
  const state: MockState = {
    opts: resolved,
    clients: new Map(),
    pending: new Map(),
    codes: new Map(),
    accessTokens: new Map(),
    refreshTokens: new Map(),
    faults: [],
    stats: emptyStats(),
  };
  for (const fault of resolved.faults) addFault(state, fault);
  return state;
}

/**
 * Queues a fault behind any already active for the same endpoint.
 *
 * @param state the mock's state
 * @param fault a checked fault (see `parseFault`)
 */
export function addFault(state: MockState, fault: Fault): void {
  state.faults.push({ fault: { ...fault }, remaining: fault.count ?? Infinity });
}

/**
 * Takes one firing of the first active fault matching a request, if any.
 *
 * @param state the mock's state
 * @param endpoint the endpoint the request reached
 * @param grantType the token request's `grant_type`, if any
 * @returns the fault to apply, or `undefined`
 */
export function takeFault(
  state: MockState,
  endpoint: FaultEndpoint,
  grantType?: string | null,
): Fault | undefined {
  const index = state.faults.findIndex(({ fault }) =>
    fault.endpoint === endpoint &&
    (fault.grantType === undefined || fault.grantType === grantType)
  );
  if (index < 0) return undefined;
  const entry = state.faults[index];
  entry.remaining -= 1;
  if (entry.remaining <= 0) state.faults.splice(index, 1);
  state.stats.faultsFired += 1;
  return entry.fault;
}

/**
 * An opaque random value, base64url without padding.
 *
 * @param prefix a readable prefix saying what the value is
 * @param bytes how many random bytes
 * @returns the value
 */
export function randomValue(prefix: string, bytes = 32): string {
  const raw = crypto.getRandomValues(new Uint8Array(bytes));
  return prefix + raw.toBase64({ alphabet: "base64url", omitPadding: true });
}

/**
 * Whether an access token may be used now: known, not revoked, not expired.
 *
 * @param state the mock's state
 * @param token the presented bearer token
 * @returns the token record, or `undefined` when it is unusable
 */
export function usableAccessToken(state: MockState, token: string): AccessToken | undefined {
  const record = state.accessTokens.get(token);
  if (record === undefined || record.revoked || record.grant.revoked) return undefined;
  return state.opts.now() < record.expiresAt ? record : undefined;
}

/**
 * Makes every access token issued so far expired, for forced-refresh demos.
 *
 * @param state the mock's state
 */
export function expireAll(state: MockState): void {
  const now = state.opts.now();
  for (const record of state.accessTokens.values()) {
    record.expiresAt = Math.min(record.expiresAt, now);
  }
}

/**
 * Forgets every registered client, as a server that lost or deleted its registrations: the
 * token endpoint then answers `invalid_client` and authorize refuses the client id.
 *
 * @param state the mock's state
 * @returns how many clients were forgotten
 */
export function forgetClients(state: MockState): number {
  const n = state.clients.size;
  state.clients.clear();
  return n;
}
