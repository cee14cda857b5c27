import assert from "node:assert/strict";
import { FileStore } from "../../lib/storage/file_store.ts";
import { StorageCorruptError } from "../../lib/errors.ts";
import type { ClientCredentials, TokenSet } from "../../lib/storage/types.ts";
import { withTempDir } from "../_fakes/fake_deps.ts";
import { rustClient, rustTokenFile } from "../_fakes/rust_reader.ts";

const token = (access: string): TokenSet => ({
  access_token: access,
  refresh_token: "r",
  token_type: "Bearer",
  expires_in: 3600,
  issued_at: 1770202800,
  scope: "a b",
  client_id: "c",
});
const client: ClientCredentials = {
  client_id: "c",
  client_name: "datadog-pup-cli",
  redirect_uris: ["http://127.0.0.1:8000/oauth/callback"],
  registered_at: 1770000000,
  site: "datadoghq.com",
};

Deno.test("FileStore reads the Rust pup's hand-written files, including the legacy bare token file", async () => {
  await withTempDir(async (dir) => {
    for (
      const f of [
        "tokens_datadoghq_com.json",
        "tokens_us3_datadoghq_com.json",
        "client_datadoghq_com.json",
      ]
    ) {
      await Deno.copyFile(new URL(`../fixtures/rust/${f}`, import.meta.url), `${dir}/${f}`);
    }
    const store = new FileStore(dir);
    const com = await store.read("datadoghq.com");
    assert.deepEqual(Object.keys(com.tokens).sort(), ["__default__", "prod-child"]);
    assert.equal(com.client?.client_id, "rust-client-1");
    const us3 = await store.read("us3.datadoghq.com");
    assert.equal(us3.tokens.__default__.access_token, "rust-access-legacy");
  });
});

Deno.test("FileStore.update() writes files the strict Rust reader accepts, mode 0600", async () => {
  await withTempDir(async (dir) => {
    const store = new FileStore(dir);
    await store.update(
      "datadoghq.com",
      (s) => ({ tokens: { ...s.tokens, __default__: token("x") }, client }),
    );
    const tokensText = await Deno.readTextFile(`${dir}/tokens_datadoghq_com.json`);
    rustTokenFile(tokensText);
    rustClient(JSON.parse(await Deno.readTextFile(`${dir}/client_datadoghq_com.json`)));
    assert.equal((await Deno.stat(`${dir}/tokens_datadoghq_com.json`)).mode! & 0o777, 0o600);
    assert.equal((await Deno.stat(`${dir}/client_datadoghq_com.json`)).mode! & 0o777, 0o600);
  });
});

Deno.test("FileStore.update() rewrites a legacy bare token file in the map form", async () => {
  await withTempDir(async (dir) => {
    await Deno.copyFile(
      new URL("../fixtures/rust/tokens_us3_datadoghq_com.json", import.meta.url),
      `${dir}/tokens_us3_datadoghq_com.json`,
    );
    const store = new FileStore(dir);
    await store.update(
      "us3.datadoghq.com",
      (s) => ({ ...s, tokens: { ...s.tokens, prod: token("p") } }),
    );
    const map = JSON.parse(await Deno.readTextFile(`${dir}/tokens_us3_datadoghq_com.json`));
    assert.deepEqual(Object.keys(map).sort(), ["__default__", "prod"]);
  });
});

Deno.test("FileStore.update() removes the token file when the last session goes, keeps the client", async () => {
  await withTempDir(async (dir) => {
    const store = new FileStore(dir);
    await store.update("datadoghq.com", () => ({ tokens: { __default__: token("x") }, client }));
    await store.update("datadoghq.com", (s) => ({ ...s, tokens: {} }));
    await assert.rejects(Deno.stat(`${dir}/tokens_datadoghq_com.json`), Deno.errors.NotFound);
    assert.equal((await store.read("datadoghq.com")).client?.client_id, "c");
  });
});

Deno.test("FileStore keeps every org when 25 writers update one site at once", async () => {
  await withTempDir(async (dir) => {
    const store = new FileStore(dir);
    await Promise.all(
      Array.from(
        { length: 25 },
        (_, i) =>
          new FileStore(dir).update(
            "datadoghq.com",
            (s) => ({ ...s, tokens: { ...s.tokens, [`o${i}`]: token(`t${i}`) } }),
          ),
      ),
    );
    assert.equal(Object.keys((await store.read("datadoghq.com")).tokens).length, 25);
  });
});

const corrupt: [string, string | Uint8Array][] = [
  ["truncated JSON", '{"__default__": {"access_token": "a", "refre'],
  ["not JSON", "hello"],
  ["empty", ""],
  ["binary", new Uint8Array([0, 159, 146, 150, 255])],
  ["a JSON array", "[]"],
  ["a null scope", JSON.stringify({ o: { ...token("a"), scope: null } })],
  ["a float expires_in", JSON.stringify({ o: { ...token("a"), expires_in: 3600.5 } })],
  ["a string issued_at", JSON.stringify({ o: { ...token("a"), issued_at: "1770202800" } })],
];

for (const [name, content] of corrupt) {
  Deno.test(`FileStore refuses a token file with ${name} and never overwrites it`, async () => {
    await withTempDir(async (dir) => {
      const path = `${dir}/tokens_datadoghq_com.json`;
      if (typeof content === "string") await Deno.writeTextFile(path, content);
      else await Deno.writeFile(path, content);
      const before = await Deno.readFile(path);
      const store = new FileStore(dir);
      await assert.rejects(
        store.read("datadoghq.com"),
        (e: Error) => e instanceof StorageCorruptError && e.message.includes(path),
      );
      await assert.rejects(
        store.update("datadoghq.com", (s) => ({ ...s, tokens: { x: token("x") } })),
        StorageCorruptError,
      );
      assert.deepEqual(await Deno.readFile(path), before);
    });
  });
}

Deno.test("FileStore refuses a client file with a missing field, naming the field", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(
      `${dir}/client_datadoghq_com.json`,
      JSON.stringify({ ...client, registered_at: undefined }),
    );
    await assert.rejects(
      new FileStore(dir).read("datadoghq.com"),
      /client: field "registered_at" must be an integer/,
    );
  });
});

Deno.test("FileStore refuses a token file that is a symlink", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/elsewhere.json`, JSON.stringify({ __default__: token("a") }));
    await Deno.symlink(`${dir}/elsewhere.json`, `${dir}/tokens_datadoghq_com.json`);
    await assert.rejects(new FileStore(dir).read("datadoghq.com"), /is a symbolic link/);
  });
});

Deno.test("FileStore refuses a directory where the token file should be", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/tokens_datadoghq_com.json`);
    await assert.rejects(new FileStore(dir).read("datadoghq.com"), /is a directory, not a file/);
  });
});

Deno.test("FileStore refuses a 50 MB token file without reading it whole", async () => {
  await withTempDir(async (dir) => {
    const f = await Deno.open(`${dir}/tokens_datadoghq_com.json`, { create: true, write: true });
    await f.truncate(50 * 1024 * 1024);
    f.close();
    await assert.rejects(new FileStore(dir).read("datadoghq.com"), /over the 1048576-byte limit/);
  });
});

Deno.test("FileStore refuses a FIFO where the token file should be, without blocking on it", async () => {
  await withTempDir(async (dir) => {
    const mk = await new Deno.Command("mkfifo", { args: [`${dir}/tokens_datadoghq_com.json`] })
      .output();
    assert.equal(mk.code, 0);
    await assert.rejects(new FileStore(dir).read("datadoghq.com"), /is not a regular file/);
  });
});

Deno.test("FileStore.update() removes temp files a killed writer left, and only this site's", async () => {
  await withTempDir(async (dir) => {
    const stale = [
      `${dir}/.tokens_datadoghq_com.json.tmp-aabbcc`,
      `${dir}/.client_datadoghq_com.json.tmp-001122`,
    ];
    const other = `${dir}/.tokens_datadoghq_eu.json.tmp-334455`;
    for (const f of [...stale, other]) {
      await Deno.writeTextFile(f, '{"__default__": {"access_token": "secret"');
    }
    await new FileStore(dir).update(
      "datadoghq.com",
      () => ({ tokens: { __default__: token("x") }, client }),
    );
    for (const f of stale) await assert.rejects(Deno.stat(f), Deno.errors.NotFound, f);
    assert.ok(
      (await Deno.stat(other)).isFile,
      "another site's writer may still be between write and rename",
    );
  });
});
