/**
 * The Linux secure store through the real CLI and a real Secret Service (run inside
 * scripts/with_secret_service.sh, as scripts/test does): an item written by the Rust `pup`'s own
 * crate (keyring-rs 3.6.3 through @napi-rs/keyring 1.2.0) is read by `pup auth status`, and after
 * `pup auth login` there is still exactly one item, which the crate reads back.
 *
 * The site is a fresh subdomain per run, so a developer's real keyring entry is never touched.
 */
import assert from "node:assert/strict";
import { startMockDatadog } from "../../scripts/mock_datadog.ts";
import { createCommandRunner } from "../../lib/platform/command_runner.ts";
import { secretServiceIgnored } from "../_fakes/_store_gates.ts";
import { rustSiteData } from "../_fakes/rust_reader.ts";
import { ROOT, runPup, withConfigDir } from "./_helpers.ts";

const ignore = await secretServiceIgnored();

async function itemCount(account: string): Promise<number> {
  const out = await createCommandRunner().run("secret-tool", [
    "search",
    "--all",
    "service",
    "pup",
    "username",
    account,
  ], {
    timeoutMs: 10_000,
  });
  return (out.stdout.match(/^\[\//gm) ?? []).length;
}

Deno.test({
  name:
    "a Secret Service item written by the Rust pup's crate is read by auth status, and a login leaves exactly one item",
  ignore,
  async fn() {
    const { Entry } = await import("@napi-rs/keyring");
    const label = `ss${crypto.randomUUID().slice(0, 8)}`;
    const site = `${label}.datadoghq.com`;
    const account = `state_${label}_datadoghq_com`;
    const entry = new Entry("pup", account);
    const issuedAt = Math.floor(Date.now() / 1000);
    const mock = await startMockDatadog({ autoApprove: true });
    try {
      await withConfigDir(async (dir) => {
        entry.setPassword(JSON.stringify({
          tokens: {
            __default__: {
              access_token: "rust-written-access",
              refresh_token: "rust-written-refresh",
              token_type: "Bearer",
              expires_in: 3600,
              issued_at: issuedAt,
              scope: "dashboards_read monitors_read",
              client_id: "rust-client",
            },
          },
          client: null,
        }));
        const env = {
          PUP_CONFIG_DIR: dir,
          DD_SITE: site,
          DD_TOKEN_STORAGE: "keychain",
          PUP_KEYCHAIN_BACKEND: "linux",
          PUP_MOCK_SERVER: mock.url,
          BROWSER: `${ROOT}scripts/fast_browser.sh`,
        };
        const status = await runPup(["auth", "status"], env);
        assert.equal(status.code, 0, status.stderr);
        const report = JSON.parse(status.stdout);
        assert.equal(report.storage, "secret-service");
        assert.equal(report.status, "valid");
        assert.deepEqual(report.scopes, ["dashboards_read", "monitors_read"]);
        assert.ok(
          !status.stdout.includes("rust-written") && !status.stderr.includes("rust-written"),
        );

        const login = await runPup(["auth", "login", "--callback-port", "8888"], env);
        assert.equal(login.code, 0, login.stderr);
        assert.equal(await itemCount(account), 1, "the login updated the crate's item in place");
        const after = entry.getPassword();
        assert.ok(after, "the Rust crate still finds the item");
        rustSiteData(after);
        const state = JSON.parse(after);
        assert.notEqual(state.tokens.__default__.access_token, "rust-written-access");
        assert.equal(state.client.client_name, "datadog-pup-cli");
        assert.equal(mock.stats().pkceVerified, 1);
      });
    } finally {
      try {
        entry.deletePassword();
      } catch { /* already gone */ }
      await mock.close();
    }
  },
});
