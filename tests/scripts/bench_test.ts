/**
 * Smoke tests of the bench's pure parts: ratio math, the table, the child-counting wrapper,
 * the environment children start from, and the machine description.
 */
import assert from "node:assert/strict";
import {
  CHILD_LOG_ENV,
  countStoreReads,
  describeChildren,
  findOnPath,
  parseChildLog,
  readChildLog,
  shellQuote,
  wrapperScript,
  writeCountingWrappers,
} from "../../scripts/bench/child_counter.ts";
import { childEnv, denoRunArgs, type RepoPaths } from "../../scripts/bench/pup_process.ts";
import { benchDoc, cpuModel } from "../../scripts/bench/report.ts";
import { formatMs, formatRatio, median, ratio, withinRatio } from "../../scripts/bench/stats.ts";
import { type BenchRow, failedRows, renderTable, summaryLine } from "../../scripts/bench/table.ts";

Deno.test("median() takes the middle sample, or the mean of the two middle ones", async (t) => {
  await t.step("odd count, unsorted input", () => assert.equal(median([30, 10, 20]), 20));
  await t.step("even count", () => assert.equal(median([4, 1, 3, 2]), 2.5));
  await t.step("one slow outlier does not move it", () => {
    assert.equal(median([14, 15, 14, 900, 15]), 15);
  });
  await t.step("the input is left unsorted", () => {
    const samples = [3, 1, 2];
    median(samples);
    assert.deepEqual(samples, [3, 1, 2]);
  });
  await t.step("no samples or a non-finite one is a RangeError", () => {
    assert.throws(() => median([]), RangeError);
    assert.throws(() => median([1, NaN]), RangeError);
  });
});

Deno.test("ratio() divides by the baseline and refuses a baseline that is not positive", () => {
  assert.equal(ratio(21, 14), 1.5);
  assert.throws(() => ratio(1, 0), RangeError);
  assert.throws(() => ratio(1, -2), RangeError);
  assert.throws(() => ratio(1, NaN), RangeError);
});

Deno.test("withinRatio() judges the ratio as printed, to two decimals", () => {
  assert.equal(withinRatio(1.5, 1.5), true);
  assert.equal(withinRatio(1.504, 1.5), true, "prints as 1.50x");
  assert.equal(withinRatio(1.506, 1.5), false, "prints as 1.51x");
  assert.equal(withinRatio(0.9, 1.5), true);
  assert.equal(formatRatio(1.504), "1.50x");
  assert.equal(formatRatio(1.506), "1.51x");
  assert.equal(formatMs(14.04), "14.0 ms");
});

const rows: BenchRow[] = [
  {
    metric: "start-up: `pup --help` / hello world",
    value: "1.20x",
    target: "≤ 1.50x",
    verdict: "pass",
  },
  { metric: "a | b", value: "2\nlines", target: "-", verdict: "info" },
  { metric: "refresh requests", value: "3", target: "exactly 1", verdict: "fail", note: "raced" },
  { metric: "keychain", value: "n/a", target: "-", verdict: "skipped", note: "no bus" },
];

Deno.test("renderTable() prints one Markdown row per result with its verdict", () => {
  const lines = renderTable(rows).trimEnd().split("\n");
  assert.deepEqual(lines, [
    "| metric | value | target | result |",
    "|---|---|---|---|",
    "| start-up: `pup --help` / hello world | 1.20x | ≤ 1.50x | PASS |",
    "| a \\| b | 2 lines | - | info |",
    "| refresh requests | 3 | exactly 1 | FAIL (raced) |",
    "| keychain | n/a | - | skipped (no bus) |",
  ]);
});

Deno.test("summaryLine() names every missed target, and says so when all were met", () => {
  assert.deepEqual(failedRows(rows).map((r) => r.metric), ["refresh requests"]);
  assert.equal(
    summaryLine(rows),
    "1 of 2 targets missed, 1 skipped: refresh requests = 3 (target exactly 1).",
  );
  assert.equal(summaryLine(rows.slice(0, 2)), "All 1 targets met.");
});

Deno.test("the counting wrapper logs the tool and its subcommand, then runs the real tool unchanged", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "pup-bench-test-" });
  try {
    const sh = await findOnPath("sh", "/usr/bin:/bin");
    assert.ok(sh, "sh is on the PATH");
    // A "real tool" that proves it got every argument and its stdin, and sets its exit code.
    const real = `${dir}/real tool's`;
    await Deno.writeTextFile(
      real,
      '#!/bin/sh\nprintf "args=%s|" "$@"; printf "stdin=%s" "$(cat)"; exit 3\n',
      { mode: 0o755 },
    );
    await Deno.chmod(real, 0o755);
    const wrapDir = `${dir}/wrappers`;
    await Deno.mkdir(wrapDir);
    const wrappers = await writeCountingWrappers(wrapDir, { "secret-tool": real });
    const log = `${dir}/children.log`;
    const run = async (args: string[], env: Record<string, string>) => {
      const child = new Deno.Command(wrappers["secret-tool"], {
        args,
        env,
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const w = child.stdin.getWriter();
      await w.write(new TextEncoder().encode("the value"));
      await w.close();
      return await child.output();
    };

    await t.step("output, stdin and exit code pass through", async () => {
      const out = await run(["lookup", "service", "pup"], { [CHILD_LOG_ENV]: log });
      assert.equal(out.code, 3);
      assert.equal(
        new TextDecoder().decode(out.stdout),
        "args=lookup|args=service|args=pup|stdin=the value",
      );
    });
    await t.step("the log holds one line per run, with only the first argument", async () => {
      await run(["store", "--label=x"], { [CHILD_LOG_ENV]: log });
      await run(["-%s"], { [CHILD_LOG_ENV]: log });
      assert.equal(
        await Deno.readTextFile(log),
        "secret-tool lookup\nsecret-tool store\nsecret-tool -%s\n",
      );
      assert.deepEqual(await readChildLog(log), [
        { tool: "secret-tool", subcommand: "lookup" },
        { tool: "secret-tool", subcommand: "store" },
        { tool: "secret-tool", subcommand: "-%s" },
      ]);
    });
    await t.step("without the log variable it still runs and logs nothing", async () => {
      const out = await run(["lookup"], {});
      assert.equal(out.code, 3);
      assert.equal((await Deno.readTextFile(log)).split("\n").length, 4);
    });
    await t.step("a log never written means no child ran", async () => {
      assert.deepEqual(await readChildLog(`${dir}/absent.log`), []);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("wrapperScript() refuses a tool name that would not log as one word", () => {
  assert.throws(() => wrapperScript("a b", "/bin/true"), TypeError);
  assert.throws(() => wrapperScript("x;rm", "/bin/true"), TypeError);
  assert.equal(shellQuote("it's"), `'it'\\''s'`);
});

Deno.test("countStoreReads() counts only the subcommands that read a store", () => {
  const records = parseChildLog(
    "secret-tool lookup\nsecret-tool search\nsecret-tool store\nkeyctl padd\nkeyctl pipe\n" +
      "security find-generic-password\nsecurity -i\npowershell -NoProfile\nxdg-open http\n",
  );
  assert.equal(countStoreReads(records), 5);
  assert.equal(countStoreReads([]), 0);
  assert.equal(
    describeChildren(parseChildLog("secret-tool lookup\nsecret-tool lookup\ngdbus\n")),
    "secret-tool lookup ×2, gdbus ×1",
  );
  assert.equal(describeChildren([]), "none");
});

Deno.test("childEnv() keeps what Deno needs and drops the user's Datadog settings", () => {
  const env = childEnv({
    PATH: "/usr/bin",
    HOME: "/root",
    DENO_DIR: "/cache",
    DD_SITE: "datadoghq.eu",
    DD_API_KEY: "k",
    DD_TOKEN_STORAGE: "keychain",
    PUP_CONFIG_DIR: "/home/me/.config/pup",
  });
  assert.deepEqual(env, {
    NO_COLOR: "1",
    RUST_BACKTRACE: "0",
    PATH: "/usr/bin",
    HOME: "/root",
    DENO_DIR: "/cache",
  });
});

Deno.test("denoRunArgs() runs the hello world and pup with the same flags", () => {
  const paths: RepoPaths = {
    repo: "/r",
    denoJson: "/r/deno.json",
    mainTs: "/r/main.ts",
    deno: "/bin/deno",
    fastBrowser: "/r/scripts/fast_browser.sh",
    secretServiceWrapper: "/r/scripts/with_secret_service.sh",
  };
  const hello = denoRunArgs(paths, "/tmp/hello.ts", []);
  const pup = denoRunArgs(paths, paths.mainTs, ["auth", "status"]);
  assert.deepEqual(hello.slice(0, -1), pup.slice(0, -3));
  assert.deepEqual(pup, [
    "run",
    "--quiet",
    "--no-prompt",
    "-P=pup",
    "--config",
    "/r/deno.json",
    "/r/main.ts",
    "auth",
    "status",
  ]);
});

Deno.test("cpuModel() reads the model name from /proc/cpuinfo, or says unknown", () => {
  assert.equal(
    cpuModel(
      "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) CPU @ 2.20GHz\n",
    ),
    "Intel(R) Xeon(R) CPU @ 2.20GHz",
  );
  assert.equal(cpuModel("processor : 0\n"), "unknown");
});

Deno.test("benchDoc() records the machine next to the table", () => {
  const doc = benchDoc(
    {
      date: "2026-01-02T03:04:05Z",
      uname: "Linux 6.1 x86_64",
      cpu: "Xeon",
      cores: 2,
      deno: "2.9.6",
    },
    renderTable(rows),
    summaryLine(rows),
    { runs: 30, warmups: 3 },
  );
  for (
    const part of [
      "2026-01-02T03:04:05Z",
      "Linux 6.1 x86_64",
      "| CPU | Xeon |",
      "| cores | 2 |",
      "2.9.6",
      "| refresh requests | 3 |",
      "3 warm-ups then 30 runs",
    ]
  ) {
    assert.ok(doc.includes(part), `the doc includes ${part}`);
  }
});
