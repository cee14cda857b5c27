/**
 * The OS secure stores through the real CLI (SPEC §6.2): a default session and 10 named ones on
 * one site, with the default 110 scopes and 1 KB tokens (about 50 KB in one entry), logged in,
 * listed, refreshed, printed and logged out one by one, on every store this machine can run the
 * product's own code against: the real Secret Service (pup's D-Bus client, inside
 * `scripts/with_secret_service.sh`), and the macOS and Windows backends against their stand-in
 * libraries. The stored entry is read back by the strict Rust-format reader, and on Linux by
 * keyring-rs itself. Then the headless cases: a kernel keyring that takes writes but cannot read
 * them back (a real one: the user session keyring joined with `keyctl session _uid_ses.<uid>`),
 * and a login that would not fit the kernel keyring's 32,767 bytes, refused before the browser.
 *
 * @module
 */

import assert from "node:assert/strict";
import { startMockDatadog } from "../../scripts/mock_datadog.ts";
import { keyctlIgnored, secretServiceIgnored } from "../_fakes/_store_gates.ts";
import { rustSiteData } from "../_fakes/rust_reader.ts";
import { readStandinStore } from "../_fakes/native/advapi32_store.ts";
import { standinLibrary } from "../_fakes/native/standin.ts";
import { childEnv, PUP, ROOT, runPup, withConfigDir } from "./_helpers.ts";

const FAST_BROWSER = `${ROOT}scripts/fast_browser.sh`;
const ORGS = Array.from({ length: 10 }, (_, i) => `org-${i}`);

/** A backend under test: the variables that select it and how to read its raw entry. */
export interface StoreUnderTest {
  /** `auth status`'s `storage` value. */
  backend: string;
  /** Variables that point pup at this store. */
  env: (dir: string) => Promise<Record<string, string>> | Record<string, string>;
  /** The raw stored value of `account`, read independently of pup's backend code. */
  raw: (account: string, env: Record<string, string>) => Promise<string | undefined>;
}

/**
 * Logs in a default and 10 named sessions on one site, then exercises every auth command on
 * them through the CLI, checking the raw entry after each change.
 */
export async function elevenSessions(store: StoreUnderTest): Promise<void> {
  const label = `st${crypto.randomUUID().slice(0, 8)}`;
  const site = `${label}.datadoghq.com`;
  const account = `state_${label}_datadoghq_com`;
  const mock = await startMockDatadog({ autoApprove: true, tokenBytes: 768 });
  try {
    await withConfigDir(async (dir) => {
      const env = {
        PUP_CONFIG_DIR: dir,
        DD_SITE: site,
        DD_TOKEN_STORAGE: "keychain",
        PUP_MOCK_SERVER: mock.url,
        BROWSER: FAST_BROWSER,
        ...await store.env(dir),
      };
      for (const org of [undefined, ...ORGS]) {
        const login = await runPup(["auth", "login", ...(org ? ["--org", org] : [])], env);
        assert.equal(login.code, 0, `login ${org ?? "(default)"}: ${login.stderr}`);
      }
      assert.equal(mock.stats().pkceVerified, 11);
      const raw = await store.raw(account, env);
      assert.ok(raw, "the entry exists");
      assert.ok(raw.length > 45_000, `about 50 KB stored (${raw.length} bytes)`);
      rustSiteData(raw);
      const state = JSON.parse(raw);
      assert.deepEqual(Object.keys(state.tokens).sort(), ["__default__", ...ORGS].sort());
      assert.equal(state.tokens["org-3"].scope.split(" ").length, 110);

      const status = await runPup(["auth", "status", "--org", "org-7"], env);
      assert.equal(status.code, 0, status.stderr);
      assert.equal(JSON.parse(status.stdout).storage, store.backend);
      const list = await runPup(["auth", "list"], env);
      assert.equal(list.code, 0, list.stderr);
      const rows = JSON.parse(list.stdout) as Array<{ org: string | null; status: string }>;
      assert.equal(rows.filter((r) => r.status === "valid").length, 11);

      const before = state.tokens["org-5"].access_token;
      const refresh = await runPup(["auth", "refresh", "--org", "org-5"], env);
      assert.equal(refresh.code, 0, refresh.stderr);
      const token = await runPup(["auth", "token", "--org", "org-5"], env);
      assert.equal(token.code, 0, token.stderr);
      const afterRefresh = JSON.parse((await store.raw(account, env))!);
      assert.notEqual(afterRefresh.tokens["org-5"].access_token, before);
      assert.equal(token.stdout.trim(), afterRefresh.tokens["org-5"].access_token);
      assert.equal(afterRefresh.tokens["org-6"].access_token, state.tokens["org-6"].access_token);

      const logoutOne = await runPup(["auth", "logout", "--org", "org-2"], env);
      assert.equal(logoutOne.code, 0, logoutOne.stderr);
      const afterOne = JSON.parse((await store.raw(account, env))!);
      assert.equal(afterOne.tokens["org-2"], undefined);
      assert.equal(Object.keys(afterOne.tokens).length, 10);
      assert.ok(afterOne.client, "a named logout keeps the site's client");

      const logoutDefault = await runPup(["auth", "logout"], env);
      assert.equal(logoutDefault.code, 0, logoutDefault.stderr);
      const afterDefault = JSON.parse((await store.raw(account, env))!);
      assert.equal(afterDefault.tokens.__default__, undefined);
      assert.equal(afterDefault.client, null, "a default logout removes the site's client");
      assert.equal(Object.keys(afterDefault.tokens).length, 9);
      rustSiteData(JSON.stringify(afterDefault));
      for (const run of [status, list, refresh, logoutOne, logoutDefault]) {
        assert.ok(!run.stdout.includes(before) && !run.stderr.includes(before), "no token shown");
      }
    });
  } finally {
    await mock.close();
  }
}

Deno.test({
  name:
    "the Secret Service holds a default and 10 named sessions on one site through the CLI, read back by keyring-rs",
  ignore: await secretServiceIgnored(),
  async fn() {
    const { Entry } = await import("@napi-rs/keyring");
    let used: string | undefined;
    try {
      await elevenSessions({
        backend: "secret-service",
        env: () => ({ PUP_KEYCHAIN_BACKEND: "linux" }),
        raw: (account) => {
          used = account;
          return Promise.resolve(new Entry("pup", account).getPassword() ?? undefined);
        },
      });
    } finally {
      if (used) {
        try {
          new Entry("pup", used).deletePassword();
        } catch { /* already gone */ }
      }
    }
  },
});

/** The macOS stand-in's file: one item a line, `hex(service) hex(account) hex(password)`. */
async function macosItem(store: string, account: string): Promise<string | undefined> {
  const text = await Deno.readTextFile(store).catch(() => "");
  for (const line of text.split("\n")) {
    const [service, acct, password] = line.split(" ");
    if (!password) continue;
    const decode = (hex: string) => new TextDecoder().decode(Uint8Array.fromHex(hex));
    if (decode(service) === "pup" && decode(acct) === account) return decode(password);
  }
  return undefined;
}

/**
 * The value the Rust pup would read from the Windows stand-in's records: the count record
 * `<acct>_c.pup`, then chunks `<acct>_0.pup`…, each blob UTF-16LE; every record checked against
 * keyring 3.6.3's layout on the way.
 */
async function windowsValue(store: string, account: string): Promise<string | undefined> {
  const records = new Map((await readStandinStore(store)).map((r) => [r.target.toLowerCase(), r]));
  const text = (target: string) => {
    const r = records.get(target.toLowerCase());
    if (!r) return undefined;
    assert.equal(r.type, 1);
    assert.equal(r.persist, 3);
    assert.equal(r.userName, target.slice(0, -".pup".length));
    assert.ok(r.blob.length <= 2560, `${target} blob fits 2560 bytes`);
    return new TextDecoder("utf-16le", { fatal: true }).decode(r.blob);
  };
  const count = text(`${account}_c.pup`);
  if (count === undefined) return undefined;
  const chunks = Array.from({ length: Number(count) }, (_, i) => text(`${account}_${i}.pup`));
  assert.ok(chunks.every((c) => c !== undefined), "every chunk is there");
  assert.ok(![...records.keys()].some((t) => t.includes("-j")), "no journal left behind");
  return chunks.join("");
}

for (
  const [name, backend, lib, read] of [
    ["macOS keychain", "macos-keychain", "security_framework", macosItem],
    ["Windows Credential Manager", "windows-credential-manager", "advapi32", windowsValue],
  ] as const
) {
  Deno.test(`the ${name} (stand-in library) holds a default and 10 named sessions on one site through the CLI`, async () => {
    const path = await standinLibrary(lib);
    await elevenSessions({
      backend,
      env: (dir) => ({
        PUP_KEYCHAIN_BACKEND: backend === "macos-keychain" ? "macos" : "windows",
        PUP_SECURITY_FRAMEWORK_LIB: path,
        PUP_ADVAPI32_LIB: path,
        PUP_KERNEL32_LIB: path,
        PUP_STANDIN_STORE: `${dir}/standin-store.txt`,
        PUP_STANDIN_LOG: `${dir}/standin-calls.log`,
      }),
      raw: async (account, env) => {
        const log = await Deno.readTextFile(env.PUP_STANDIN_LOG).catch(() => "");
        assert.doesNotMatch(log, /^(UNEXPECTED|LEAK)/m, "no call the stand-in did not expect");
        return await read(env.PUP_STANDIN_STORE, account);
      },
    });
  });
}

/** Runs pup inside the user session keyring, where keys can be added but not read back. */
async function pupInUserSessionKeyring(args: string[], env: Record<string, string>) {
  const uid = Deno.uid() ?? 0;
  const out = await new Deno.Command("keyctl", {
    args: ["session", `_uid_ses.${uid}`, PUP, ...args],
    env: childEnv(env),
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

Deno.test({
  name:
    "with no Secret Service and a kernel keyring that cannot read back, login warns once and saves to files before the browser",
  ignore: await keyctlIgnored(),
  async fn() {
    const mock = await startMockDatadog({ autoApprove: true });
    try {
      await withConfigDir(async (dir) => {
        const env = {
          PUP_CONFIG_DIR: dir,
          PUP_KEYCHAIN_BACKEND: "linux",
          DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent/bus",
          PUP_MOCK_SERVER: mock.url,
          BROWSER: FAST_BROWSER,
        };
        const login = await pupInUserSessionKeyring(["auth", "login"], env);
        assert.equal(login.code, 0, login.stderr);
        assert.match(login.stderr, /kernel keyring .*test write failed/);
        assert.match(login.stderr, /using file storage/);
        const tokenFile = await Deno.readTextFile(`${dir}/tokens_datadoghq_com.json`);
        assert.ok(JSON.parse(tokenFile).__default__.access_token, "the session is in files");
        assert.equal(mock.stats().pkceVerified, 1);

        const status = await pupInUserSessionKeyring(["auth", "status"], env);
        assert.equal(status.code, 0, status.stderr);
        const report = JSON.parse(status.stdout);
        assert.equal(report.storage, "file");
        assert.equal(report.status, "valid");
        assert.doesNotMatch(
          status.stderr,
          /Warning: kernel keyring/,
          "the warning is not repeated",
        );
        const marker = JSON.parse(await Deno.readTextFile(`${dir}/storage_fallback.json`));
        assert.deepEqual(marker.skip, ["kernel-keyring"]);
      });
    } finally {
      await mock.close();
    }
  },
});

Deno.test({
  name:
    "a login that would not fit the kernel keyring's 32,767 bytes is refused before the browser, naming the size",
  ignore: await keyctlIgnored(),
  async fn() {
    const mock = await startMockDatadog({ autoApprove: true, tokenBytes: 768 });
    const site = `kk${crypto.randomUUID().slice(0, 8)}.datadoghq.com`;
    const description = `keyring-rs:state_${site.replace(/[^A-Za-z0-9]/g, "_")}@pup`;
    try {
      await withConfigDir(async (dir) => {
        const env = {
          PUP_CONFIG_DIR: dir,
          DD_SITE: site,
          DD_TOKEN_STORAGE: "keychain",
          PUP_KEYCHAIN_BACKEND: "linux",
          DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent/bus",
          PUP_MOCK_SERVER: mock.url,
          BROWSER: FAST_BROWSER,
        };
        let logins = 0;
        for (;;) {
          const login = await runPup(["auth", "login", "--org", `org-${logins}`], env);
          if (login.code !== 0) {
            assert.equal(login.code, 1);
            assert.match(login.stderr, /about \d{5} bytes/);
            assert.match(login.stderr, /at most 32767 bytes/);
            assert.match(login.stderr, /DD_TOKEN_STORAGE=file/);
            assert.match(login.stderr, /no browser was opened/);
            break;
          }
          logins++;
          assert.ok(logins < 20, "the limit is reached");
        }
        assert.ok(logins >= 5, `${logins} sessions fit first`);
        assert.equal(mock.stats().pkceVerified, logins, "the refused login never reached consent");
        const status = await runPup(["auth", "status", "--org", "org-0"], env);
        assert.equal(status.code, 0, status.stderr);
      });
    } finally {
      const id = await new Deno.Command("keyctl", {
        args: ["search", "@s", "user", description],
        stdout: "piped",
        stderr: "null",
      }).output();
      const key = new TextDecoder().decode(id.stdout).trim();
      if (key) await new Deno.Command("keyctl", { args: ["invalidate", key] }).output();
      await mock.close();
    }
  },
});
