import assert from "node:assert/strict";
import { StorageCorruptError } from "../../lib/errors.ts";
import { KeychainStore, stateAccount, WriteProbeError } from "../../lib/storage/keychain_store.ts";
import { MemorySecretStore } from "../../lib/storage/memory_secret_store.ts";
import type { ClientCredentials, SiteState, TokenSet } from "../../lib/storage/types.ts";
import { withTempDir } from "../_fakes/fake_deps.ts";
import { rustSiteData } from "../_fakes/rust_reader.ts";

/** A memory store that counts calls and can describe its entries. */
class CountingStore extends MemorySecretStore {
  calls = { get: 0, set: 0, delete: 0 };
  override get(account: string) {
    this.calls.get++;
    return super.get(account);
  }
  override set(account: string, value: string) {
    this.calls.set++;
    return super.set(account, value);
  }
  override delete(account: string) {
    this.calls.delete++;
    return super.delete(account);
  }
  removalHint(account: string): string {
    return `forget ${account}`;
  }
}

const SITE = "datadoghq.com";
const ACCOUNT = "state_datadoghq_com";

function tokens(i: number): TokenSet {
  return {
    access_token: `at-${i}`,
    refresh_token: `rt-${i}`,
    token_type: "Bearer",
    expires_in: 3600,
    expires_at: "2026-02-04T13:00:00Z",
    issued_at: 1_770_206_400,
    scope: "dashboards_read",
    client_id: "cid",
  };
}

const CLIENT: ClientCredentials = {
  client_id: "cid",
  client_name: "datadog-pup-cli",
  redirect_uris: ["http://127.0.0.1:8000/oauth/callback"],
  registered_at: 1_770_206_400,
  site: SITE,
};

function addOrg(org: string, i: number) {
  return (s: SiteState) => ({ ...s, tokens: { ...s.tokens, [org]: tokens(i) } });
}

Deno.test("stateAccount() is state_<site> with every non-alphanumeric character as _", () => {
  assert.equal(stateAccount("us3.datadoghq.com"), "state_us3_datadoghq_com");
  assert.equal(stateAccount("localhost:8080"), "state_localhost_8080");
});

Deno.test("read() reads each site from the secure store once for the life of the instance", async () => {
  await withTempDir(async (dir) => {
    const secrets = new CountingStore();
    await secrets.set(
      ACCOUNT,
      JSON.stringify({ tokens: { __default__: tokens(1) }, client: null }),
    );
    const store = new KeychainStore({ secrets, configDir: dir });
    assert.equal((await store.read(SITE)).tokens.__default__.access_token, "at-1");
    await store.read(SITE);
    assert.deepEqual(await store.read("datadoghq.eu"), { tokens: {}, client: null });
    await store.read("datadoghq.eu");
    assert.equal(secrets.calls.get, 2);
  });
});

Deno.test("read() returns a copy: changing it does not change the cached state", async () => {
  await withTempDir(async (dir) => {
    const store = new KeychainStore({ secrets: new CountingStore(), configDir: dir });
    const state = await store.read(SITE);
    state.tokens.x = tokens(1);
    assert.deepEqual(await store.read(SITE), { tokens: {}, client: null });
  });
});

Deno.test("update() re-reads under the lock, so another process's write is kept, and refreshes the cache", async () => {
  await withTempDir(async (dir) => {
    const secrets = new CountingStore();
    const store = new KeychainStore({ secrets, configDir: dir });
    await store.read(SITE); // cached as empty
    await new KeychainStore({ secrets, configDir: dir }).update(SITE, addOrg("other", 2)); // "another process"
    const written = await store.update(SITE, addOrg("mine", 3));
    assert.deepEqual(Object.keys(written.tokens).sort(), ["mine", "other"]);
    const gets = secrets.calls.get;
    assert.deepEqual(await store.read(SITE), written);
    assert.equal(secrets.calls.get, gets, "read after update came from the cache");
  });
});

Deno.test("update() that changes nothing writes nothing", async () => {
  await withTempDir(async (dir) => {
    const secrets = new CountingStore();
    const store = new KeychainStore({ secrets, configDir: dir });
    await store.update(SITE, addOrg("a", 1));
    assert.equal(secrets.calls.set, 1);
    await store.update(SITE, (s) => s);
    await store.update(SITE, addOrg("a", 1));
    await store.update("datadoghq.eu", (s) => s);
    assert.equal(secrets.calls.set, 1);
    assert.equal(secrets.calls.delete, 0);
  });
});

Deno.test("update() deletes the entry only when no tokens and no client remain", async () => {
  await withTempDir(async (dir) => {
    const secrets = new CountingStore();
    const store = new KeychainStore({ secrets, configDir: dir });
    await store.update(SITE, (s) => ({ ...addOrg("a", 1)(s), client: CLIENT }));
    await store.update(SITE, (s) => ({ ...s, tokens: {} }));
    assert.equal(JSON.parse((await secrets.get(ACCOUNT))!).client.client_id, "cid");
    const last = await store.update(SITE, (s) => ({ ...s, client: null }));
    assert.deepEqual(last, { tokens: {}, client: null });
    assert.equal(await secrets.get(ACCOUNT), undefined);
    assert.equal(secrets.calls.delete, 1);
  });
});

Deno.test("update() creates the config dir and its locks dir with mode 0700", async () => {
  await withTempDir(async (dir) => {
    const configDir = `${dir}/nested/pup`;
    await new KeychainStore({ secrets: new CountingStore(), configDir }).update(
      SITE,
      addOrg("a", 1),
    );
    assert.equal((await Deno.stat(configDir)).mode! & 0o777, 0o700);
    assert.equal((await Deno.stat(`${configDir}/locks`)).mode! & 0o777, 0o700);
    assert.ok((await Deno.stat(`${configDir}/locks/site_datadoghq_com.lock`)).isFile);
  });
});

Deno.test("the stored value is the compact JSON the Rust pup reads, client null when absent", async () => {
  await withTempDir(async (dir) => {
    const secrets = new CountingStore();
    const store = new KeychainStore({ secrets, configDir: dir });
    await store.update(SITE, addOrg("__default__", 1));
    const text = (await secrets.get(ACCOUNT))!;
    rustSiteData(text);
    assert.ok(!text.includes("\n") && !text.includes(": "));
    assert.ok(text.endsWith(',"client":null}'));
    await store.update(SITE, (s) => ({ ...s, client: CLIENT }));
    rustSiteData((await secrets.get(ACCOUNT))!);
  });
});

Deno.test("a value the Rust pup would reject is a StorageCorruptError naming the entry; nothing is written", async () => {
  await withTempDir(async (dir) => {
    const secrets = new CountingStore();
    const bad = JSON.stringify({ tokens: { a: { ...tokens(1), issued_at: 1.5 } }, client: null });
    await secrets.set(ACCOUNT, bad);
    const store = new KeychainStore({ secrets, configDir: dir });
    const named = (e: Error) =>
      e instanceof StorageCorruptError && e.location === `memory entry "pup/${ACCOUNT}"` &&
      e.message.startsWith(
        `Cannot read memory entry "pup/${ACCOUNT}": session "a": field "issued_at"`,
      ) &&
      e.message.includes(`remove it ('forget ${ACCOUNT}')`) && !e.message.includes("at-1");
    await assert.rejects(store.read(SITE), named);
    await assert.rejects(store.update(SITE, addOrg("b", 2)), named);
    assert.equal(await secrets.get(ACCOUNT), bad);
    assert.equal(secrets.calls.set, 1);
  });
});

/** A store with the kernel keyring's kind of limit. */
class LimitedStore extends CountingStore {
  readonly maxBytes = 1000;
}

Deno.test("prepareWrite() refuses a login that would not fit, naming both sizes; nothing is written", async () => {
  await withTempDir(async (configDir) => {
    const secrets = new LimitedStore();
    const store = new KeychainStore({ secrets, configDir });
    await store.update(SITE, addOrg("a", 1));
    const before = await secrets.get(ACCOUNT);
    const stored = new TextEncoder().encode(before!).length;
    secrets.calls.set = 0;
    await store.prepareWrite(SITE, 1000 - stored); // exactly at the limit: fine
    await assert.rejects(
      store.prepareWrite(SITE, 1001 - stored),
      /about 1001 bytes, .* holds at most 1000 bytes .* no browser was opened\. Use DD_TOKEN_STORAGE=file/,
    );
    assert.equal(await secrets.get(ACCOUNT), before);
  });
});

Deno.test("prepareWrite() writes, reads back and removes a throwaway entry, and fails when it cannot", async () => {
  await withTempDir(async (configDir) => {
    const secrets = new CountingStore();
    await new KeychainStore({ secrets, configDir }).prepareWrite(SITE, 10);
    assert.deepEqual(secrets.calls, { get: 2, set: 1, delete: 1 });
    const broken = new (class extends CountingStore {
      override get(account: string) {
        return account === ACCOUNT ? super.get(account) : Promise.resolve(undefined);
      }
    })();
    await assert.rejects(
      new KeychainStore({ secrets: broken, configDir }).prepareWrite(SITE, 10),
      (e: Error) => e instanceof WriteProbeError && /test write failed/.test(e.message),
    );
  });
});

Deno.test("readLatest() reads past the cache and sees another process's write, where read() does not", async () => {
  await withTempDir(async (configDir) => {
    const secrets = new CountingStore();
    const mine = new KeychainStore({ secrets, configDir });
    await mine.read(SITE);
    await new KeychainStore({ secrets, configDir }).update(SITE, addOrg("other", 2));
    assert.deepEqual(Object.keys((await mine.read(SITE)).tokens), [], "read() is cached");
    assert.deepEqual(Object.keys((await mine.readLatest(SITE)).tokens), ["other"]);
    assert.deepEqual(Object.keys((await mine.read(SITE)).tokens), ["other"], "cache refreshed");
  });
});
