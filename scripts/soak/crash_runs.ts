/**
 * The crash experiment: a writer process (tests/_fakes/_crash_writer.ts) is SIGKILLed at a
 * seeded random moment while it writes a new generation of tokens, client credentials and
 * `sessions.json`; every store must then hold the old generation or the new one, whole.
 * Shared by the test suite (short form) and `deno task soak` (long form).
 *
 * @module
 */

import { FileStore } from "../../lib/storage/file_store.ts";
import { SessionsRegistry } from "../../lib/storage/sessions.ts";
import {
  classifyClient,
  classifySessions,
  classifyTokens,
  CRASH_SITE,
  rowsFor,
  stateFor,
  type Verdict,
} from "./crash_payload.ts";
import { mulberry32 } from "./prng.ts";

/** Counts of each verdict for one store. */
export type VerdictCounts = Record<Verdict, number>;

/** What a crash experiment found. */
export interface CrashFigures {
  seed: number;
  runs: number;
  /** Runs where the kill landed before the writer finished. */
  killed: number;
  /** When an uninterrupted write had replaced its last file (ms after "go"), as calibrated. */
  writeMs: number;
  stores: Record<string, VerdictCounts>;
  /** Runs whose kill landed between two files' renames (some files old, others new). */
  between: number;
  /** Temp files a killed writer left (harmless: readers ignore them). */
  leftoverTemps: number;
  /** One line per store that was not old or new after a run, with the run's replay data. */
  failures: string[];
}

/** Options of {@link runFileCrashRuns}. */
export interface CrashOptions {
  runs: number;
  seed: number;
  /** Sessions per generation (default 12, about 12 KB of tokens). */
  orgs?: number;
  /** `naive`: the negative control, a Rust-style truncate-and-write writer. */
  writer?: "file" | "naive";
}

const WRITER = new URL("../../tests/_fakes/_crash_writer.ts", import.meta.url).pathname;
const CONFIG = new URL("../../deno.json", import.meta.url).pathname;

function emptyCounts(): VerdictCounts {
  return { old: 0, new: 0, mixed: 0, empty: 0, unparsable: 0, missing: 0 };
}

async function readOrUndefined(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
}

/** A started writer, waiting for its go line. */
interface Writer {
  child: Deno.ChildProcess;
  go(): Promise<void>;
  /** Resolves with the writer's stdout once it exits. */
  finished: Promise<string>;
}

async function startWriter(
  mode: string,
  dir: string,
  gen: number,
  orgs: number,
  env?: Record<string, string>,
): Promise<Writer> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--no-prompt",
      "--config",
      CONFIG,
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-run",
      WRITER,
      mode,
      dir,
      String(gen),
      String(orgs),
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
    env,
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("ready\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`The crash writer exited before it was ready: ${text}`);
    text += value;
  }
  const finished = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return text;
      text += value;
    }
  })();
  const stdin = child.stdin.getWriter();
  return {
    child,
    finished,
    go: async () => {
      await stdin.write(new TextEncoder().encode("go\n"));
      await stdin.close().catch(() => {});
    },
  };
}

/** Spins rather than sleeps: timers have millisecond granularity, writes take a few. */
function spin(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) { /* wait */ }
}

/**
 * Kills a file-store writer at seeded random moments, `runs` times, and classifies what each
 * of `tokens_<site>.json`, `client_<site>.json` and `sessions.json` holds afterwards. Between
 * runs the harness rewrites all three in-process, which also proves that a killed writer
 * leaves no lock behind.
 *
 * @param opts run count, seed and session count
 * @returns the figures; `failures` is empty when every run left old or new values
 */
export async function runFileCrashRuns(opts: CrashOptions): Promise<CrashFigures> {
  const orgs = opts.orgs ?? 12;
  const rng = mulberry32(opts.seed);
  const dir = await Deno.makeTempDir({ prefix: "pup-crash-" });
  const store = new FileStore(dir);
  const registry = new SessionsRegistry(dir);
  const paths = {
    tokens: store.tokensPath(CRASH_SITE),
    client: store.clientPath(CRASH_SITE),
    sessions: registry.path,
  };
  const figures: CrashFigures = {
    seed: opts.seed,
    runs: opts.runs,
    killed: 0,
    writeMs: 0,
    stores: { tokens: emptyCounts(), client: emptyCounts(), sessions: emptyCounts() },
    between: 0,
    leftoverTemps: 0,
    failures: [],
  };
  const seedGen = async (gen: number) => {
    await store.update(CRASH_SITE, () => stateFor(gen, orgs));
    await registry.update(() => rowsFor(gen, orgs));
  };
  try {
    await seedGen(0);
    // Calibrate where the kills go: watch, from here, when each file is replaced (its inode
    // changes at the rename) during uninterrupted writes, and aim at the span from well before
    // the first rename to just after the last. Median of three calibrations.
    const mode = opts.writer ?? "file";
    const inode = (p: string) => {
      try {
        return Deno.lstatSync(p).ino;
      } catch {
        return null;
      }
    };
    const firsts: number[] = [];
    const lasts: number[] = [];
    for (let gen = 1; gen <= 3; gen++) {
      await seedGen(0);
      const before = Object.values(paths).map(inode);
      const calib = await startWriter(mode, dir, gen, orgs);
      const t0 = performance.now();
      await calib.go();
      const seen: number[] = [];
      const changed = new Set<number>();
      // The naive writer never renames: its files change size instead; any change counts.
      const sizes = Object.values(paths).map((p) => Deno.lstatSync(p).size);
      while (changed.size < 3 && performance.now() - t0 < 5_000) {
        Object.values(paths).forEach((p, i) => {
          if (changed.has(i)) return;
          let size = -1;
          try {
            size = Deno.lstatSync(p).size;
          } catch { /* mid-rename */ }
          if (inode(p) !== before[i] || size !== sizes[i]) {
            changed.add(i);
            seen.push(performance.now() - t0);
          }
        });
      }
      await calib.child.status;
      await calib.finished;
      firsts.push(Math.min(...seen));
      lasts.push(Math.max(...seen));
    }
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[1];
    const first = median(firsts);
    const last = median(lasts);
    figures.writeMs = last;
    const lo = first * 0.5;
    const hi = last + Math.max(1, (last - first) * 0.5);
    await seedGen(1);
    let old = 1;
    for (let run = 0; run < opts.runs; run++) {
      const delay = lo + rng() * (hi - lo);
      const writer = await startWriter(mode, dir, old + 1, orgs);
      await writer.go();
      spin(delay);
      try {
        writer.child.kill("SIGKILL");
      } catch { /* it had already finished */ }
      const status = await writer.child.status;
      await writer.finished;
      if (status.signal === "SIGKILL") figures.killed++;
      const verdicts: Record<string, Verdict> = {
        tokens: classifyTokens(await readOrUndefined(paths.tokens), paths.tokens, orgs, old),
        client: classifyClient(await readOrUndefined(paths.client), paths.client, old),
        sessions: classifySessions(
          await readOrUndefined(paths.sessions),
          paths.sessions,
          orgs,
          old,
        ),
      };
      const kinds = new Set(Object.values(verdicts));
      if (kinds.has("old") && kinds.has("new")) figures.between++;
      let broken = false;
      for (const [name, verdict] of Object.entries(verdicts)) {
        figures.stores[name][verdict]++;
        if (verdict !== "old" && verdict !== "new") {
          broken = true;
          figures.failures.push(
            `run ${run} (seed ${opts.seed}, kill after ${
              delay.toFixed(2)
            } ms): ${name} is ${verdict}`,
          );
        }
      }
      old += 2;
      // pup refuses to overwrite what it cannot parse, so a broken run is reset by hand.
      if (broken) { for (const p of Object.values(paths)) await Deno.remove(p).catch(() => {}); }
      await seedGen(old);
    }
    for await (const entry of Deno.readDir(dir)) {
      if (/\.tmp-/.test(entry.name)) figures.leftoverTemps++;
    }
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
  return figures;
}
