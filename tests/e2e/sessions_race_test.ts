/**
 * Issue 13 through the real CLI against the mock: a logout racing a refresh of the same org, ten
 * concurrent first logins on a fresh site, a server that forgot every client, a refresh whose
 * save fails on a full file system, and a refresh killed while its token answer is on the way.
 * Logins use `scripts/fast_browser.sh` and bind the real callback ports, so this file runs alone.
 */

import assert from "node:assert/strict";
import type { MockDatadog } from "../../scripts/mock_datadog.ts";
import { secretServiceIgnored } from "../_fakes/_store_gates.ts";
import { rustSessions } from "../_fakes/rust_reader.ts";
import { childEnv, PUP, PupProcess, ROOT, runPup, withConfigDir, withMock } from "./_helpers.ts";

const PORTS = [8000, 8080, 8888, 9000];
const SCOPES = "dashboards_read,monitors_read";
const REPETITIONS = 20;

function envFor(mock: MockDatadog, dir: string, storage: "file" | "keychain" = "file") {
  return {
    PUP_MOCK_SERVER: mock.url,
    PUP_CONFIG_DIR: dir,
    DD_TOKEN_STORAGE: storage,
    BROWSER: `${ROOT}scripts/fast_browser.sh`,
    ...(storage === "keychain"
      ? {
        PUP_KEYCHAIN_BACKEND: "linux",
        DBUS_SESSION_BUS_ADDRESS: Deno.env.get("DBUS_SESSION_BUS_ADDRESS") ?? "",
      }
      : {}),
  };
}

async function login(env: Record<string, string>, org: string, port?: number) {
  const args = ["auth", "login", "--org", org, "--scopes", SCOPES];
  if (port) args.push("--callback-port", String(port));
  const run = await runPup(args, env, { timeoutMs: 60_000 });
  assert.equal(run.code, 0, `login ${org}: ${run.stderr}`);
  return run;
}

async function until(what: string, ok: () => boolean, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function logoutRacesRefresh(storage: "file" | "keychain") {
  // The token answer is slow, so the logout lands while the refresh waits for it.
  await withMock({ autoApprove: true, tokenDelayMs: 1500 }, async (mock) => {
    await withConfigDir(async (dir) => {
      const env = envFor(mock, dir, storage);
      const org = `race-${crypto.randomUUID().slice(0, 8)}`;
      for (let i = 0; i < REPETITIONS; i++) {
        await login(env, org);
        const before = mock.stats().tokenRequests.refresh_token;
        const refresh = new PupProcess(["auth", "refresh", "--org", org], env);
        await until("the refresh request", () => mock.stats().tokenRequests.refresh_token > before);
        const logout = await runPup(["auth", "logout", "--org", org], env);
        assert.equal(logout.code, 0, logout.stderr);
        const r = await refresh.finish();
        assert.equal(r.code, 3, `repetition ${i}: ${r.stderr}`);
        assert.match(r.stderr, /was logged out while its token was being refreshed/);
        assert.match(r.stderr, new RegExp(`pup auth login --org ${org} --site datadoghq\\.com`));
        const token = await runPup(["auth", "token", "--org", org], env);
        assert.equal(token.code, 3, `repetition ${i}: a token is still stored: ${token.stderr}`);
        const status = await runPup(["auth", "status", "--org", org], env);
        assert.equal(status.code, 3, status.stdout);
      }
      if (storage === "file") {
        const tokens = await Deno.readTextFile(`${dir}/tokens_datadoghq_com.json`).catch(() =>
          "{}"
        );
        assert.ok(!(org in JSON.parse(tokens)), "no tokens for the logged-out org");
      }
    });
  });
}

Deno.test("a logout during an in-flight refresh of the same org leaves no tokens, and the refresh says the session was logged out (20 repetitions, file store)", async () => {
  await logoutRacesRefresh("file");
});

Deno.test({
  name:
    "a logout during an in-flight refresh of the same org leaves no tokens, and the refresh says the session was logged out (20 repetitions, Secret Service)",
  ignore: await secretServiceIgnored(),
  async fn() {
    await logoutRacesRefresh("keychain");
  },
});

Deno.test("ten concurrent first logins on a fresh site register one client, and every session refreshes afterwards", async () => {
  await withMock({ autoApprove: true }, async (mock) => {
    await withConfigDir(async (dir) => {
      const env = envFor(mock, dir);
      const orgs = Array.from({ length: 10 }, (_, i) => `first-${i}`);
      const lanes = PORTS.map((port, lane) => ({
        port,
        orgs: orgs.filter((_, i) => i % PORTS.length === lane),
      }));
      await Promise.all(lanes.map(async ({ port, orgs }) => {
        for (const org of orgs) await login(env, org, port);
      }));
      assert.equal(mock.stats().registrations, 1, "exactly one registration at the mock");
      const refreshes = await Promise.all(
        orgs.map((org) => runPup(["auth", "refresh", "--org", org], env)),
      );
      for (const r of refreshes) assert.equal(r.code, 0, r.stderr);
      assert.equal(mock.stats().tokenRequests.refresh_token, 10);
      rustSessions(await Deno.readTextFile(`${dir}/sessions.json`));
    });
  });
});

Deno.test("after the server forgets every client, auth refresh explains and one auth login recovers by itself", async () => {
  await withMock({ autoApprove: true }, async (mock) => {
    await withConfigDir(async (dir) => {
      const env = envFor(mock, dir);
      await login(env, "prod");
      await login(env, "staging");
      mock.forgetClients();
      const refresh = await runPup(["auth", "refresh", "--org", "prod"], env);
      assert.equal(refresh.code, 3, refresh.stderr);
      assert.match(refresh.stderr, /no longer knows the client registration of "datadoghq\.com"/);
      assert.match(
        refresh.stderr,
        /Run 'pup auth login --org prod --site datadoghq\.com': it registers a new client by itself/,
      );
      assert.match(refresh.stderr, /'pup auth login --org staging --site datadoghq\.com'/);
      const status = await runPup(["auth", "status", "--org", "prod"], env);
      assert.equal(status.code, 3);
      assert.equal(JSON.parse(status.stdout).refused.error, "invalid_client");

      const again = await login(env, "prod");
      assert.match(again.stderr, /Re-registering OAuth2 client \(the server refused client/);
      assert.match(
        again.stderr,
        /need their own login: 'pup auth login --org staging --site datadoghq\.com'/,
      );
      assert.equal(mock.stats().registrations, 2);
      const after = await runPup(["auth", "refresh", "--org", "prod"], env);
      assert.equal(after.code, 0, after.stderr);
      const ok = await runPup(["auth", "status", "--org", "prod"], env);
      assert.equal(ok.code, 0, ok.stdout);
      assert.equal(JSON.parse(ok.stdout).refused, undefined, "the refusal is cleared");
    });
  });
});

/**
 * Runs `pup args` with a copy of the config dir on a full 256 KiB tmpfs mounted over it in a
 * private mount namespace: the real directory never changes, whatever pup writes.
 */
async function onFullDisk(dir: string, args: string[], env: Record<string, string>) {
  const script = `set -e
mount -t tmpfs -o size=256k,mode=0700 tmpfs "$1"
cp -a "$2/." "$1/"
dd if=/dev/zero of="$1/.filler" bs=4k 2>/dev/null || true
shift 2
exec "$@"`;
  const child = await new Deno.Command("sh", {
    args: [
      "-c",
      `d="$1" && shift && src=$(mktemp -d) && cp -a "$d/." "$src/" && exec unshare -m sh -c "$0" sh "$d" "$src" "$@"`,
      script,
      dir,
      ...args,
    ],
    env: childEnv(env),
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: child.code, stderr: new TextDecoder().decode(child.stderr) };
}

const canUnshare = (await new Deno.Command("unshare", {
  args: ["-m", "sh", "-c", "mount -t tmpfs -o size=4k tmpfs /mnt"],
  stdout: "null",
  stderr: "null",
}).output().catch(() => ({ success: false }))).success;

Deno.test({
  name:
    "a refresh on a full file system ends with the store's error and the exact login command, and nothing else on the site changes",
  ignore: !canUnshare,
  async fn() {
    await withMock({ autoApprove: true }, async (mock) => {
      await withConfigDir(async (dir) => {
        const env = envFor(mock, dir);
        await login(env, "full");
        await login(env, "other");
        const tokensBefore = await Deno.readTextFile(`${dir}/tokens_datadoghq_com.json`);
        const r = await onFullDisk(dir, [PUP, "auth", "refresh", "--org", "full"], env);
        assert.equal(r.code, 3, r.stderr);
        assert.match(
          r.stderr,
          /needs a new login: the server issued new tokens, but they could not be saved/,
        );
        assert.match(r.stderr, /the disk is full or over quota/, "the store's error, in words");
        assert.match(r.stderr, /run 'pup auth login --org full --site datadoghq\.com'/);
        // The namespace's tmpfs is gone: the real dir is as the login left it.
        assert.equal(await Deno.readTextFile(`${dir}/tokens_datadoghq_com.json`), tokensBefore);
        const next = await runPup(["auth", "refresh", "--org", "full"], env);
        assert.equal(next.code, 3, next.stderr);
        assert.match(next.stderr, /The server refused to refresh|already spent/);
        assert.match(next.stderr, /pup auth login --org full --site datadoghq\.com/);
        const other = await runPup(["auth", "refresh", "--org", "other"], env);
        assert.equal(other.code, 0, other.stderr);
      });
    });
  },
});

Deno.test("a refresh killed while its token answer is on the way is reported on the next refresh as spent, with the exact login command; other sessions are untouched", async () => {
  await withMock({ autoApprove: true, tokenDelayMs: 1000 }, async (mock) => {
    await withConfigDir(async (dir) => {
      const env = envFor(mock, dir);
      await login(env, "killed");
      await login(env, "other");
      const before = JSON.parse(await Deno.readTextFile(`${dir}/tokens_datadoghq_com.json`));
      const count = mock.stats().tokenRequests.refresh_token;
      const refresh = new PupProcess(["auth", "refresh", "--org", "killed"], env);
      await until("the refresh request", () => mock.stats().tokenRequests.refresh_token > count);
      refresh.kill("SIGKILL");
      await refresh.finish();
      // The server answers (and rotates the refresh token) although nobody reads the answer.
      await new Promise((r) => setTimeout(r, 1500));
      const after = JSON.parse(await Deno.readTextFile(`${dir}/tokens_datadoghq_com.json`));
      assert.deepEqual(after, before, "nothing on the site changed");
      const next = await runPup(["auth", "refresh", "--org", "killed"], env);
      assert.equal(next.code, 3, next.stderr);
      assert.match(
        next.stderr,
        /needs a new login: its refresh token was already spent by a refresh started at/,
      );
      assert.match(next.stderr, /Run 'pup auth login --org killed --site datadoghq\.com'/);
      const other = await runPup(["auth", "refresh", "--org", "other"], env);
      assert.equal(other.code, 0, other.stderr);
    });
  });
});
