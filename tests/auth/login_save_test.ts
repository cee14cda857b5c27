import assert from "node:assert/strict";
import { validateCallbackParams, type ValidatedCallback } from "../../lib/auth/callback_handler.ts";
import {
  effectiveSite,
  type LoginToSave,
  rememberedOrgUuid,
  saveLabel,
  saveLogin,
} from "../../lib/auth/login_save.ts";
import { FileStore } from "../../lib/storage/file_store.ts";
import { SessionsRegistry } from "../../lib/storage/sessions.ts";
import type { ClientCredentials, TokenSet } from "../../lib/storage/types.ts";
import { Capture, withTempDir } from "../_fakes/fake_deps.ts";
import { rustClient, rustSessions, rustTokenFile } from "../_fakes/rust_reader.ts";

const A = "aaaaaaaa-1111-2222-3333-444444444444";
const B = "bbbbbbbb-1111-2222-3333-444444444444";

function callback(extra: Record<string, string> = {}): ValidatedCallback {
  const v = validateCallbackParams(new URLSearchParams({ code: "c", state: "s", ...extra }), "s");
  assert.equal(v.kind, "code");
  return (v as { callback: ValidatedCallback }).callback;
}

function tokens(id: string): TokenSet {
  return {
    access_token: id,
    refresh_token: `r-${id}`,
    token_type: "Bearer",
    expires_in: 3600,
    expires_at: "2026-02-04T13:00:00Z",
    issued_at: 1770206400,
    scope: "dashboards_read",
    client_id: "client-1",
  };
}

const CLIENT: ClientCredentials = {
  client_id: "client-1",
  client_name: "datadog-pup-cli",
  redirect_uris: ["http://127.0.0.1:8000/oauth/callback"],
  registered_at: 1770206400,
  site: "datadoghq.com",
};

function login(extra: Partial<LoginToSave> = {}): LoginToSave {
  return {
    startSite: "datadoghq.com",
    site: "datadoghq.com",
    label: null,
    tokens: tokens("t"),
    client: CLIENT,
    registered: true,
    orgUuid: null,
    ...extra,
  };
}

async function files(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) if (e.isFile) names.push(e.name);
  return names.sort();
}

Deno.test("effectiveSite() adopts a Datadog domain only for logins that started on a public site", () => {
  const cases: [string, string | undefined, string][] = [
    ["datadoghq.com", "us3.datadoghq.com", "us3.datadoghq.com"],
    ["datadoghq.com", "app.datadoghq.eu", "datadoghq.eu"],
    ["datadoghq.com", "https://US5.DATADOGHQ.COM/", "us5.datadoghq.com"],
    ["datadoghq.com", undefined, "datadoghq.com"],
    ["datadoghq.com", "evil.example.com", "datadoghq.com"],
    ["datadoghq.com", "datadoghq.com.evil.example", "datadoghq.com"],
    ["datadoghq.com", "bad host/with space", "datadoghq.com"],
    ["gw.example.com", "us3.datadoghq.com", "gw.example.com"],
    ["acme.datadoghq.com", "us3.datadoghq.com", "acme.datadoghq.com"],
  ];
  for (const [site, domain, expected] of cases) {
    assert.equal(effectiveSite(site, domain), expected, `${site} + ${domain}`);
  }
});

Deno.test("rememberedOrgUuid() recalls a well-formed UUID from the org's row on the same site only", () => {
  const rows = [
    { site: "datadoghq.com", org: "team", org_uuid: A },
    { site: "datadoghq.eu", org: null, org_uuid: B },
    { site: "datadoghq.com", org: "odd", org_uuid: "not-a-uuid" },
  ];
  assert.equal(rememberedOrgUuid(rows, "datadoghq.com", "team"), A);
  assert.equal(rememberedOrgUuid(rows, "datadoghq.eu", "team"), undefined);
  assert.equal(rememberedOrgUuid(rows, "datadoghq.eu", null), B);
  assert.equal(rememberedOrgUuid(rows, "datadoghq.com", null), undefined);
  assert.equal(rememberedOrgUuid(rows, "datadoghq.com", "odd"), undefined);
});

Deno.test("saveLabel() relabels a named login the server moved to another org, with the ref's warning", () => {
  const err = new Capture();
  assert.equal(
    saveLabel(err, "prod", A, callback({ dd_oid: B, dd_org_name: "Other" })),
    "Other [bbbbbbbb]",
  );
  assert.equal(
    err.text,
    `⚠️  Requested org UUID ${A} but OAuth returned ${B} (Other). Saving token under "Other [bbbbbbbb]" instead of the requested label.\n   Your existing 'prod' session is unchanged. Run \`pup auth logout --org prod\` to clear it if it's stale.\n`,
  );
  const bare = new Capture();
  assert.equal(saveLabel(bare, "prod", A, callback({ dd_oid: B })), "bbbbbbbb");
  assert.match(bare.text, new RegExp(`returned ${B}\\. Saving token under "bbbbbbbb"`));
});

Deno.test("saveLabel() keeps the label for default logins, without a hint, without dd_oid, or for the same UUID in another case", () => {
  const err = new Capture();
  assert.equal(saveLabel(err, null, A, callback({ dd_oid: B })), null);
  assert.equal(saveLabel(err, "prod", undefined, callback({ dd_oid: B })), "prod");
  assert.equal(saveLabel(err, "prod", A, callback()), "prod");
  assert.equal(saveLabel(err, "prod", A, callback({ dd_oid: A.toUpperCase() })), "prod");
  assert.equal(err.text, "");
});

Deno.test("saveLogin() writes Rust-readable tokens, client and row, with org_uuid only when known", async () => {
  await withTempDir(async (dir) => {
    await saveLogin(
      new FileStore(dir),
      new SessionsRegistry(dir),
      login({ label: "team", orgUuid: A }),
    );
    rustTokenFile(await Deno.readTextFile(`${dir}/tokens_datadoghq_com.json`));
    rustClient(JSON.parse(await Deno.readTextFile(`${dir}/client_datadoghq_com.json`)));
    const sessions = await Deno.readTextFile(`${dir}/sessions.json`);
    rustSessions(sessions);
    assert.deepEqual(JSON.parse(sessions), [{ site: "datadoghq.com", org: "team", org_uuid: A }]);
    await saveLogin(new FileStore(dir), new SessionsRegistry(dir), login({ label: "ops" }));
    assert.deepEqual(JSON.parse(await Deno.readTextFile(`${dir}/sessions.json`))[1], {
      site: "datadoghq.com",
      org: "ops",
    });
  });
});

Deno.test("saveLogin() after a region switch stores the session and a copy of the client under the effective site", async () => {
  await withTempDir(async (dir) => {
    await saveLogin(
      new FileStore(dir),
      new SessionsRegistry(dir),
      login({ site: "us3.datadoghq.com" }),
    );
    assert.deepEqual(await files(dir), [
      "client_datadoghq_com.json",
      "client_us3_datadoghq_com.json",
      "sessions.json",
      "tokens_us3_datadoghq_com.json",
    ]);
  });
});

Deno.test("saveLogin() with a reused client leaves the stored client as it is", async () => {
  await withTempDir(async (dir) => {
    const store = new FileStore(dir);
    const stored = { ...CLIENT, registered_at: 1 };
    await store.update("datadoghq.com", (s) => ({ ...s, client: stored }));
    await saveLogin(store, new SessionsRegistry(dir), login({ registered: false }));
    assert.deepEqual((await store.read("datadoghq.com")).client, stored);
  });
});

Deno.test("saveLogin() after a bare login prunes the other default rows and their default tokens, keeping named ones", async () => {
  await withTempDir(async (dir) => {
    const store = new FileStore(dir);
    await store.update("datadoghq.eu", () => ({
      tokens: { __default__: tokens("eu-default"), team: tokens("eu-team") },
      client: null,
    }));
    const registry = new SessionsRegistry(dir);
    await registry.update(() => [
      { site: "datadoghq.eu", org: null },
      { site: "datadoghq.eu", org: "team" },
    ]);
    await saveLogin(store, registry, login());
    assert.deepEqual(await registry.read(), [
      { site: "datadoghq.eu", org: "team" },
      { site: "datadoghq.com", org: null },
    ]);
    assert.deepEqual(Object.keys((await store.read("datadoghq.eu")).tokens), ["team"]);
  });
});

Deno.test("saveLogin() of a named session never prunes default rows", async () => {
  await withTempDir(async (dir) => {
    const registry = new SessionsRegistry(dir);
    await registry.update(() => [{ site: "datadoghq.eu", org: null }]);
    await saveLogin(new FileStore(dir), registry, login({ label: "team" }));
    assert.deepEqual(await registry.read(), [
      { site: "datadoghq.eu", org: null },
      { site: "datadoghq.com", org: "team" },
    ]);
  });
});

Deno.test("saveLogin() whose sessions.json row cannot be written puts the token slot back, leaving no tokens without a row", async () => {
  await withTempDir(async (dir) => {
    const store = new FileStore(dir);
    await saveLogin(store, new SessionsRegistry(dir), login({ label: "kept" }));
    const before = await Deno.readTextFile(`${dir}/tokens_datadoghq_com.json`);
    const failing = {
      update: () => Promise.reject(new Error(`No space left on device: '${dir}/sessions.json'`)),
    };
    await assert.rejects(
      saveLogin(store, failing, login({ label: "new", tokens: tokens("second") })),
      /No space left on device/,
    );
    assert.equal(await Deno.readTextFile(`${dir}/tokens_datadoghq_com.json`), before);
  });
});

Deno.test("saveLogin() of a bare login reports the other site whose default session it replaced", async () => {
  await withTempDir(async (dir) => {
    const store = new FileStore(dir);
    const registry = new SessionsRegistry(dir);
    await saveLogin(
      store,
      registry,
      login({ label: null, site: "datadoghq.eu", startSite: "datadoghq.eu" }),
    );
    const { replacedDefaults } = await saveLogin(store, registry, login({ label: null }));
    assert.deepEqual(replacedDefaults, ["datadoghq.eu"]);
  });
});
