/**
 * Every command line of the pup docs runs as written (issue 15): the list is read from
 * `../shared/reference/doc-commands.md` (the steering repo's copy beside this checkout; a
 * missing list fails the test, it is never skipped) and run in order against the mock, each as a
 * real `pup` process with its environment prefix, `<name>` standing for an org logged in above.
 *
 * @module
 */

import assert from "node:assert/strict";
import { startMockDatadog } from "../../scripts/mock_datadog.ts";
import { ROOT, runPup, withConfigDir } from "./_helpers.ts";

const LIST = `${ROOT}../shared/reference/doc-commands.md`;
const UUID = "11111111-2222-3333-4444-555555555555";

/** The command lines of the list: `[env, args]` each. */
export function docCommandLines(markdown: string): [Record<string, string>, string[]][] {
  const block = /```sh\n([^]*?)```/.exec(markdown)?.[1] ?? "";
  return block.split("\n").filter((l) => l.trim() !== "").map((line) => {
    const words = [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]);
    const env: Record<string, string> = {};
    while (/^[A-Z_]+=/.test(words[0])) {
      const [k, ...v] = words.shift()!.split("=");
      env[k] = v.join("=");
    }
    assert.equal(words.shift(), "pup", line);
    return [env, words.map((w) => (w === "<name>" ? "prod-child" : w))];
  });
}

Deno.test("every command line of the pup docs runs as written against the mock", async () => {
  const lines = docCommandLines(await Deno.readTextFile(LIST));
  assert.ok(lines.length >= 25, `the list has ${lines.length} lines`);
  const mock = await startMockDatadog({ autoApprove: true, orgUuid: UUID });
  try {
    await withConfigDir(async (dir) => {
      for (const [env, args] of lines) {
        const r = await runPup(args, {
          PUP_CONFIG_DIR: dir,
          DD_TOKEN_STORAGE: "file",
          PUP_MOCK_SERVER: mock.url,
          BROWSER: `${ROOT}scripts/fast_browser.sh`,
          ...env,
        });
        const shown = `${Object.entries(env).map(([k, v]) => `${k}=${v} `).join("")}pup ${
          args.join(" ")
        }`;
        assert.equal(r.code, 0, `${shown}\n${r.stderr}`);
      }
    });
  } finally {
    await mock.close();
  }
});
