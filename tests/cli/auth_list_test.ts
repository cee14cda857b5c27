import assert from "node:assert/strict";
import { runAuthList } from "../../lib/cli/commands/auth_list.ts";
import { runCli } from "../../lib/cli/run_cli.ts";
import { makeDeps, withTempDir } from "../_fakes/fake_deps.ts";
import { SessionsRegistry } from "../../lib/storage/sessions.ts";
import { rustSessions } from "../_fakes/rust_reader.ts";

async function rustConfigDir(dir: string): Promise<void> {
  for (
    const f of [
      "tokens_datadoghq_com.json",
      "tokens_datadoghq_eu.json",
      "client_datadoghq_com.json",
      "sessions.json",
    ]
  ) {
    await Deno.copyFile(new URL(`../fixtures/rust/${f}`, import.meta.url), `${dir}/${f}`);
  }
}

Deno.test("auth list shows every sessions.json row with sorted keys, org_uuid null when unknown", async () => {
  await withTempDir(async (dir) => {
    await rustConfigDir(dir);
    const deps = makeDeps({ configDir: dir, nowMs: 1770202800 * 1000 });
    assert.equal(await runAuthList({}, deps), 0);
    const rows = JSON.parse(deps.out.text);
    assert.equal(rows.length, 3);
    assert.deepEqual(Object.keys(rows[0]), [
      "expires_at",
      "has_refresh",
      "org",
      "org_name",
      "org_uuid",
      "scopes",
      "site",
      "status",
    ]);
    assert.deepEqual(rows.map((r: { org: string | null; status: string }) => [r.org, r.status]), [
      [null, "valid"],
      ["prod-child", "expired"],
      ["eu-team", "valid"],
    ]);
    assert.equal(rows[1].org_uuid, "00000000-1111-2222-3333-444444444444");
    assert.equal(rows[2].org_uuid, null);
    assert.ok(!deps.out.text.includes("rust-access"));
  });
});

Deno.test("auth list shows a row whose tokens are gone as 'no token'", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(
      `${dir}/sessions.json`,
      JSON.stringify([{ site: "ap1.datadoghq.com", org: "x" }]),
    );
    const deps = makeDeps({ configDir: dir });
    await runAuthList({}, deps);
    assert.deepEqual(JSON.parse(deps.out.text), [{
      expires_at: null,
      has_refresh: false,
      org: "x",
      org_name: null,
      org_uuid: null,
      scopes: [],
      site: "ap1.datadoghq.com",
      status: "no token",
    }]);
  });
});

Deno.test("auth list prints a table on a terminal and -o json overrides it", async () => {
  await withTempDir(async (dir) => {
    await rustConfigDir(dir);
    const tty = makeDeps({ configDir: dir, isTerminal: true, nowMs: 1770202800 * 1000 });
    assert.equal(await runCli(["auth", "list"], tty), 0);
    assert.match(tty.out.text, /^SITE +ORG +ORG NAME +ORG UUID +STATUS +EXPIRES +SCOPES\n/);
    assert.match(tty.out.text, /datadoghq\.com +\(default\)/);
    const json = makeDeps({ configDir: dir, isTerminal: true });
    await runCli(["auth", "list", "-o", "json"], json);
    assert.equal(JSON.parse(json.out.text).length, 3);
  });
});

Deno.test("auth list exits 1 naming sessions.json when it is corrupt, and leaves it", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/sessions.json`, '{"site":');
    const deps = makeDeps({ configDir: dir });
    assert.equal(await runCli(["auth", "list"], deps), 1);
    assert.match(deps.err.text, /sessions\.json/);
    assert.equal(await Deno.readTextFile(`${dir}/sessions.json`), '{"site":');
  });
});

Deno.test("auth list says 'expiring in 4m0s' inside the refresh window, not 'expired'", async () => {
  await withTempDir(async (dir) => {
    await rustConfigDir(dir);
    const tokens = JSON.parse(await Deno.readTextFile(`${dir}/tokens_datadoghq_com.json`));
    const issued = tokens.__default__.issued_at + tokens.__default__.expires_in;
    const deps = makeDeps({ configDir: dir, nowMs: (issued - 240) * 1000 });
    assert.equal(await runAuthList({ output: "table" }, deps), 0);
    assert.match(deps.out.text, /expiring in 4m0s/);
    const json = makeDeps({ configDir: dir, nowMs: (issued - 240) * 1000 });
    await runAuthList({}, json);
    assert.equal(JSON.parse(json.out.text)[0].status, "expiring");
  });
});

Deno.test("auth list shows a remembered refusal and exits 3, keeping sessions.json readable by the Rust pup", async () => {
  await withTempDir(async (dir) => {
    await rustConfigDir(dir);
    const registry = new SessionsRegistry(dir);
    await registry.update((rows) =>
      rows.map((r) =>
        r.org === "eu-team"
          ? { ...r, refused: { error: "invalid_grant", at: "2026-02-04T12:00:00Z" } }
          : r
      )
    );
    rustSessions(await Deno.readTextFile(`${dir}/sessions.json`));
    const deps = makeDeps({ configDir: dir, nowMs: 1770202800 * 1000 });
    assert.equal(await runAuthList({ output: "table" }, deps), 3);
    assert.match(deps.out.text, /eu-team .*refused 2026-02-04T12:00:00Z \(invalid_grant\)/);
  });
});
