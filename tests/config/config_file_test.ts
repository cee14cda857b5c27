import assert from "node:assert/strict";
import { loadConfigFile } from "../../lib/config/config_file.ts";
import { withTempDir } from "../_fakes/fake_deps.ts";

Deno.test("loadConfigFile() returns {} when no file exists", async () => {
  await withTempDir(async (dir) => {
    assert.deepEqual(await loadConfigFile([`${dir}/config.yaml`]), {});
  });
});

Deno.test("loadConfigFile() reads every key of ref §1.7", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(
      `${dir}/config.yaml`,
      "site: datadoghq.eu\norg: prod\napi_key: k\napp_key: a\noutput: json\nscopes: a,b\ntoken_storage: file\ntrusted_sites:\n  - gw.example.com\nprofiles:\n  prod:\n    scopes: x,y\nunknown_key: 1\n",
    );
    const c = await loadConfigFile([`${dir}/config.yaml`]);
    assert.deepEqual(c, {
      path: `${dir}/config.yaml`,
      site: "datadoghq.eu",
      org: "prod",
      api_key: "k",
      app_key: "a",
      output: "json",
      scopes: "a,b",
      token_storage: "file",
      trusted_sites: ["gw.example.com"],
      profiles: { prod: { scopes: "x,y" } },
    });
  });
});

Deno.test("loadConfigFile() names the file and line of a YAML syntax error", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/config.yaml`, "site: datadoghq.eu\norg: [unclosed\n");
    await assert.rejects(loadConfigFile([`${dir}/config.yaml`]), (e: Error) => {
      assert.match(e.message, new RegExp(`Cannot parse "${dir}/config.yaml" at line \\d+`));
      return true;
    });
  });
});

Deno.test("loadConfigFile() names the key and line of a wrongly typed value", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/config.yaml`, "org: prod\nsite:\n  - a\n");
    await assert.rejects(loadConfigFile([`${dir}/config.yaml`]), /line 2: "site" must be a string/);
  });
});

Deno.test("loadConfigFile() uses the first existing candidate only", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/b.yaml`, "site: datadoghq.eu\n");
    const c = await loadConfigFile([`${dir}/a.yaml`, `${dir}/b.yaml`]);
    assert.equal(c.site, "datadoghq.eu");
  });
});

Deno.test("loadConfigFile() reports a directory where the file should be", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/config.yaml`);
    await assert.rejects(loadConfigFile([`${dir}/config.yaml`]), /is a directory/);
  });
});

Deno.test("loadConfigFile() refuses a FIFO instead of blocking on it", async () => {
  await withTempDir(async (dir) => {
    const mk = await new Deno.Command("mkfifo", { args: [`${dir}/config.yaml`] }).output();
    assert.equal(mk.code, 0);
    await assert.rejects(loadConfigFile([`${dir}/config.yaml`]), /is not a regular file/);
  });
});
