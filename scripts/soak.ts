/**
 * `deno task soak`: the long forms of the fault tests, with a figures table (SPEC §8).
 *
 * - crash: 120 SIGKILLs of a file-store writer at seeded random moments (plus 20 of a
 *   Rust-style truncate-and-write writer, the negative control); every write point of a
 *   Windows chunked update and 100 seeded interruptions (emulator deaths and process-group
 *   kills); the same for the macOS emulator with 30;
 * - concurrency: 50 processes (20 logins, 15 logouts, 15 refreshes of different orgs);
 * - corpora: every corrupt store through status/list/logout; the hostile-callback login;
 * - the secret audit on four backends; tools that hang, through the real CLI;
 * - the property tests at ten times their suite run count.
 *
 *   deno task soak [--seed N] [--json FILE]
 *
 * Runs inside scripts/with_secret_service.sh when no D-Bus session is set (and the tools
 * exist), so the Secret Service parts run too. Exit code 1 when anything failed. Bounded: each
 * part has its own limits; the whole takes about three minutes on two cores.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { runAudit } from "./soak/audit.ts";
import { runConcurrency } from "./soak/concurrency.ts";
import { runSameOrgMixes } from "./soak/same_org.ts";
import { FILE_CASES } from "./soak/corrupt_cases.ts";
import { makeNobodyDenoDir, runCorruptCase } from "./soak/corrupt_runner.ts";
import { runFileCrashRuns } from "./soak/crash_runs.ts";
import { runHostileLogin } from "./soak/hostile_run.ts";
import { runKeychainCrashRuns } from "./soak/keychain_crash.ts";
import { KEYCHAIN_CASES } from "./soak/keychain_cases.ts";
import { mapPool } from "./soak/pool.ts";
import { startMockDatadog } from "./mock_datadog.ts";
import { runCliHangs } from "./soak/cli_hangs.ts";
import { REPO_DIR } from "./soak/run_pup.ts";

/** One row of the figures table. */
interface Row {
  part: string;
  runs: number;
  failures: number;
  figures: string;
  seconds: number;
}

const out = (text: string) => Deno.stdout.writeSync(new TextEncoder().encode(text));

/** What a part returns: its row, and failure lines printed as they come (first few). */
type PartResult = Omit<Row, "part" | "seconds"> & { details?: string[] };

async function timed(part: string, fn: () => Promise<PartResult>): Promise<Row> {
  out(`… ${part}\n`);
  const start = performance.now();
  try {
    const row = await fn();
    for (const line of row.details ?? []) out(`   ${line.slice(0, 300)}\n`);
    return {
      part,
      runs: row.runs,
      failures: row.failures,
      figures: row.figures,
      seconds: (performance.now() - start) / 1000,
    };
  } catch (e) {
    return {
      part,
      runs: 0,
      failures: 1,
      figures: `harness error: ${(e as Error).message}`,
      seconds: (performance.now() - start) / 1000,
    };
  }
}

function verdicts(c: Record<string, number>): string {
  return `old ${c.old} / new ${c.new} / mixed ${c.mixed} / empty ${c.empty} / unparsable ${c.unparsable} / missing ${c.missing}`;
}

async function wrapInSecretService(argv: string[]): Promise<number | undefined> {
  if (Deno.env.get("DBUS_SESSION_BUS_ADDRESS") || Deno.env.get("PUP_SOAK_WRAPPED")) {
    return undefined;
  }
  const ok = await new Deno.Command("sh", {
    args: ["-c", "command -v dbus-run-session && command -v gnome-keyring-daemon"],
    stdout: "null",
  }).output();
  if (!ok.success) return undefined;
  const child = new Deno.Command(`${REPO_DIR}/scripts/with_secret_service.sh`, {
    args: [
      Deno.execPath(),
      "run",
      "-P=test",
      "--quiet",
      "--config",
      `${REPO_DIR}/deno.json`,
      `${REPO_DIR}/scripts/soak.ts`,
      ...argv,
    ],
    env: { PUP_SOAK_WRAPPED: "1" },
  }).spawn();
  return (await child.status).code;
}

async function main(argv: string[]): Promise<number> {
  const wrapped = await wrapInSecretService(argv);
  if (wrapped !== undefined) return wrapped;
  const { values } = parseArgs({
    args: argv,
    options: { seed: { type: "string" }, json: { type: "string" } },
  });
  const seed = values.seed === undefined ? 20261123 : Number(values.seed);
  const rows: Row[] = [];
  const started = performance.now();
  out(
    `pup soak, seed ${seed}, Secret Service ${
      Deno.env.get("DBUS_SESSION_BUS_ADDRESS") ? "on" : "off"
    }\n`,
  );

  rows.push(
    await timed("crash: file store (SIGKILL at random)", async () => {
      const f = await runFileCrashRuns({ runs: 120, seed });
      const s = f.stores;
      return {
        details: f.failures.slice(0, 5),
        runs: f.runs,
        failures: f.failures.length,
        figures: `killed mid-write ${f.killed}, between two files ${f.between}; last rename at ${
          f.writeMs.toFixed(0)
        } ms; tokens ${verdicts(s.tokens)}; client ${verdicts(s.client)}; sessions ${
          verdicts(s.sessions)
        }; temp files left ${f.leftoverTemps}`,
      };
    }),
  );
  rows.push(
    await timed("crash: negative control (truncate-and-write)", async () => {
      const f = await runFileCrashRuns({ runs: 20, seed, writer: "naive" });
      const torn = f.failures.length;
      return {
        runs: f.runs,
        failures: torn > 0 ? 0 : 1,
        figures: `torn files detected ${torn} (must be > 0); tokens ${verdicts(f.stores.tokens)}`,
      };
    }),
  );
  for (const [kind, runs] of [["windows", 100], ["macos", 30]] as const) {
    rows.push(
      await timed(`crash: ${kind} keychain (stand-in library)`, async () => {
        const f = await runKeychainCrashRuns({ kind, runs, seed });
        return {
          details: f.failures.slice(0, 5),
          runs: f.runs,
          failures: f.failures.length,
          figures: `write calls per update ${f.writesPerUpdate}; tokens ${
            verdicts(f.tokens)
          }; client ${verdicts(f.client)}; writers cut off ${f.interrupted}`,
        };
      }),
    );
  }
  rows.push(
    await timed("concurrency: 50 processes, different orgs", async () => {
      const f = await runConcurrency({ logins: 20, logouts: 15, refreshes: 15, bystanders: 5 });
      return {
        details: f.problems.slice(0, 5),
        runs: f.processes,
        failures: f.problems.length,
        figures:
          `logins ${f.logins}, logouts ${f.logouts}, refreshes ${f.refreshes}; failed processes ${f.failedProcesses}; sessions lost ${f.sessionsLost}; not removed ${f.sessionsNotRemoved}; client lost ${f.clientLost}; refresh requests ${f.refreshRequests}; burst ${
            (f.burstMs / 1000).toFixed(1)
          } s; ${f.schedule}; port retries ${f.bindRetries}`,
      };
    }),
  );
  rows.push(
    await timed("concurrency: 50 processes, same orgs", async () => {
      const f = await runSameOrgMixes({ races: 10, shared: 20, firstLogins: 10 });
      return {
        details: f.problems.slice(0, 5),
        runs: f.processes,
        failures: f.problems.length,
        figures:
          `logout racing refresh, auth token and api on one org, racing first logins; sessions lost ${f.sessionsLost}; resurrected ${f.sessionsResurrected}; refreshes of the shared org ${f.sharedRefreshes}; registrations ${f.registrations}`,
      };
    }),
  );
  rows.push(
    await timed("corpus: corrupt stores via status/list/logout", async () => {
      const mock = await startMockDatadog({ autoApprove: true });
      const nobody = await makeNobodyDenoDir();
      try {
        const cases = [...FILE_CASES, ...KEYCHAIN_CASES];
        const outcomes = await mapPool(
          cases,
          4,
          (c) => runCorruptCase(c, { mockUrl: mock.url, nobodyDenoDir: nobody }),
        );
        const ran = outcomes.filter((o) => !o.skipped);
        const failed = ran.filter((o) => o.problems.length > 0);
        const skipped = outcomes.filter((o) => o.skipped).map((o) => o.name);
        for (const o of failed) out(`   FAILED ${o.name}: ${o.problems[0].slice(0, 200)}\n`);
        return {
          runs: ran.length * 3,
          failures: failed.length,
          figures: `cases ${cases.length} (ran ${ran.length}${
            skipped.length ? `, skipped ${skipped.length}` : ""
          }); failing cases: ${failed.map((o) => o.name).join("; ") || "none"}`,
        };
      } finally {
        await mock.close();
        if (nobody) await Deno.remove(nobody, { recursive: true });
      }
    }),
  );
  rows.push(
    await timed("corpus: hostile callback requests during a login", async () => {
      const f = await runHostileLogin();
      return {
        details: f.problems.slice(0, 5),
        runs: f.kinds,
        failures: f.problems.length,
        figures:
          `kinds ${f.kinds}; refused ${f.refused}; reflected ${f.reflected}; login exit ${f.loginExit}; code exchanges ${f.codeExchanges}`,
      };
    }),
  );
  for (const backend of ["file", "secret-service", "macos", "windows"] as const) {
    if (backend === "secret-service" && !Deno.env.get("DBUS_SESSION_BUS_ADDRESS")) continue;
    rows.push(
      await timed(`audit: ${backend}`, async () => {
        const f = await runAudit(backend);
        return {
          details: [...f.problems, ...f.hits.map((h) => `${h.step}: ${h.secret} in ${h.where}`)]
            .slice(0, 5),
          runs: f.steps,
          failures: f.hits.length + f.problems.length,
          figures: `execs ${f.execs} (${f.argvSource}); programs ${
            f.programs.join(", ")
          }; secrets checked ${f.secrets}; hits ${f.hits.length}; auth token exact ${f.tokenOutputExact}`,
        };
      }),
    );
  }
  rows.push(
    await timed("hangs: keychain tools through the real CLI", async () => {
      const f = await runCliHangs();
      return { runs: f.runs, failures: f.problems.length, figures: f.figures, details: f.problems };
    }),
  );
  rows.push(
    await timed("properties: fast-check at 10x runs", async () => {
      const run = await new Deno.Command(Deno.execPath(), {
        args: [
          "test",
          "-P=test",
          "--quiet",
          "--config",
          `${REPO_DIR}/deno.json`,
          ...["site", "callback", "chunking"].map((n) =>
            `${REPO_DIR}/tests/faults/${n}_properties_test.ts`
          ),
        ],
        env: { PUP_PROPERTY_SCALE: "10", NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(run.stdout);
      const line = text.split("\n").find((l) => /^(ok|FAILED) \|/.test(l)) ?? "no summary";
      return { runs: 3, failures: run.success ? 0 : 1, figures: line.trim() };
    }),
  );

  const total = (performance.now() - started) / 1000;
  out("\n| part | runs | failures | seconds | figures |\n|---|---|---|---|---|\n");
  for (const r of rows) {
    out(`| ${r.part} | ${r.runs} | ${r.failures} | ${r.seconds.toFixed(1)} | ${r.figures} |\n`);
  }
  const failures = rows.reduce((n, r) => n + r.failures, 0);
  out(
    `\nsoak ${failures === 0 ? "passed" : "FAILED"}: ${rows.length} parts, ${failures} failures, ${
      total.toFixed(0)
    } s, seed ${seed}\n`,
  );
  if (values.json) {
    await Deno.writeTextFile(values.json, JSON.stringify({ seed, rows, total }, null, 2));
  }
  return failures === 0 ? 0 : 1;
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);
