/**
 * `deno task bench [--write] [--runs N] [--warmups N]`: measures SPEC §8's qualities in one run
 * and prints a Markdown table of ratios and counts (metric, value, target, PASS/FAIL):
 * start-up against a Deno hello world, child processes per command, refresh under concurrency,
 * and login wall time with the browser step excluded. `--write` also updates docs/bench.md with
 * the machine it ran on. Exit code 1 when a target is missed (the closing line says which).
 *
 * Everything runs on loopback against an in-process mock Datadog, in a scratch dir removed at
 * the end. The keychain figures need a Secret Service: the bench re-runs itself inside
 * `scripts/with_secret_service.sh` (a throwaway gnome-keyring), and never uses the caller's own
 * session bus, whose keyring may hold the user's real pup sessions.
 *
 * @module
 */

import { startMockDatadog } from "./mock_datadog.ts";
import { benchChildCounts } from "./bench/child_counts.ts";
import { findOnPath } from "./bench/child_counter.ts";
import {
  type BenchContext,
  FILE_BACKEND,
  freshConfigDir,
  login,
  pupEnv,
  SECRET_SERVICE_BACKEND,
  standinBackends,
} from "./bench/context.ts";
import { benchLoginTime } from "./bench/login_time.ts";
import { childEnv, repoPaths } from "./bench/pup_process.ts";
import { benchRefreshConcurrency } from "./bench/refresh_concurrency.ts";
import { benchDoc, machineInfo } from "./bench/report.ts";
import { benchStartup } from "./bench/startup.ts";
import { type BenchRow, failedRows, renderTable, summaryLine } from "./bench/table.ts";

/** Set in the re-run inside the throwaway Secret Service. */
const INSIDE_SECRET_SERVICE = "PUP_BENCH_SECRET_SERVICE";

const USAGE = `Usage: deno task bench [--write] [--runs N] [--warmups N]

  --write       also write the table and the machine to docs/bench.md
  --runs N      start-up runs per command (default 30)
  --warmups N   start-up warm-up runs per command (default 3)
`;

interface BenchArgs {
  write: boolean;
  runs: number;
  warmups: number;
}

function parseArgs(argv: readonly string[]): BenchArgs | "help" {
  const args: BenchArgs = { write: false, runs: 30, warmups: 3 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--help" || a === "-h") return "help";
    if (a === "--write") args.write = true;
    else if (a === "--runs" || a === "--warmups") {
      const n = Number(argv[++i]);
      if (!Number.isSafeInteger(n) || n < (a === "--runs" ? 1 : 0) || n > 1000) {
        throw new RangeError(`${a} needs a whole number from ${a === "--runs" ? 1 : 0} to 1000`);
      }
      args[a === "--runs" ? "runs" : "warmups"] = n;
    } else throw new TypeError(`Unknown argument "${a}"`);
  }
  return args;
}

function write(file: { writeSync(p: Uint8Array): number }, text: string): void {
  let bytes = new TextEncoder().encode(text);
  while (bytes.length > 0) bytes = bytes.subarray(file.writeSync(bytes));
}

/** Re-runs the bench inside a throwaway Secret Service; `undefined` when that cannot start. */
async function rerunInSecretService(wrapper: string): Promise<number | undefined> {
  const paths = repoPaths();
  const status = await new Deno.Command(wrapper, {
    args: [
      paths.deno,
      "run",
      "--quiet",
      "-P=pup",
      "--config",
      paths.denoJson,
      new URL(import.meta.url).pathname,
      ...Deno.args,
    ],
    env: { [INSIDE_SECRET_SERVICE]: "1" },
    stdin: "null",
  }).spawn().status;
  // 127: the wrapper's tools (dbus-run-session, gnome-keyring-daemon) are missing.
  return status.code === 127 ? undefined : status.code;
}

async function section<T>(
  name: string,
  rows: BenchRow[],
  run: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await run();
  } catch (e) {
    rows.push({
      metric: name,
      value: "error",
      target: "-",
      verdict: "fail",
      note: e instanceof Error ? e.message : String(e),
    });
    return undefined;
  }
}

async function bench(args: BenchArgs, secretService: boolean): Promise<number> {
  const progress = (text: string) => write(Deno.stderr, `bench: ${text}\n`);
  const paths = repoPaths();
  const tmp = await Deno.makeTempDir({ prefix: "pup-bench-" });
  const mock = await startMockDatadog({ autoApprove: true });
  const rows: BenchRow[] = [];
  try {
    const ctx: BenchContext = {
      paths,
      env: childEnv(Deno.env.toObject()),
      tmp,
      mock,
      sessions: [],
      runs: args.runs,
      warmups: args.warmups,
      progress,
    };
    progress("logging in the sessions the measurements use");
    const fileDir = await freshConfigDir(ctx, "session-file");
    await login(ctx, pupEnv(ctx, fileDir, FILE_BACKEND));
    ctx.sessions.push({ backend: FILE_BACKEND, dir: fileDir });
    const secure = [
      ...(secretService ? [SECRET_SERVICE_BACKEND] : []),
      ...await standinBackends(ctx),
    ];
    for (const backend of secure) {
      await section(`log in a session stored in the ${backend.label}`, rows, async () => {
        const dir = await freshConfigDir(ctx, `session-${backend.id}`);
        await login(ctx, pupEnv(ctx, dir, backend));
        ctx.sessions.push({ backend, dir });
      });
    }
    const startup = await section("start-up", rows, () => benchStartup(ctx));
    if (startup) rows.push(...startup.rows);
    rows.push(...(await section("child processes", rows, () => benchChildCounts(ctx)) ?? []));
    rows.push(
      ...(await section("refresh under concurrency", rows, () => benchRefreshConcurrency(ctx)) ??
        []),
    );
    if (startup) {
      rows.push(
        ...(await section("login wall time", rows, () => benchLoginTime(ctx, startup.helloMs)) ??
          []),
      );
    }
  } catch (e) {
    rows.push({
      metric: "bench set-up",
      value: "error",
      target: "-",
      verdict: "fail",
      note: e instanceof Error ? e.message : String(e),
    });
  } finally {
    await mock.close();
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
  const table = renderTable(rows);
  const summary = summaryLine(rows);
  write(Deno.stdout, `\n${table}\n${summary}\n`);
  if (args.write) {
    const doc = benchDoc(await machineInfo(new Date()), table, summary, args);
    await Deno.writeTextFile(`${paths.repo}/docs/bench.md`, doc);
    progress("wrote docs/bench.md");
  }
  return failedRows(rows).length > 0 ? 1 : 0;
}

async function main(argv: readonly string[]): Promise<number> {
  let args;
  try {
    args = parseArgs(argv);
  } catch (e) {
    write(Deno.stderr, `Error: ${e instanceof Error ? e.message : e}\n\n${USAGE}`);
    return 2;
  }
  if (args === "help") {
    write(Deno.stdout, USAGE);
    return 0;
  }
  const inside = Deno.env.get(INSIDE_SECRET_SERVICE) === "1";
  if (!inside) {
    const wrapper = repoPaths().secretServiceWrapper;
    const exists = await Deno.stat(wrapper).then(() => true, () => false);
    if (exists) {
      const code = await rerunInSecretService(wrapper);
      if (code !== undefined) return code;
    }
    write(Deno.stderr, "bench: no throwaway Secret Service: the keychain rows are skipped\n");
  }
  const secretService = inside && Deno.env.get("DBUS_SESSION_BUS_ADDRESS") !== undefined &&
    await findOnPath("secret-tool", Deno.env.get("PATH") ?? "") !== undefined;
  return await bench(args, secretService);
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);
