/**
 * Crash experiments on the macOS and Windows backends through their stand-in libraries (SPEC
 * §6.3 multi-record writes; ref §12 item 5): a writer updates a site through `KeychainStore`
 * while the stand-in aborts the process at the start of, or right after, its `N`-th write call
 * (a crash between two CredWriteW calls), or the writer's whole process group is SIGKILLed at a
 * random moment. Afterwards a fresh store must read the old value or the new one, whole.
 *
 * @module
 */

import { StorageCorruptError } from "../../lib/errors.ts";
import {
  classifyClient,
  classifyTokens,
  CRASH_SITE,
  stateFor,
  type Verdict,
} from "./crash_payload.ts";
import type { VerdictCounts } from "./crash_runs.ts";
import {
  type KeychainKind,
  openKeychainStore,
  standinEnv,
  withStandin,
} from "./keychain_store_for.ts";
import { mulberry32 } from "./prng.ts";
import { REPO_DIR } from "./run_pup.ts";

/** What a keychain crash experiment found. */
export interface KeychainCrashFigures {
  kind: KeychainKind;
  seed: number;
  runs: number;
  /** Record writes one uninterrupted update makes (the sweep covers 0..this). */
  writesPerUpdate: number;
  tokens: VerdictCounts;
  client: VerdictCounts;
  /** Runs the writer did not finish (killed or aborted), so the crash hit a write. */
  interrupted: number;
  /** One line per run that was not old or new. */
  failures: string[];
}

/** Options of {@link runKeychainCrashRuns}. */
export interface KeychainCrashOptions {
  kind: "windows" | "macos";
  /** Random runs after the sweep (half stand-in aborts, half process-group kills). */
  runs: number;
  seed: number;
  /** Sessions per generation (default 3 for Windows, about 3.4 KB in 4 chunks; 2 for macOS). */
  orgs?: number;
}

const WRITER = `${REPO_DIR}/tests/_fakes/_crash_writer.ts`;

function counts(): VerdictCounts {
  return { old: 0, new: 0, mixed: 0, empty: 0, unparsable: 0, missing: 0 };
}

/**
 * The stand-in's abort knob for "the process dies after `n` write calls": at the start of the
 * first for 0, else right after the `n`-th is committed.
 */
function dieAfter(n: number): Record<string, string> {
  return n === 0 ? { PUP_STANDIN_ABORT_AT: "1" } : { PUP_STANDIN_ABORT_AFTER: String(n) };
}

/** Runs one writer; resolves with its output once it is done or killed. */
async function runWriter(
  kind: "windows" | "macos",
  dir: string,
  gen: number,
  orgs: number,
  env: Record<string, string>,
  killAfterMs?: number,
): Promise<string> {
  // setsid: the writer leads its own process group, so a kill takes all of it down.
  const child = new Deno.Command("setsid", {
    args: [
      Deno.execPath(),
      "run",
      "--quiet",
      "--no-prompt",
      "--config",
      `${REPO_DIR}/deno.json`,
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-run",
      "--allow-ffi",
      WRITER,
      kind,
      dir,
      String(gen),
      String(orgs),
    ],
    cwd: REPO_DIR,
    env,
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("ready\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode("go\n")).catch(() => {});
  await w.close().catch(() => {});
  let timer: ReturnType<typeof setTimeout> | undefined;
  if (killAfterMs !== undefined) {
    timer = setTimeout(() => {
      try {
        Deno.kill(-child.pid, "SIGKILL");
      } catch { /* already gone */ }
    }, killAfterMs);
  }
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  clearTimeout(timer);
  await child.status;
  return text;
}

async function classify(
  kind: "windows" | "macos",
  dir: string,
  env: Record<string, string>,
  old: number,
  orgs: number,
) {
  const store = openKeychainStore(kind, dir, env);
  try {
    const state = await withStandin(env, () => store.read(CRASH_SITE));
    if (Object.keys(state.tokens).length === 0 && state.client === null) {
      return { tokens: "missing" as Verdict, client: "missing" as Verdict };
    }
    return {
      tokens: classifyTokens(JSON.stringify(state.tokens), "keychain", orgs, old),
      client: classifyClient(
        state.client ? JSON.stringify(state.client) : undefined,
        "keychain",
        old,
      ),
    };
  } catch (e) {
    if (e instanceof StorageCorruptError) {
      return { tokens: "unparsable" as Verdict, client: "unparsable" as Verdict };
    }
    throw e;
  }
}

/**
 * Sweeps every write point of one update, then runs `runs` seeded random interruptions.
 *
 * @param opts backend, random run count, seed, sessions per generation
 * @returns the figures; `failures` is empty when every run left old or new values
 */
export async function runKeychainCrashRuns(
  opts: KeychainCrashOptions,
): Promise<KeychainCrashFigures> {
  const kind = opts.kind;
  const orgs = opts.orgs ?? (kind === "windows" ? 3 : 2);
  const rng = mulberry32(opts.seed);
  const dir = await Deno.makeTempDir({ prefix: `pup-kcrash-${kind}-` });
  const env = await standinEnv(kind, `${dir}/standin-store.txt`);
  const f: KeychainCrashFigures = {
    kind,
    seed: opts.seed,
    runs: 0,
    writesPerUpdate: 0,
    tokens: counts(),
    client: counts(),
    interrupted: 0,
    failures: [],
  };
  const reset = (gen: number) =>
    withStandin(
      env,
      () => openKeychainStore(kind, dir, env).update(CRASH_SITE, () => stateFor(gen, orgs)),
    );
  try {
    await reset(0);
    let old = 0;
    const step = async (label: string, extra: Record<string, string>, killMs?: number) => {
      const out = await runWriter(kind, dir, old + 1, orgs, { ...env, ...extra }, killMs);
      const error = /^error (.*)$/m.exec(out)?.[1];
      if (error !== undefined) f.failures.push(`${label}: the write failed instead: ${error}`);
      if (!out.includes("done ")) f.interrupted++;
      const v = await classify(kind, dir, env, old, orgs);
      f.tokens[v.tokens]++;
      f.client[v.client]++;
      for (const [name, verdict] of Object.entries(v)) {
        if (verdict !== "old" && verdict !== "new") {
          f.failures.push(`${label} (seed ${opts.seed}): ${name} is ${verdict}`);
        }
      }
      f.runs++;
      old += 2;
      await reset(old);
      return out.includes("done ");
    };
    // The sweep: the process dies after 0, 1, 2, ... write calls until one update completes.
    for (let n = 0; n < 200; n++) {
      // Dying right after the last write call still ends the process before it says "done":
      // the first N that completes is one past the last write.
      if (await step(`dies after ${n} writes`, dieAfter(n))) {
        f.writesPerUpdate = n - 1;
        break;
      }
    }
    for (let i = 0; i < opts.runs; i++) {
      if (rng() < 0.5) {
        const n = Math.floor(rng() * (f.writesPerUpdate + 2));
        await step(`random run ${i}: dies after ${n} writes`, dieAfter(n));
      } else {
        const ms = 40 + rng() * 400;
        await step(`random run ${i}: process group killed after ${ms.toFixed(0)} ms`, {}, ms);
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
  return f;
}
