import assert from "node:assert/strict";
import { logout, type LogoutOptions } from "../../lib/auth/logout.ts";
import { FileStore } from "../../lib/storage/file_store.ts";
import { type SessionRow, SessionsRegistry } from "../../lib/storage/sessions.ts";
import type { ClientCredentials, TokenSet } from "../../lib/storage/types.ts";
import { makeDeps, withTempDir } from "../_fakes/fake_deps.ts";
import { FakeFetch, type FetchExpectation } from "../_fakes/fake_fetch.ts";

const REVOKE = "https://api.datadoghq.com/oauth2/v1/revoke";

/** The shared strict fake, expecting one POST to a revoke endpoint per answer, in order. */
function revokeFetch(answers: FetchExpectation["respond"][], url = REVOKE): FakeFetch {
  const fake = new FakeFetch();
  for (const respond of answers) fake.expect({ method: "POST", url, respond });
  return fake;
}

async function forms(fake: FakeFetch): Promise<Record<string, string>[]> {
  return await Promise.all(
    fake.requests.map(async (r) => Object.fromEntries(new URLSearchParams(await r.clone().text()))),
  );
}

const ok = () => new Response(null, { status: 200 });

function tokens(id: string, clientId = "client-1"): TokenSet {
  return {
    access_token: `at-${id}`,
    refresh_token: `rt-${id}`,
    token_type: "Bearer",
    expires_in: 3600,
    issued_at: 1770202800,
    scope: "dashboards_read",
    client_id: clientId,
  };
}

function client(site: string, extra: Partial<ClientCredentials> = {}): ClientCredentials {
  return {
    client_id: "client-1",
    client_name: "datadog-pup-cli",
    redirect_uris: ["http://127.0.0.1:8000/oauth/callback"],
    registered_at: 1770202800,
    site,
    ...extra,
  };
}

async function seed(
  dir: string,
  site: string,
  state: { tokens: Record<string, TokenSet>; client: ClientCredentials | null },
): Promise<void> {
  await new FileStore(dir).update(site, () => state);
}

async function run(
  dir: string,
  fetch: typeof globalThis.fetch,
  o: Partial<LogoutOptions> & { rows?: SessionRow[] } = {},
) {
  const registry = new SessionsRegistry(dir);
  if (o.rows) await registry.update(() => o.rows!);
  const deps = makeDeps({ configDir: dir, fetch });
  return await logout(deps, {
    site: "datadoghq.com",
    org: null,
    store: new FileStore(dir),
    registry,
    trust: { flag: false },
    ...o,
  });
}

async function files(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) if (e.isFile) names.push(e.name);
  return names.sort();
}

Deno.test("logout() of the default session removes its tokens, row and client, then revokes the refresh token and the access token", async () => {
  await withTempDir(async (dir) => {
    await seed(dir, "datadoghq.com", {
      tokens: { __default__: tokens("d") },
      client: client("datadoghq.com"),
    });
    const f = revokeFetch([ok, ok]);
    const report = await run(dir, f.fetch, { rows: [{ site: "datadoghq.com", org: null }] });
    f.verify();
    assert.deepEqual(
      await forms(f),
      [
        { token: "rt-d", token_type_hint: "refresh_token", client_id: "client-1" },
        { token: "at-d", token_type_hint: "access_token", client_id: "client-1" },
      ],
    );
    assert.deepEqual(report, {
      sessions: [{
        site: "datadoghq.com",
        org: null,
        revoked: { refresh_token: true, access_token: true },
      }],
      rows_removed: 1,
      clients_removed: ["datadoghq.com"],
      stranded: [],
    });
    assert.deepEqual(await files(dir), ["sessions.json"]);
    assert.equal(await Deno.readTextFile(`${dir}/sessions.json`), "[]");
  });
});

Deno.test("logout() of a named org removes that org on every site and keeps the default session and the client", async () => {
  await withTempDir(async (dir) => {
    await seed(dir, "datadoghq.com", {
      tokens: { __default__: tokens("d"), team: tokens("t") },
      client: client("datadoghq.com"),
    });
    await seed(dir, "datadoghq.eu", { tokens: { team: tokens("eu") }, client: null });
    const rows: SessionRow[] = [
      { site: "datadoghq.com", org: null },
      { site: "datadoghq.com", org: "team" },
      { site: "datadoghq.eu", org: "team" },
    ];
    // The eu session has no client of its own; its token names the client that can revoke it.
    const f = revokeFetch([ok, ok]);
    for (let i = 0; i < 2; i++) {
      f.expect({ method: "POST", url: "https://api.datadoghq.eu/oauth2/v1/revoke", respond: ok });
    }
    const report = await run(dir, f.fetch, { org: "team", rows });
    f.verify();
    assert.deepEqual((await forms(f)).map((x) => x.token), ["rt-t", "at-t", "rt-eu", "at-eu"]);
    assert.deepEqual(
      report.sessions.map((s) => s.site).sort(),
      ["datadoghq.com", "datadoghq.eu"],
    );
    assert.equal(report.rows_removed, 2);
    assert.deepEqual(report.clients_removed, []);
    const com = await new FileStore(dir).read("datadoghq.com");
    assert.deepEqual(Object.keys(com.tokens), ["__default__"]);
    assert.ok(com.client);
    assert.deepEqual(await files(dir), [
      "client_datadoghq_com.json",
      "sessions.json",
      "tokens_datadoghq_com.json",
    ]);
    assert.deepEqual(JSON.parse(await Deno.readTextFile(`${dir}/sessions.json`)), [rows[0]]);
  });
});

Deno.test("logout() removes tokens that have no sessions.json row", async () => {
  await withTempDir(async (dir) => {
    await seed(dir, "datadoghq.com", {
      tokens: { team: tokens("t") },
      client: client("datadoghq.com"),
    });
    const f = revokeFetch([ok, ok]);
    const report = await run(dir, f.fetch, { org: "team" });
    assert.equal(report.sessions.length, 1);
    assert.equal(report.rows_removed, 0);
    const state = await new FileStore(dir).read("datadoghq.com");
    assert.deepEqual(state.tokens, {});
  });
});

Deno.test("logout() of the default session strands no named session of a public client: each refreshes with its own client_id", async () => {
  await withTempDir(async (dir) => {
    await seed(dir, "datadoghq.com", {
      tokens: { __default__: tokens("d"), alpha: tokens("a") },
      client: client("datadoghq.com"),
    });
    const f = revokeFetch([ok, ok]);
    const report = await run(dir, f.fetch, {
      rows: [{ site: "datadoghq.com", org: null }, { site: "datadoghq.com", org: "beta" }],
    });
    assert.deepEqual(report.stranded, []);
    assert.deepEqual(report.clients_removed, ["datadoghq.com"]);
  });
});

Deno.test("logout() of the default session names the named sessions of a confidential client, whose secret goes with it", async () => {
  await withTempDir(async (dir) => {
    await seed(dir, "datadoghq.com", {
      tokens: { __default__: tokens("d"), alpha: tokens("a"), gamma: tokens("g", "client-2") },
      client: client("datadoghq.com", {
        client_secret: "s",
        token_endpoint_auth_method: "client_secret_post",
      }),
    });
    const f = revokeFetch([ok, ok]);
    const report = await run(dir, f.fetch, {
      rows: [{ site: "datadoghq.com", org: null }, { site: "datadoghq.com", org: "beta" }],
    });
    assert.deepEqual(report.stranded, [{ site: "datadoghq.com", orgs: ["alpha"] }]);
  });
});

Deno.test("logout() without a default session keeps the client that named sessions still use", async () => {
  await withTempDir(async (dir) => {
    await seed(dir, "datadoghq.com", {
      tokens: { alpha: tokens("a") },
      client: client("datadoghq.com"),
    });
    const f = revokeFetch([]);
    const report = await run(dir, f.fetch);
    f.verify();
    assert.deepEqual(report, { sessions: [], rows_removed: 0, clients_removed: [], stranded: [] });
    assert.ok((await new FileStore(dir).read("datadoghq.com")).client);
  });
});

Deno.test("logout() removes the session locally even when the server refuses or cannot be reached", async (t) => {
  const failures: [string, FetchExpectation["respond"]][] = [
    ["HTTP 500", () => new Response("oops", { status: 500 })],
    ["a network error", new TypeError("connection refused")],
  ];
  for (const [name, answer] of failures) {
    await t.step(name, async () => {
      await withTempDir(async (dir) => {
        await seed(dir, "datadoghq.com", {
          tokens: { __default__: tokens("d") },
          client: client("datadoghq.com"),
        });
        const f = revokeFetch([answer, answer]);
        const report = await run(dir, f.fetch);
        f.verify();
        assert.deepEqual(report.sessions[0].revoked, { refresh_token: false, access_token: false });
        assert.deepEqual(await files(dir), []);
      });
    });
  }
});

Deno.test("logout() never sends tokens to an untrusted host, and still removes them", async () => {
  await withTempDir(async (dir) => {
    const site = "gw.example.com";
    await seed(dir, site, { tokens: { __default__: tokens("g") }, client: client(site) });
    const f = revokeFetch([]);
    const report = await run(dir, f.fetch, { site });
    f.verify();
    assert.equal(f.requests.length, 0);
    assert.match(report.sessions[0].revoked.skipped!, /'gw\.example\.com' is not a trusted host/);
    assert.deepEqual((await new FileStore(dir).read(site)).tokens, {});
  });
});

Deno.test("logout() revokes with the client's secret in HTTP Basic, never in the form", async () => {
  await withTempDir(async (dir) => {
    await seed(dir, "datadoghq.com", {
      tokens: { __default__: tokens("d") },
      client: client("datadoghq.com", {
        client_secret: "shh-secret",
        token_endpoint_auth_method: "client_secret_basic",
      }),
    });
    const f = revokeFetch([ok, ok]);
    await run(dir, f.fetch);
    f.verify();
    assert.equal(f.requests.length, 2);
    for (const r of f.requests) {
      assert.match(r.headers.get("authorization") ?? "", /^Basic /);
      assert.ok(!(await r.clone().text()).includes("shh-secret"));
    }
  });
});

Deno.test("logout() with nothing stored changes nothing and sends nothing", async () => {
  await withTempDir(async (dir) => {
    const f = revokeFetch([]);
    const report = await run(dir, f.fetch, { org: "ghost" });
    f.verify();
    assert.deepEqual(report, { sessions: [], rows_removed: 0, clients_removed: [], stranded: [] });
    assert.deepEqual(await files(dir), []);
  });
});

Deno.test("logout() stops waiting for a hung revoke endpoint on Ctrl-C, with the session already removed", async () => {
  await withTempDir(async (dir) => {
    await seed(dir, "datadoghq.com", {
      tokens: { __default__: tokens("d") },
      client: client("datadoghq.com"),
    });
    const ctrlC = new AbortController();
    let reached!: () => void;
    const revokeStarted = new Promise<void>((r) => (reached = r));
    // The server never answers: only Ctrl-C can end the wait.
    const f = revokeFetch([() => {
      reached();
      return new Promise<Response>(() => {});
    }]);
    const registry = new SessionsRegistry(dir);
    await registry.update(() => [{ site: "datadoghq.com", org: null }]);
    const done = logout(makeDeps({ configDir: dir, fetch: f.fetch, interrupt: ctrlC.signal }), {
      site: "datadoghq.com",
      org: null,
      store: new FileStore(dir),
      registry,
      trust: { flag: false },
    });
    await revokeStarted;
    assert.deepEqual(await files(dir), ["sessions.json"], "removed locally before revoking");
    ctrlC.abort();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const report = await Promise.race([
      done,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error("logout kept waiting after Ctrl-C")), 5_000);
      }),
    ]).finally(() => clearTimeout(timer));
    f.verify();
    assert.equal(f.requests.length, 1, "the access token is not sent after Ctrl-C");
    assert.deepEqual(report.sessions[0].revoked, { refresh_token: false, access_token: false });
    assert.equal(await Deno.readTextFile(`${dir}/sessions.json`), "[]");
  });
});
