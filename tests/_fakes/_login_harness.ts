/**
 * The harness of the login-flow tests: a strict fetch with the requests' form bodies at hand, a
 * browser that delivers a callback to the flow's real callback server, canned DCR and token
 * answers, and a flow runner over a temp config dir. Shared by tests/auth/login_flow*_test.ts.
 *
 * @module
 */

import assert from "node:assert/strict";
import { runLoginFlow } from "../../lib/auth/login_flow.ts";
import type { LoginFlowOptions } from "../../lib/auth/login_flow.ts";
import { endpointsFor } from "../../lib/config/endpoints.ts";
import type { Browser, BrowserOpenResult, Clock, Deps, LineReader } from "../../lib/deps.ts";
import { FileStore } from "../../lib/storage/file_store.ts";
import { type SessionRow, SessionsRegistry } from "../../lib/storage/sessions.ts";
import { makeDeps } from "./fake_deps.ts";
import { FakeFetch, jsonResponse } from "./fake_fetch.ts";

export type Handler = (req: Request) => Response | Promise<Response>;

/** The shared strict fetch fake, with the requests' form bodies at hand. */
export class StrictFetch extends FakeFetch {
  on(method: string, url: string, ...handlers: Handler[]): this {
    for (const respond of handlers) this.expect({ method, url, respond });
    return this;
  }
  get calls(): Request[] {
    return this.requests;
  }
  async body(i: number): Promise<string> {
    return await this.requests[i].clone().text();
  }
  async form(i: number): Promise<URLSearchParams> {
    return new URLSearchParams(await this.body(i));
  }
  assertAllUsed(): void {
    this.verify();
  }
}

export const json = jsonResponse;

export const API = "https://api.datadoghq.com";
export const REGISTER = `${API}/api/v2/oauth2/register`;
export const TOKEN = `${API}/oauth2/v1/token`;
export const ACCESS = "at-secret-0123456789";
export const REFRESH = "rt-secret-0123456789";

export const registered: Handler = () =>
  json(201, {
    client_id: "client-1",
    client_name: "datadog-pup-cli",
    redirect_uris: [8000, 8080, 8888, 9000].map((p) => `http://127.0.0.1:${p}/oauth/callback`),
    token_endpoint_auth_method: "none",
  });
export const issued = (extra: Record<string, unknown> = {}): Handler => () =>
  json(200, {
    access_token: ACCESS,
    refresh_token: REFRESH,
    token_type: "Bearer",
    expires_in: 3600,
    scope: "dashboards_read monitors_read",
    ...extra,
  });

/** A browser that delivers callbacks to the loopback server, and fails if opened twice. */
export class CallbackBrowser implements Browser {
  urls: string[] = [];
  statuses: number[] = [];
  constructor(
    readonly queries: ((state: string) => Record<string, string>)[],
    readonly result: BrowserOpenResult = { opened: true, via: "fake" },
  ) {}
  async open(url: string): Promise<BrowserOpenResult> {
    this.urls.push(url);
    assert.equal(this.urls.length, 1, "the browser was opened more than once");
    const u = new URL(url);
    const redirect = u.searchParams.get("redirect_uri")!;
    for (const q of this.queries) {
      const target = new URL(redirect);
      for (const [k, v] of Object.entries(q(u.searchParams.get("state")!))) {
        target.searchParams.set(k, v);
      }
      const res = await fetch(target);
      await res.body?.cancel();
      this.statuses.push(res.status);
    }
    return this.result;
  }
  get authorize(): URL {
    assert.equal(this.urls.length, 1, "the browser was never opened");
    return new URL(this.urls[0]);
  }
}

export const approve = (extra: Record<string, string> = {}) => (state: string) => ({
  code: "the-code",
  state,
  ...extra,
});

/** A clock whose sleeps end only when aborted: no timeout fires on its own, no timer is left. */
export const neverClock: Clock = {
  now: () => Date.UTC(2026, 1, 4, 12, 0, 0),
  sleep: (_ms, signal) =>
    new Promise((_, reject) => signal?.addEventListener("abort", () => reject(signal.reason))),
};

/** Stdin that answers its first read, once the browser was opened, with `line(authorize URL)`. */
export function pasteAfterOpen(
  browser: CallbackBrowser,
  line: (authorize: URL) => string,
): LineReader {
  let answered = false;
  return {
    async readLine() {
      if (answered) return await new Promise<never>(() => {});
      answered = true;
      await until("the browser", () => browser.urls.length > 0);
      return line(browser.authorize);
    },
    readAll: () => Promise.reject(new Error("a login never reads stdin whole")),
  };
}

export async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(check(), `timed out waiting for ${what}`);
}

export interface Harness {
  deps: Deps & { out: { text: string }; err: { text: string } };
  store: FileStore;
  registry: SessionsRegistry;
  run(o?: Partial<LoginFlowOptions>): ReturnType<typeof runLoginFlow>;
}

export function harness(
  dir: string,
  h: {
    fetch: StrictFetch;
    browser?: Browser;
    stdin?: LineReader;
    interrupt?: AbortSignal;
    isTerminal?: boolean;
    rows?: SessionRow[];
    /** Default: a clock that never times out; makeDeps' instant clock times out at once. */
    clock?: Clock;
  },
): Harness {
  const base = makeDeps({
    configDir: dir,
    fetch: h.fetch.fetch,
    browser: h.browser,
    interrupt: h.interrupt,
    isTerminal: h.isTerminal,
  });
  const clock = h.clock ?? neverClock;
  const deps = { ...base, clock, io: { ...base.io, stdin: h.stdin ?? base.io.stdin } };
  const store = new FileStore(dir);
  const registry = new SessionsRegistry(dir);
  return {
    deps,
    store,
    registry,
    run: (o = {}) =>
      runLoginFlow(deps, {
        site: "datadoghq.com",
        org: null,
        endpoints: endpointsFor("datadoghq.com"),
        store,
        registry,
        rows: h.rows ?? [],
        scopes: ["monitors_read", "dashboards_read"],
        ports: [0],
        ...o,
      }),
  };
}

export async function storedFiles(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) if (e.isFile) names.push(e.name);
  return names.sort();
}

export async function assertPortClosed(url: string): Promise<void> {
  const port = Number(new URL(url).port);
  await assert.rejects(Deno.connect({ hostname: "127.0.0.1", port }));
}

export async function s256(verifier: string): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return new Uint8Array(d).toBase64({ alphabet: "base64url", omitPadding: true });
}
