/**
 * Crash experiments on the emulated keychains (SPEC §6.3 multi-record writes; ref §12 item 5):
 * a writer updates a site through `KeychainStore` while the emulator kills itself after `N`
 * record writes (a power cut between two CredWrite calls), or the writer's whole process group
 * is SIGKILLed at a random moment. Afterwards a fresh store must read the old value or the new
 * one, whole, and the failed call must have said which tool failed.
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
import { type KeychainKind, openKeychainStore } from "./keychain_store_for.ts";
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
  /** Runs where the writer's call failed, and how many of those errors named the tool. */
  failedCalls: number;
  errorsNamingTool: number;
  /** One line per run that was not old or new, or whose error did not name the tool. */
  failures: string[];
}

/** Options of {@link runKeychainCrashRuns}. */
export interface KeychainCrashOptions {
  kind: "windows" | "macos";
  /** Random runs after the sweep (half emulator deaths, half process-group kills). */
  runs: number;
  seed: number;
  /** Sessions per generation (default 3 for Windows, about 3.4 KB in 4 chunks; 2 for macOS). */
  orgs?: number;
}

const WRITER = `${REPO_DIR}/tests/_fakes/_crash_writer.ts`;

function counts(): VerdictCounts {
  return { old: 0, new: 0, mixed: 0, empty: 0, unparsable: 0, missing: 0 };
}

function knobs(kind: "windows" | "macos", vault: string): Record<string, string> {
  return kind === "windows" ? { FAKE_PS_VAULT: vault } : { FAKE_SECURITY_VAULT: vault };
}

const DIE = { windows: "FAKE_PS_DIE_AFTER_WRITES", macos: "FAKE_SECURITY_DIE_AFTER_WRITES" };
const TOOL = { windows: "fake_powershell", macos: "fake_security" };

/** Runs one writer; resolves with its output once it is done or killed. */
async function runWriter(
  kind: "windows" | "macos",
  dir: string,
  gen: number,
  orgs: number,
  env: Record<string, string>,
  killAfterMs?: number,
): Promise<string> {
  // setsid: the writer leads its own process group, so a kill takes the emulator down with it.
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
  vault: string,
  old: number,
  orgs: number,
) {
  const store = openKeychainStore(kind, dir, knobs(kind, vault));
  try {
    const state = await store.read(CRASH_SITE);
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
  const vault = `${dir}/vault.json`;
  const env = knobs(kind, vault);
  const f: KeychainCrashFigures = {
    kind,
    seed: opts.seed,
    runs: 0,
    writesPerUpdate: 0,
    tokens: counts(),
    client: counts(),
    failedCalls: 0,
    errorsNamingTool: 0,
    failures: [],
  };
  const reset = (gen: number) =>
    openKeychainStore(kind, dir, env).update(CRASH_SITE, () => stateFor(gen, orgs));
  try {
    await reset(0);
    let old = 0;
    const step = async (label: string, extra: Record<string, string>, killMs?: number) => {
      const out = await runWriter(kind, dir, old + 1, orgs, { ...env, ...extra }, killMs);
      const error = /^error (.*)$/m.exec(out)?.[1];
      if (error !== undefined) {
        f.failedCalls++;
        if (error.includes(TOOL[kind])) f.errorsNamingTool++;
        else f.failures.push(`${label}: the failed call did not name the tool: ${error}`);
      }
      const v = await classify(kind, dir, vault, old, orgs);
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
    // The sweep: the emulator dies after 0, 1, 2, ... record writes until one update completes.
    for (let n = 0; n < 64; n++) {
      // Dying "after N writes" when the update makes exactly N still fails the call: the
      // emulator is killed before it answers. The first N that completes is one past the last.
      if (await step(`dies after ${n} writes`, { [DIE[kind]]: String(n) })) {
        f.writesPerUpdate = n - 1;
        break;
      }
    }
    for (let i = 0; i < opts.runs; i++) {
      if (rng() < 0.5) {
        const n = Math.floor(rng() * (f.writesPerUpdate + 2));
        await step(`random run ${i}: dies after ${n} writes`, { [DIE[kind]]: String(n) });
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
