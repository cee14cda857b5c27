import assert from "node:assert/strict";
import { parseFastStatusFlags, runFastPath } from "../../lib/cli/fast_path.ts";
import { ROOT_HELP } from "../../lib/cli/root_help.ts";
import { runStricli } from "../../lib/cli/run_stricli.ts";
import { stricliRootHelp } from "../../scripts/gen_root_help.ts";
import { makeDeps, withTempDir } from "../_fakes/fake_deps.ts";

Deno.test("ROOT_HELP is exactly stricli's root help (run 'deno task gen-help' when this fails)", async () => {
  assert.equal(ROOT_HELP, await stricliRootHelp());
});

async function bothPaths(argv: string[], dir: string, env: Record<string, string> = {}) {
  const fast = makeDeps({ configDir: dir, env, nowMs: 1770202800 * 1000 });
  const slow = makeDeps({ configDir: dir, env, nowMs: 1770202800 * 1000 });
  const fastCode = await runFastPath(argv, fast);
  const slowCode = await runStricli(argv, slow);
  return { fastCode, slowCode, fast, slow };
}

Deno.test("the fast path prints the same root help, version and status as stricli", async () => {
  await withTempDir(async (dir) => {
    for (
      const f of [
        "tokens_datadoghq_com.json",
        "tokens_datadoghq_eu.json",
        "client_datadoghq_com.json",
        "sessions.json",
      ]
    ) {
      await Deno.copyFile(new URL(`../fixtures/rust/${f}`, import.meta.url), `${dir}/${f}`);
    }
    const argvs = [
      [],
      ["--help"],
      ["-h"],
      ["--version"],
      ["-v"],
      ["auth", "status"],
      ["auth", "status", "--org", "eu-team"],
      ["auth", "status", "-o", "table", "--site", "app.datadoghq.eu"],
      ["auth", "status", "--output", "json", "--org", "prod-child"],
      ["auth", "status", "--org", "__default__"],
      ["auth", "status", "--site", "bad/site"],
    ];
    for (const argv of argvs) {
      const r = await bothPaths(argv, dir);
      const label = argv.join(" ") || "(no args)";
      assert.notEqual(r.fastCode, undefined, `fast path takes ${label}`);
      assert.equal(r.fastCode, r.slowCode, `exit code of ${label}`);
      assert.equal(r.fast.out.text, r.slow.out.text, `stdout of ${label}`);
      assert.equal(r.fast.err.text, r.slow.err.text, `stderr of ${label}`);
    }
  });
});

Deno.test("parseFastStatusFlags() declines every form outside its narrow grammar", () => {
  for (
    const rest of [
      ["--org=x"],
      ["--org"],
      ["--org", "a", "--org", "b"],
      ["--org", "--site"],
      ["-o", "yaml"],
      ["--bogus", "x"],
      ["--help"],
      ["extra"],
      ["--trust-site"],
    ]
  ) {
    assert.equal(parseFastStatusFlags(rest), undefined, rest.join(" "));
  }
  assert.deepEqual(parseFastStatusFlags(["-o", "json", "--org", "p", "--site", "s"]), {
    output: "json",
    org: "p",
    site: "s",
  });
});

Deno.test("the fast path leaves every other command line to stricli", async () => {
  await withTempDir(async (dir) => {
    for (
      const argv of [["auth", "list"], ["auth", "status", "--help"], ["auth"], ["--bogus"], [
        "api",
        "/api/v1/validate",
      ]]
    ) {
      assert.equal(
        await runFastPath(argv, makeDeps({ configDir: dir })),
        undefined,
        argv.join(" "),
      );
    }
  });
});
