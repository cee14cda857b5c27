import assert from "node:assert/strict";
import { parseAuthLogoutArgs } from "../../lib/cli/commands/auth_logout.ts";
import { runCli } from "../../lib/cli/run_cli.ts";
import { makeDeps, withTempDir } from "../_fakes/fake_deps.ts";
import { FakeFetch } from "../_fakes/fake_fetch.ts";

async function copyFixtures(dir: string, names: string[]): Promise<void> {
  for (const f of names) {
    await Deno.copyFile(new URL(`../fixtures/rust/${f}`, import.meta.url), `${dir}/${f}`);
  }
}

const RUST = [
  "tokens_datadoghq_com.json",
  "client_datadoghq_com.json",
  "tokens_datadoghq_eu.json",
  "sessions.json",
];

function revokes(url: string, n: number): FakeFetch {
  const f = new FakeFetch();
  for (let i = 0; i < n; i++) {
    f.expect({ method: "POST", url, respond: () => new Response(null, { status: 200 }) });
  }
  return f;
}

Deno.test("parseAuthLogoutArgs() keeps --org, --output and --trust-site", () => {
  assert.deepEqual(parseAuthLogoutArgs({ org: "p", output: "table", trustSite: true }), {
    org: "p",
    output: "table",
    trustSite: true,
  });
  assert.equal(parseAuthLogoutArgs({}).trustSite, false);
});

Deno.test("auth logout of the Rust default session revokes, removes it and its client, and the named session keeps refreshing (no false warning)", async () => {
  await withTempDir(async (dir) => {
    await copyFixtures(dir, RUST);
    const f = revokes("https://api.datadoghq.com/oauth2/v1/revoke", 2);
    const deps = makeDeps({ configDir: dir, fetch: f.fetch });
    assert.equal(await runCli(["auth", "logout"], deps), 0);
    f.verify();
    const err = deps.err.text;
    assert.match(err, /^Logged out from datadoghq\.com\. Tokens removed\.\n/m);
    assert.match(err, /Server revocation: refresh token revoked, access token revoked\.\n/);
    assert.match(err, /Client registration for datadoghq\.com removed\.\n/);
    assert.doesNotMatch(
      err,
      /cannot refresh/,
      "a public client's siblings refresh with their own client_id",
    );
    const tokens = JSON.parse(await Deno.readTextFile(`${dir}/tokens_datadoghq_com.json`));
    assert.deepEqual(Object.keys(tokens), ["prod-child"]);
    await assert.rejects(Deno.stat(`${dir}/client_datadoghq_com.json`), Deno.errors.NotFound);
    const rows = JSON.parse(await Deno.readTextFile(`${dir}/sessions.json`));
    assert.deepEqual(rows.map((r: { org: string | null }) => r.org), ["prod-child", "eu-team"]);
    const out = JSON.parse(deps.out.text);
    assert.equal(out.logged_out, true);
    assert.ok(!deps.out.text.includes("rust-") && !err.includes("rust-access"));
  });
});

Deno.test("auth logout --org removes only that named session, on the site its row names", async () => {
  await withTempDir(async (dir) => {
    await copyFixtures(dir, RUST);
    // The eu token names a client that is not stored: revoked as a public client with its id.
    const f = revokes("https://api.datadoghq.eu/oauth2/v1/revoke", 2);
    const deps = makeDeps({ configDir: dir, fetch: f.fetch });
    assert.equal(await runCli(["auth", "logout", "--org", "eu-team"], deps), 0);
    f.verify();
    assert.match(
      deps.err.text,
      /^Logged out from datadoghq\.eu \(org: eu-team\)\. Tokens removed\./,
    );
    await assert.rejects(Deno.stat(`${dir}/tokens_datadoghq_eu.json`), Deno.errors.NotFound);
    assert.ok((await Deno.stat(`${dir}/client_datadoghq_com.json`)).isFile);
    const rows = JSON.parse(await Deno.readTextFile(`${dir}/sessions.json`));
    assert.deepEqual(rows.map((r: { org: string | null }) => r.org), [null, "prod-child"]);
  });
});

Deno.test("auth logout lets DD_SITE pick which default session goes", async () => {
  await withTempDir(async (dir) => {
    const token = {
      access_token: "a",
      refresh_token: "",
      token_type: "Bearer",
      expires_in: 3600,
      issued_at: 1,
      scope: "",
      client_id: "",
    };
    await Deno.writeTextFile(
      `${dir}/tokens_datadoghq_com.json`,
      JSON.stringify({ __default__: token }),
    );
    await Deno.writeTextFile(
      `${dir}/tokens_datadoghq_eu.json`,
      JSON.stringify({ __default__: token }),
    );
    await Deno.writeTextFile(
      `${dir}/sessions.json`,
      JSON.stringify([{ site: "datadoghq.com", org: null }, { site: "datadoghq.eu", org: null }]),
    );
    const deps = makeDeps({ configDir: dir, env: { DD_SITE: "datadoghq.eu" } });
    assert.equal(await runCli(["auth", "logout", "-o", "json"], deps), 0);
    // No refresh token and no client id: nothing can be revoked, so nothing is sent.
    assert.match(deps.err.text, /Not revoked at the server: no client registration is known/);
    await assert.rejects(Deno.stat(`${dir}/tokens_datadoghq_eu.json`), Deno.errors.NotFound);
    assert.ok((await Deno.stat(`${dir}/tokens_datadoghq_com.json`)).isFile);
    assert.deepEqual(JSON.parse(await Deno.readTextFile(`${dir}/sessions.json`)), [
      { site: "datadoghq.com", org: null },
    ]);
  });
});

Deno.test("auth logout with nothing stored says so and exits 0", async () => {
  await withTempDir(async (dir) => {
    const deps = makeDeps({ configDir: dir });
    assert.equal(await runCli(["auth", "logout", "--org", "ghost"], deps), 0);
    assert.equal(
      deps.err.text,
      "Nothing to log out: no session for datadoghq.com (org: ghost) is stored.\n",
    );
    assert.equal(JSON.parse(deps.out.text).logged_out, false);
  });
});

Deno.test("auth logout removes a session on an untrusted host without revoking, and revokes there with --trust-site", async (t) => {
  const site = "gw.example.com";
  const seed = async (dir: string) => {
    const token = {
      access_token: "ga",
      refresh_token: "gr",
      token_type: "Bearer",
      expires_in: 3600,
      issued_at: 1,
      scope: "",
      client_id: "gw-client",
    };
    await Deno.writeTextFile(
      `${dir}/tokens_gw_example_com.json`,
      JSON.stringify({ __default__: token }),
    );
  };
  await t.step("untrusted", async () => {
    await withTempDir(async (dir) => {
      await seed(dir);
      const deps = makeDeps({ configDir: dir, env: { DD_SITE: site } });
      assert.equal(await runCli(["auth", "logout"], deps), 0);
      assert.match(
        deps.err.text,
        /Not revoked at the server: 'gw\.example\.com' is not a trusted host/,
      );
      await assert.rejects(Deno.stat(`${dir}/tokens_gw_example_com.json`), Deno.errors.NotFound);
    });
  });
  await t.step("--trust-site", async () => {
    await withTempDir(async (dir) => {
      await seed(dir);
      const f = revokes(`https://${site}/oauth2/v1/revoke`, 2);
      const deps = makeDeps({ configDir: dir, env: { DD_SITE: site }, fetch: f.fetch });
      assert.equal(await runCli(["auth", "logout", "--trust-site"], deps), 0);
      f.verify();
      assert.match(deps.err.text, /refresh token revoked, access token revoked/);
    });
  });
});
