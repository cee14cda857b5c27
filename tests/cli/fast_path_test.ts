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

Deno.test("the fast path and stricli agree on generated auth status command lines", async () => {
  const fc = (await import("fast-check")).default;
  await withTempDir(async (dir) => {
    await Deno.copyFile(
      new URL("../fixtures/rust/sessions.json", import.meta.url),
      `${dir}/sessions.json`,
    );
    const flag = fc.oneof(
      fc.tuple(
        fc.constantFrom("--org", "--site", "-o", "--output"),
        fc.constantFrom(
          "prod-child",
          "eu-team",
          "json",
          "table",
          "yaml",
          "datadoghq.eu",
          "bad/site",
          "__default__",
          "-x",
        ),
      ).map(([f, v]) => [f, v]),
      fc.constantFrom(["--org=x"], ["--bogus"], ["-h"]),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(flag, { maxLength: 3 }), async (flags) => {
        const argv = ["auth", "status", ...flags.flat()];
        const r = await bothPaths(argv, dir);
        if (r.fastCode === undefined) return; // declined: stricli alone decides
        assert.equal(r.fastCode, r.slowCode, argv.join(" "));
        assert.equal(r.fast.out.text, r.slow.out.text, argv.join(" "));
        assert.equal(r.fast.err.text, r.slow.err.text, argv.join(" "));
      }),
      { numRuns: 60, seed: 16 },
    );
  });
});
