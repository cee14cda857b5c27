import assert from "node:assert/strict";
import { atomicWrite } from "../../lib/storage/atomic_write.ts";
import { withTempDir } from "../_fakes/fake_deps.ts";

Deno.test("atomicWrite() replaces the file by rename: a reader holding the old file still sees the old content whole", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/tokens.json`;
    await atomicWrite(path, "old content");
    // A hard link and an open handle stand for a reader that opened the file before the write.
    await Deno.link(path, `${dir}/reader.json`);
    const reader = await Deno.open(path, { read: true });
    const before = (await Deno.stat(path)).ino;
    try {
      await atomicWrite(path, "new content, longer than the old one");
      assert.equal(await Deno.readTextFile(`${dir}/reader.json`), "old content");
      const buf = new Uint8Array(64);
      const n = await reader.read(buf);
      assert.equal(new TextDecoder().decode(buf.subarray(0, n ?? 0)), "old content");
      assert.equal(await Deno.readTextFile(path), "new content, longer than the old one");
      assert.notEqual((await Deno.stat(path)).ino, before, "a new file took the name");
    } finally {
      reader.close();
    }
  });
});

Deno.test("atomicWrite() creates the file 0600 and leaves no temp file behind", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/client.json`;
    await atomicWrite(path, "{}");
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    const names = [];
    for await (const e of Deno.readDir(dir)) names.push(e.name);
    assert.deepEqual(names, ["client.json"]);
  });
});
