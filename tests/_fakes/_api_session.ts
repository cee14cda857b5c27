/**
 * Stored sessions for API tests: hand-made token sets for fake-fetch tests, and real ones
 * obtained by logging in through `scripts/mock_datadog.ts` (register, authorize, exchange),
 * written to a temp config dir with the file store and `sessions.json`.
 *
 * @module
 */

import { orgKey } from "../../lib/storage/codec.ts";
import { FileStore } from "../../lib/storage/file_store.ts";
import { SessionsRegistry, upsertSession } from "../../lib/storage/sessions.ts";
import type { ClientCredentials, TokenSet } from "../../lib/storage/types.ts";
import type { MockDatadog, MockOptions } from "../../scripts/mock_datadog.ts";
import { authorizeCode, exchange, withMock } from "./_mock_client.ts";
import { makeDeps, withTempDir } from "./fake_deps.ts";

/** Scopes every data command needs at the mock. */
export const API_SCOPES = "monitors_read logs_read_data timeseries_query";

/** A token set issued at `nowMs`, valid for an hour. */
export function tokenSet(
  nowMs: number,
  over: Partial<TokenSet> = {},
): TokenSet {
  return {
    access_token: "access-1",
    refresh_token: "refresh-1",
    token_type: "Bearer",
    expires_in: 3600,
    issued_at: Math.floor(nowMs / 1000),
    scope: API_SCOPES,
    client_id: "client-1",
    ...over,
  };
}

/** The same tokens, issued two hours before `nowMs`: expired. */
export function expired(t: TokenSet, nowMs: number): TokenSet {
  return { ...t, issued_at: Math.floor(nowMs / 1000) - 7200, expires_in: 3600 };
}

/** A public DCR client. */
export function publicClient(site = "datadoghq.com", clientId = "client-1"): ClientCredentials {
  return {
    client_id: clientId,
    client_name: "datadog-pup-cli",
    redirect_uris: ["http://127.0.0.1:8000/oauth/callback"],
    registered_at: 1770000000,
    site,
  };
}

/**
 * Writes a session to the file store and `sessions.json`.
 *
 * @param configDir the temp config dir
 * @param p site, org, tokens and client
 */
export async function storeSession(
  configDir: string,
  p: { site?: string; org?: string | null; tokens: TokenSet; client: ClientCredentials | null },
): Promise<void> {
  const site = p.site ?? "datadoghq.com";
  const org = p.org ?? null;
  await new FileStore(configDir).update(site, (s) => ({
    tokens: { ...s.tokens, [orgKey(org)]: p.tokens },
    client: p.client,
  }));
  await new SessionsRegistry(configDir).update((rows) => upsertSession(rows, { site, org }));
}

/** Reads the stored tokens of a session (file store). */
export async function storedTokens(
  configDir: string,
  site = "datadoghq.com",
  org: string | null = null,
): Promise<TokenSet | undefined> {
  return (await new FileStore(configDir).read(site)).tokens[orgKey(org)];
}

/**
 * Logs in through the mock and returns what pup would store.
 *
 * @param mockUrl the mock's URL
 * @param scope the scopes to ask for
 * @returns the token set (issued now, by the real clock) and the public client
 */
export async function loginThroughMock(
  mockUrl: string,
  scope = API_SCOPES,
): Promise<{ tokens: TokenSet; client: ClientCredentials }> {
  const a = await authorizeCode(mockUrl, scope);
  const res = await exchange(mockUrl, a);
  if (res.status !== 200) throw new Error(`Code exchange failed: HTTP ${res.status}`);
  const body = res.body as {
    access_token: string;
    refresh_token: string;
    expires_in: number;
    scope: string;
  };
  const tokens = tokenSet(Date.now(), {
    access_token: body.access_token,
    refresh_token: body.refresh_token,
    expires_in: body.expires_in,
    scope: body.scope,
    client_id: a.clientId,
  });
  return { tokens, client: publicClient("datadoghq.com", a.clientId) };
}

/** What `withMockSession` hands a test. */
export interface MockSession {
  mock: MockDatadog;
  dir: string;
  tokens: TokenSet;
  client: ClientCredentials;
  /** Test deps with the real fetch, `PUP_MOCK_SERVER` and the file store, clock at real now. */
  deps(
    env?: Record<string, string>,
    o?: { stdinLines?: string[]; isTerminal?: boolean },
  ): ReturnType<typeof makeDeps>;
}

/**
 * Runs `fn` with a fresh mock, a temp config dir, and a default session on `datadoghq.com`
 * logged in through the mock (optionally already expired, or with other scopes); closes and
 * removes everything.
 *
 * @param opts the mock's options, and whether to store the session expired
 * @param fn the test body
 */
export async function withMockSession(
  opts: MockOptions & { expiredSession?: boolean; noSession?: boolean; scope?: string },
  fn: (s: MockSession) => Promise<void>,
): Promise<void> {
  const { expiredSession, noSession, scope, ...mockOpts } = opts;
  await withMock({ autoApprove: true, ...mockOpts }, async (mock) => {
    await withTempDir(async (dir) => {
      const { tokens, client } = await loginThroughMock(mock.url, scope);
      const stored = expiredSession ? expired(tokens, Date.now()) : tokens;
      if (!noSession) await storeSession(dir, { tokens: stored, client });
      await fn({
        mock,
        dir,
        tokens: stored,
        client,
        deps: (env = {}, o = {}) =>
          makeDeps({
            configDir: dir,
            env: { PUP_MOCK_SERVER: mock.url, ...env },
            fetch: globalThis.fetch,
            nowMs: Date.now(),
            ...o,
          }),
      });
    });
  });
}
