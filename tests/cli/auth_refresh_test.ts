import assert from "node:assert/strict";
import { parseAuthRefreshArgs, runAuthRefresh } from "../../lib/cli/commands/auth_refresh.ts";
import { runCli } from "../../lib/cli/run_cli.ts";
import { makeDeps, withTempDir } from "../_fakes/fake_deps.ts";
import { FakeFetch, jsonResponse } from "../_fakes/fake_fetch.ts";
import { rustTokenFile } from "../_fakes/rust_reader.ts";

const TOKEN = "https://api.datadoghq.com/oauth2/v1/token";
const ISSUED = 1770202800 * 1000;

async function copyFixtures(dir: string, names: string[]): Promise<void> {
  for (const f of names) {
    await Deno.copyFile(new URL(`../fixtures/rust/${f}`, import.meta.url), `${dir}/${f}`);
  }
}

const RUST_SESSION = ["tokens_datadoghq_com.json", "client_datadoghq_com.json", "sessions.json"];

Deno.test("parseAuthRefreshArgs() keeps --org, --output and --trust-site", () => {
  assert.deepEqual(parseAuthRefreshArgs({ org: "p", output: "json", trustSite: true }), {
    org: "p",
    output: "json",
    trustSite: true,
  });
  assert.deepEqual(parseAuthRefreshArgs({}), {
    org: undefined,
    output: undefined,
    trustSite: false,
  });
});

Deno.test("auth refresh refreshes a still-valid Rust session now, keeps the refresh token when none comes back, and prints the ref §9.4 lines", async () => {
  await withTempDir(async (dir) => {
    await copyFixtures(dir, RUST_SESSION);
    const f = new FakeFetch().expect({
      method: "POST",
      url: TOKEN,
      check: async (req) => {
        const form = new URLSearchParams(await req.text());
        assert.equal(form.get("grant_type"), "refresh_token");
        assert.equal(form.get("refresh_token"), "rust-refresh-default");
        assert.equal(form.get("client_id"), "rust-client-1");
      },
      respond: () =>
        jsonResponse(200, {
          access_token: "new-access-token",
          token_type: "Bearer",
          expires_in: 3600,
          scope: "dashboards_read",
        }),
    });
    const deps = makeDeps({ configDir: dir, fetch: f.fetch, nowMs: ISSUED + 60_000 });
    assert.equal(await runAuthRefresh({ trustSite: false }, deps), 0);
    f.verify();
    assert.match(deps.err.text, /^🔄 Refreshing access token for site: datadoghq\.com\.\.\.\n/);
    assert.match(deps.err.text, /✅ Token refreshed successfully!\n {3}Access token expires: .+\n/);
    assert.ok(deps.err.text.includes(`   Token stored in: ${dir}\n`));
    const text = await Deno.readTextFile(`${dir}/tokens_datadoghq_com.json`);
    rustTokenFile(text);
    const stored = JSON.parse(text).__default__;
    assert.equal(stored.access_token, "new-access-token");
    assert.equal(stored.refresh_token, "rust-refresh-default");
    const out = JSON.parse(deps.out.text);
    assert.equal(out.refreshed, true);
    assert.ok(!deps.out.text.includes("new-access-token") && !deps.err.text.includes("new-access"));
  });
});

Deno.test("auth refresh exits 3 with what to run when there is nothing to refresh", async (t) => {
  await t.step("no session", async () => {
    await withTempDir(async (dir) => {
      const deps = makeDeps({ configDir: dir, env: { DD_SITE: "datadoghq.eu" } });
      assert.equal(await runCli(["auth", "refresh"], deps), 3);
      assert.match(
        deps.err.text,
        /Error: Not logged in to "datadoghq\.eu": run 'pup auth login --site datadoghq\.eu'/,
      );
    });
  });
  await t.step("no refresh token", async () => {
    await withTempDir(async (dir) => {
      await copyFixtures(dir, RUST_SESSION);
      const deps = makeDeps({ configDir: dir });
      assert.equal(await runCli(["auth", "refresh", "--org", "prod-child"], deps), 3);
      assert.match(
        deps.err.text,
        /no refresh token: run 'pup auth login --org prod-child --site datadoghq\.com'/,
      );
    });
  });
  await t.step("no client registration, and no client_id in the token set", async () => {
    await withTempDir(async (dir) => {
      await copyFixtures(dir, ["tokens_datadoghq_com.json"]);
      const path = `${dir}/tokens_datadoghq_com.json`;
      const stored = JSON.parse(await Deno.readTextFile(path));
      for (const t of Object.values(stored) as { client_id: string }[]) t.client_id = "";
      await Deno.writeTextFile(path, JSON.stringify(stored));
      const deps = makeDeps({ configDir: dir });
      assert.equal(await runCli(["auth", "refresh"], deps), 3);
      assert.match(deps.err.text, /client registration is gone/);
    });
  });
});

Deno.test("auth refresh exits 3 when the server refuses the refresh token, and 1 when the server fails", async (t) => {
  const cases: [string, Response, number, RegExp][] = [
    [
      "invalid_grant",
      jsonResponse(400, { error: "invalid_grant", error_description: "revoked" }),
      3,
      /refused to refresh the token of "datadoghq\.com" \(invalid_grant: revoked\)/,
    ],
    [
      "HTTP 503",
      jsonResponse(503, { error: "temporarily_unavailable" }),
      1,
      /refresh of "datadoghq\.com" failed \(temporarily_unavailable\)\. The current access token stays valid for .*run 'pup auth login --site datadoghq\.com'/,
    ],
  ];
  for (const [name, answer, code, message] of cases) {
    await t.step(name, async () => {
      await withTempDir(async (dir) => {
        await copyFixtures(dir, RUST_SESSION);
        const f = new FakeFetch().expect({ method: "POST", url: TOKEN, respond: answer });
        const deps = makeDeps({ configDir: dir, fetch: f.fetch, nowMs: ISSUED });
        assert.equal(await runCli(["auth", "refresh"], deps), code);
        f.verify();
        assert.match(deps.err.text, message);
        const stored = JSON.parse(await Deno.readTextFile(`${dir}/tokens_datadoghq_com.json`));
        assert.equal(stored.__default__.access_token, "rust-access-default");
      });
    });
  }
});

Deno.test("auth refresh sends nothing to a non-Datadog host nobody trusted", async () => {
  await withTempDir(async (dir) => {
    const deps = makeDeps({ configDir: dir, env: { DD_SITE: "gw.example.com" } });
    assert.equal(await runCli(["auth", "refresh"], deps), 1);
    assert.match(deps.err.text, /not a Datadog-owned host/);
  });
});
