import assert from "node:assert/strict";
import { REFRESHED_NOTICE } from "../../lib/api/client.ts";
import { parseAuthTokenArgs } from "../../lib/cli/commands/auth_token.ts";
import { runCli } from "../../lib/cli/run_cli.ts";
import {
  expired,
  publicClient,
  storedTokens,
  storeSession,
  tokenSet,
  withMockSession,
} from "../_fakes/_api_session.ts";
import { makeDeps, stripMockNotice, withTempDir } from "../_fakes/fake_deps.ts";

const NOW = Date.UTC(2026, 1, 4, 12);

Deno.test("parseAuthTokenArgs() keeps --org and --trust-site", () => {
  assert.deepEqual(parseAuthTokenArgs({ org: "p", trustSite: true, output: "json" }), {
    org: "p",
    trustSite: true,
  });
});

Deno.test("pup auth token prints only the stored token and a newline, without any request", async () => {
  await withTempDir(async (dir) => {
    await storeSession(dir, { tokens: tokenSet(NOW), client: publicClient() });
    // makeDeps' fetch fails the test on any request.
    const d = makeDeps({ configDir: dir, nowMs: NOW });
    assert.equal(await runCli(["auth", "token"], d), 0);
    assert.equal(d.out.text, "access-1\n");
    assert.equal(stripMockNotice(d.err.text), "");
  });
});

Deno.test("pup auth token prints DD_ACCESS_TOKEN, then config access_token, before the session", async () => {
  await withTempDir(async (dir) => {
    await storeSession(dir, { tokens: tokenSet(NOW), client: publicClient() });
    const env = makeDeps({ configDir: dir, nowMs: NOW, env: { DD_ACCESS_TOKEN: "from-env" } });
    assert.equal(await runCli(["auth", "token"], env), 0);
    assert.equal(env.out.text, "from-env\n");
    await Deno.writeTextFile(`${dir}/config.yaml`, "access_token: from-config\n");
    const cfg = makeDeps({ configDir: dir, nowMs: NOW });
    assert.equal(await runCli(["auth", "token"], cfg), 0);
    assert.equal(cfg.out.text, "from-config\n");
  });
});

Deno.test("pup auth token refreshes an expiring token first and prints the new one", async () => {
  await withMockSession({ expiredSession: true }, async ({ deps, dir, tokens, mock }) => {
    const d = deps();
    assert.equal(await runCli(["auth", "token", "--org", ""], d), 0);
    const stored = await storedTokens(dir);
    assert.notEqual(stored?.access_token, tokens.access_token);
    assert.equal(d.out.text, `${stored?.access_token}\n`);
    assert.equal(stripMockNotice(d.err.text), `${REFRESHED_NOTICE}\n`);
    assert.equal(mock.stats().tokenRequests.refresh_token, 1);
  });
});

Deno.test("pup auth token exits 3 with the next command when there is no session", async () => {
  await withTempDir(async (dir) => {
    const d = makeDeps({ configDir: dir, nowMs: NOW, env: { DD_API_KEY: "k", DD_APP_KEY: "a" } });
    assert.equal(await runCli(["auth", "token", "--org", "prod"], d), 3);
    assert.equal(d.out.text, "");
    assert.equal(
      stripMockNotice(d.err.text).trim(),
      `Error: No token available for "datadoghq.com" (org "prod"): run 'pup auth login --org prod --site datadoghq.com' or set DD_ACCESS_TOKEN`,
    );
  });
});

Deno.test("pup auth token exits 3 when the expired session has no refresh token, printing nothing on stdout", async () => {
  await withTempDir(async (dir) => {
    await storeSession(dir, {
      tokens: expired(tokenSet(NOW, { refresh_token: "" }), NOW),
      client: publicClient(),
    });
    const d = makeDeps({ configDir: dir, nowMs: NOW });
    assert.equal(await runCli(["auth", "token"], d), 3);
    assert.equal(d.out.text, "");
    assert.match(
      stripMockNotice(d.err.text),
      /no refresh token: run 'pup auth login --site datadoghq\.com'/,
    );
  });
});
