/**
 * What can be proved about the single binary on a machine that cannot download `denort`:
 * `deno compile` (with DENORT_BIN = this deno) resolves and embeds the whole module graph, npm
 * packages included, with exactly the "pup" permission set; and the CLI runs from an empty
 * directory with only those permissions. The embedded runtime here is the plain deno CLI, so the
 * binary itself is not run.
 */
import assert from "node:assert/strict";
import { compileArgs } from "../../scripts/compile.ts";
import { tsModules } from "../_fakes/ts_modules.ts";

const repo = new URL("../../", import.meta.url).pathname;
const deno = Deno.execPath();

function metadata(bytes: Uint8Array): Record<string, unknown> {
  const text = new TextDecoder("latin1").decode(bytes);
  const start = text.indexOf('{"argv":[');
  assert.ok(start >= 0, "the binary carries deno compile's metadata");
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    if (text[i] === "{") depth++;
    else if (text[i] === "}" && --depth === 0) return JSON.parse(text.slice(start, i + 1));
  }
  throw new Error("unterminated metadata");
}

Deno.test("deno task compile embeds the whole module graph and npm packages with exactly the pup permission set", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pup-compile-" });
  try {
    const output = `${dir}/pup`;
    const out = await new Deno.Command(deno, {
      args: compileArgs("linux-x64", output),
      cwd: repo,
      env: { DENORT_BIN: deno, DENO_TLS_CA_STORE: "system" },
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const bytes = await Deno.readFile(output);
    assert.ok(
      bytes.length > (await Deno.stat(deno)).size,
      "the payload is appended to the runtime",
    );
    const text = new TextDecoder("latin1").decode(bytes);
    // Every module of lib/ is embedded as a module (transpiled code "m" beside the original
    // "o"), not as a plain file: the ones loaded on first use (lazy_import.ts) included.
    const embedded = new Set(
      [...text.matchAll(/\{"File":\{"n":"([\w.]+\.ts)","o":\[\d+,\d+\],"u":\w+,"m":/g)].map((m) =>
        m[1]
      ),
    );
    const lib = new URL("../../lib/", import.meta.url);
    for await (const url of tsModules(lib)) {
      const name = url.pathname.slice(url.pathname.lastIndexOf("/") + 1);
      assert.ok(embedded.has(name), `embeds lib module ${url.pathname}`);
    }
    for (const pkg of ['"n":"@stricli"', '"n":"oauth4webapi"', '"n":"yaml"']) {
      assert.ok(text.includes(pkg), `embeds ${pkg}`);
    }
    assert.ok(!text.includes('"n":"fast-check"'), "test-only npm packages stay out");
    const perms = metadata(bytes).permissions as Record<string, unknown>;
    for (
      const granted of [
        "allow_env",
        "allow_ffi",
        "allow_net",
        "allow_read",
        "allow_run",
        "allow_write",
      ]
    ) {
      assert.deepEqual(perms[granted], [], `${granted} granted`);
    }
    assert.equal(perms.allow_sys, null);
    assert.equal(perms.prompt, false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the CLI runs from an empty directory with only the declared permissions", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pup-cleandir-" });
  try {
    const run = (args: string[]) =>
      new Deno.Command(deno, {
        args: [
          "run",
          "--quiet",
          "--no-prompt",
          "-P=pup",
          "--config",
          `${repo}deno.json`,
          `${repo}main.ts`,
          ...args,
        ],
        cwd: dir,
        clearEnv: true,
        env: { HOME: dir, PATH: "/usr/bin:/bin", DD_TOKEN_STORAGE: "file", NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
    const help = await run(["--help"]);
    assert.equal(help.code, 0, new TextDecoder().decode(help.stderr));
    const status = await run(["auth", "status"]);
    const stderr = new TextDecoder().decode(status.stderr);
    assert.equal(status.code, 3, stderr);
    assert.ok(!/NotCapable|Requires .* access/.test(stderr), stderr);
    assert.equal(JSON.parse(new TextDecoder().decode(status.stdout)).status, "no token");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
