import assert from "node:assert/strict";
import {
  parseSessions,
  pruneDefaultSessions,
  removeSession,
  serializeSessions,
  SessionsRegistry,
  upsertSession,
} from "../../lib/storage/sessions.ts";
import { StorageCorruptError } from "../../lib/errors.ts";
import { withTempDir } from "../_fakes/fake_deps.ts";
import { rustSessions } from "../_fakes/rust_reader.ts";

Deno.test("upsertSession() moves an org's row to the end, whatever its site", () => {
  const rows = [{ site: "datadoghq.com", org: "a" }, { site: "datadoghq.eu", org: null }];
  assert.deepEqual(upsertSession(rows, { site: "datadoghq.eu", org: "a", org_uuid: "u" }), [
    { site: "datadoghq.eu", org: null },
    { site: "datadoghq.eu", org: "a", org_uuid: "u" },
  ]);
});

Deno.test("pruneDefaultSessions() removes other sites' default rows and keeps named rows", () => {
  const rows = [
    { site: "datadoghq.com", org: null },
    { site: "datadoghq.eu", org: null },
    { site: "datadoghq.eu", org: "x" },
  ];
  assert.deepEqual(pruneDefaultSessions(rows, "datadoghq.com"), {
    rows: [{ site: "datadoghq.com", org: null }, { site: "datadoghq.eu", org: "x" }],
    removedSites: ["datadoghq.eu"],
  });
});

Deno.test("removeSession() drops every row of the org", () => {
  assert.deepEqual(
    removeSession([{ site: "a.com", org: "x" }, { site: "b.com", org: "x" }, {
      site: "c.com",
      org: null,
    }], "x"),
    [
      { site: "c.com", org: null },
    ],
  );
});

Deno.test("serializeSessions() omits org_uuid when absent and passes the strict Rust reader", () => {
  const text = serializeSessions([{ site: "datadoghq.com", org: null }, {
    site: "datadoghq.eu",
    org: "p",
    org_uuid: "u",
  }]);
  rustSessions(text);
  assert.ok(!text.includes('null,\n    "org_uuid"'));
  assert.deepEqual(JSON.parse(text)[0], { site: "datadoghq.com", org: null });
});

Deno.test("parseSessions() rejects non-arrays and rows without a string site", () => {
  for (
    const bad of [
      '{"site":"x"}',
      '[{"org":"x"}]',
      '[{"site":1}]',
      '[{"site":"a","org":5}]',
      "[",
      "",
    ]
  ) {
    assert.throws(() => parseSessions(bad, "/c/sessions.json"), StorageCorruptError, bad);
  }
  assert.deepEqual(parseSessions('[{"site":"a","org_uuid":null}]', "p"), [{
    site: "a",
    org: null,
  }]);
});

Deno.test("SessionsRegistry.update() never overwrites a sessions.json it cannot parse", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/sessions.json`, "[{broken");
    const reg = new SessionsRegistry(dir);
    await assert.rejects(
      reg.update((rows) => [...rows, { site: "datadoghq.com", org: null }]),
      StorageCorruptError,
    );
    assert.equal(await Deno.readTextFile(`${dir}/sessions.json`), "[{broken");
  });
});

Deno.test("SessionsRegistry.update() writes the file 0600 and keeps concurrent upserts", async () => {
  await withTempDir(async (dir) => {
    const reg = new SessionsRegistry(dir);
    await Promise.all(
      Array.from(
        { length: 20 },
        (_, i) =>
          reg.update((rows) => upsertSession(rows, { site: "datadoghq.com", org: `o${i}` })),
      ),
    );
    assert.equal((await reg.read()).length, 20);
    assert.equal((await Deno.stat(`${dir}/sessions.json`)).mode! & 0o777, 0o600);
    assert.equal((await Deno.stat(dir)).mode! & 0o777, 0o700);
  });
});

Deno.test("SessionsRegistry.update() removes temp files a killed writer left", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/.sessions.json.tmp-abcdef`, "[");
    await new SessionsRegistry(dir).update((rows) =>
      upsertSession(rows, { site: "datadoghq.com", org: null })
    );
    await assert.rejects(Deno.stat(`${dir}/.sessions.json.tmp-abcdef`), Deno.errors.NotFound);
  });
});
