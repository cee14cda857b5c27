import assert from "node:assert/strict";
import { parseAuthStatusArgs, runAuthStatus } from "../../lib/cli/commands/auth_status.ts";
import { runCli } from "../../lib/cli/run_cli.ts";
import { makeDeps, withTempDir } from "../_fakes/fake_deps.ts";

async function copyFixtures(dir: string, names: string[]): Promise<void> {
  for (const f of names) {
    await Deno.copyFile(new URL(`../fixtures/rust/${f}`, import.meta.url), `${dir}/${f}`);
  }
}
const ISSUED = 1770202800 * 1000;

Deno.test("parseAuthStatusArgs() keeps --site, --org and --output", () => {
  assert.deepEqual(parseAuthStatusArgs({ org: "p", site: "datadoghq.eu", output: "json" }), {
    org: "p",
    site: "datadoghq.eu",
    output: "json",
  });
});

Deno.test("auth status reads the Rust pup's default session and prints the ref §9.3 keys plus status_message and storage", async () => {
  await withTempDir(async (dir) => {
    await copyFixtures(dir, [
      "tokens_datadoghq_com.json",
      "client_datadoghq_com.json",
      "sessions.json",
    ]);
    const deps = makeDeps({ configDir: dir, nowMs: ISSUED + 60_000 });
    const code = await runAuthStatus({}, deps);
    assert.equal(code, 0);
    const out = JSON.parse(deps.out.text);
    assert.deepEqual(Object.keys(out), [
      "authenticated",
      "expires_at",
      "has_refresh",
      "org",
      "scopes",
      "site",
      "status",
      "status_message",
      "storage",
      "token_type",
    ]);
    assert.equal(out.site, "datadoghq.com");
    assert.equal(out.status, "valid");
    assert.deepEqual(out.scopes, ["apm_read", "dashboards_read", "monitors_read"]);
    assert.equal(out.storage, "file");
    assert.match(out.status_message, /Token expires in: 59m0s/);
    assert.ok(!deps.out.text.includes("rust-access") && !deps.err.text.includes("rust-access"));
  });
});

Deno.test("auth status recalls a named session on datadoghq.eu through sessions.json", async () => {
  await withTempDir(async (dir) => {
    await copyFixtures(dir, ["tokens_datadoghq_eu.json", "sessions.json"]);
    const deps = makeDeps({ configDir: dir, nowMs: 1770202000 * 1000 + 1000 });
    assert.equal(await runAuthStatus({ org: "eu-team" }, deps), 0);
    const out = JSON.parse(deps.out.text);
    assert.equal(out.site, "datadoghq.eu");
    assert.equal(out.org, "eu-team");
  });
});

Deno.test("auth status reads the legacy bare token file", async () => {
  await withTempDir(async (dir) => {
    await copyFixtures(dir, ["tokens_us3_datadoghq_com.json"]);
    const deps = makeDeps({ configDir: dir, env: { DD_SITE: "us3.datadoghq.com" }, nowMs: ISSUED });
    assert.equal(await runAuthStatus({}, deps), 0);
    assert.equal(JSON.parse(deps.out.text).has_refresh, true);
  });
});

Deno.test("auth status exits 3 and says what to run when not logged in", async () => {
  await withTempDir(async (dir) => {
    const deps = makeDeps({ configDir: dir, env: { DD_SITE: "datadoghq.eu" } });
    assert.equal(await runAuthStatus({}, deps), 3);
    const out = JSON.parse(deps.out.text);
    assert.equal(out.authenticated, false);
    assert.equal(out.status, "no token");
    assert.match(out.status_message, /pup auth login --site datadoghq\.eu/);
  });
});

Deno.test("auth status reports an expired token without a refresh token as not authenticated (exit 3)", async () => {
  await withTempDir(async (dir) => {
    await copyFixtures(dir, [
      "tokens_datadoghq_com.json",
      "client_datadoghq_com.json",
      "sessions.json",
    ]);
    const deps = makeDeps({ configDir: dir, nowMs: ISSUED + 2 * 3600_000 });
    assert.equal(await runAuthStatus({ org: "prod-child" }, deps), 3);
    const out = JSON.parse(deps.out.text);
    assert.equal(out.status, "expired");
    assert.equal(out.authenticated, false);
    assert.match(out.status_message, /pup auth login --org prod-child/);
  });
});

Deno.test("auth status counts an expired but refreshable token as authenticated and never refreshes", async () => {
  await withTempDir(async (dir) => {
    await copyFixtures(dir, [
      "tokens_datadoghq_com.json",
      "client_datadoghq_com.json",
      "sessions.json",
    ]);
    // makeDeps' fetch fails the test on any call: no refresh may happen.
    const deps = makeDeps({ configDir: dir, nowMs: ISSUED + 3600_000 - 60_000 });
    assert.equal(await runAuthStatus({}, deps), 0);
    const out = JSON.parse(deps.out.text);
    assert.equal(out.status, "expiring");
    assert.match(out.status_message, /is expiring in 1m0s; the next API call refreshes it/);
    assert.equal(out.authenticated, true);
  });
});

Deno.test("auth status reports DD_ACCESS_TOKEN and API keys as the Rust pup does", async () => {
  await withTempDir(async (dir) => {
    const bearer = makeDeps({ configDir: dir, env: { DD_ACCESS_TOKEN: "secret-bearer" } });
    assert.equal(await runAuthStatus({}, bearer), 0);
    assert.equal(JSON.parse(bearer.out.text).auth_method, "bearer_token");
    assert.ok(!bearer.out.text.includes("secret-bearer"));
    const keys = makeDeps({ configDir: dir, env: { DD_API_KEY: "k", DD_APP_KEY: "a" } });
    assert.equal(await runAuthStatus({}, keys), 0);
    assert.equal(JSON.parse(keys.out.text).auth_method, "api_keys");
    const lone = makeDeps({ configDir: dir, env: { DD_API_KEY: "k" } });
    assert.equal(await runAuthStatus({}, lone), 3);
  });
});

Deno.test("auth status prints a readable summary on a terminal", async () => {
  await withTempDir(async (dir) => {
    await copyFixtures(dir, ["tokens_datadoghq_com.json", "client_datadoghq_com.json"]);
    const deps = makeDeps({ configDir: dir, nowMs: ISSUED, isTerminal: true });
    assert.equal(await runAuthStatus({}, deps), 0);
    assert.match(deps.out.text, /^✅ Authenticated for site: datadoghq\.com/);
    assert.match(deps.out.text, /Storage: {2}file \(/);
  });
});

Deno.test("auth status exits 1 naming the file when the token file is corrupt", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/tokens_datadoghq_com.json`, "{oops");
    const deps = makeDeps({ configDir: dir });
    assert.equal(await runCli(["auth", "status"], deps), 1);
    assert.match(
      deps.err.text,
      new RegExp(`^Error: Cannot read "${dir}/tokens_datadoghq_com.json": it is not valid JSON`),
    );
    assert.equal(await Deno.readTextFile(`${dir}/tokens_datadoghq_com.json`), "{oops");
  });
});

Deno.test("auth status --site takes precedence over DD_SITE", async () => {
  await withTempDir(async (dir) => {
    const deps = makeDeps({ configDir: dir, env: { DD_SITE: "datadoghq.eu" } });
    assert.equal(await runCli(["auth", "status", "--site", "app.us5.datadoghq.com"], deps), 3);
    assert.equal(JSON.parse(deps.out.text).site, "us5.datadoghq.com");
  });
});

Deno.test("auth status shows a remembered refusal without a network call and exits 3 with the session's login command", async () => {
  await withTempDir(async (dir) => {
    await copyFixtures(dir, ["tokens_datadoghq_com.json", "client_datadoghq_com.json"]);
    await Deno.writeTextFile(
      `${dir}/sessions.json`,
      JSON.stringify([{
        site: "datadoghq.com",
        org: null,
        refused: { error: "invalid_grant", at: "2026-02-04T12:00:00Z", description: "revoked" },
      }]),
    );
    // makeDeps' fetch fails the test on any call.
    const deps = makeDeps({ configDir: dir, nowMs: ISSUED + 60_000 });
    assert.equal(await runAuthStatus({ output: "table" }, deps), 3);
    assert.match(
      deps.out.text,
      /needs a new login: the server refused its refresh on 2026-02-04T12:00:00Z \(invalid_grant: revoked\); run 'pup auth login --site datadoghq\.com'/,
    );
    assert.match(deps.out.text, /Refresh: {2}refused on 2026-02-04T12:00:00Z \(invalid_grant\)/);
  });
});

Deno.test("auth status names DD_ACCESS_TOKEN as the credential in use when it overrides a stored session", async () => {
  await withTempDir(async (dir) => {
    await copyFixtures(dir, [
      "tokens_datadoghq_com.json",
      "client_datadoghq_com.json",
      "sessions.json",
    ]);
    const deps = makeDeps({
      configDir: dir,
      nowMs: ISSUED + 60_000,
      env: { DD_ACCESS_TOKEN: "secret-bearer" },
    });
    assert.equal(await runAuthStatus({}, deps), 0);
    const out = JSON.parse(deps.out.text);
    assert.equal(out.auth_method, "bearer_token");
    assert.equal(out.credential, "DD_ACCESS_TOKEN");
    assert.match(out.status_message, /with DD_ACCESS_TOKEN; it overrides the stored session/);
    assert.ok(!deps.out.text.includes("secret-bearer"));
  });
});

Deno.test("auth status names the API keys when the stored session was refused and the keys are what calls use", async () => {
  await withTempDir(async (dir) => {
    await copyFixtures(dir, ["tokens_datadoghq_com.json", "client_datadoghq_com.json"]);
    await Deno.writeTextFile(
      `${dir}/sessions.json`,
      JSON.stringify([{
        site: "datadoghq.com",
        org: null,
        refused: { error: "invalid_client", at: "2026-02-04T12:00:00Z" },
      }]),
    );
    const deps = makeDeps({
      configDir: dir,
      nowMs: ISSUED + 60_000,
      env: { DD_API_KEY: "k", DD_APP_KEY: "a" },
    });
    assert.equal(await runAuthStatus({}, deps), 0);
    const out = JSON.parse(deps.out.text);
    assert.equal(out.credential, "DD_API_KEY + DD_APP_KEY");
    assert.match(
      out.status_message,
      /the stored session is not used \(the server refused its refresh/,
    );
  });
});
