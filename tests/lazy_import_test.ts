/**
 * `lazyImport` (lib/lazy_import.ts): pup's own modules load on first use and only then, and
 * every call names one module in its type and its path.
 */
import assert from "node:assert/strict";
import { lazyImport } from "../lib/lazy_import.ts";
import * as exitCodes from "../lib/cli/exit_codes.ts";
import { tsModules } from "./_fakes/ts_modules.ts";

const root = new URL("../", import.meta.url);

async function productSources(): Promise<[string, string][]> {
  const all: [string, string][] = [["main.ts", await Deno.readTextFile(new URL("main.ts", root))]];
  for await (const url of tsModules(new URL("lib/", root))) {
    all.push([url.pathname.slice(root.pathname.length), await Deno.readTextFile(url)]);
  }
  return all;
}

/** Code lines only: doc comments may show an import as an example. */
function code(text: string): string {
  return text.split("\n").filter((l) => !/^\s*(\*|\/\/|\/\*)/.test(l)).join("\n");
}

Deno.test("lazyImport loads the module its path names, the same instance a static import gets", async () => {
  const m = await lazyImport<typeof exitCodes>("../lib/cli/exit_codes.ts", import.meta.url);
  assert.equal(m, exitCodes);
});

Deno.test("lazyImport rejects a path that names no module", async () => {
  await assert.rejects(lazyImport("./no_such_module.ts", import.meta.url));
});

Deno.test("every lazyImport call names the same module in its type and its path", async () => {
  let calls = 0;
  for (const [file, text] of await productSources()) {
    for (
      const m of code(text).matchAll(/lazyImport<\s*typeof import\("([^"]+)"\)\s*>\(\s*"([^"]+)"/g)
    ) {
      calls++;
      assert.equal(m[2], m[1], `${file}: lazyImport<typeof import("${m[1]}")>("${m[2]}")`);
    }
    const untyped = code(text).match(/lazyImport(?!<\s*typeof import\()[<(]/);
    assert.ok(
      file === "lib/lazy_import.ts" || !untyped,
      `${file}: lazyImport without typeof import`,
    );
  }
  assert.ok(calls >= 30, `found ${calls} calls`);
});

Deno.test("no module of pup is imported with a literal dynamic import, which deno run would load at every start", async () => {
  for (const [file, text] of await productSources()) {
    const literal = code(text).match(/(?<!typeof )\bimport\(\s*["'`]\.{1,2}\//);
    assert.equal(literal, null, `${file}: ${literal?.[0]} (use lazyImport)`);
  }
});
