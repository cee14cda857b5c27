/**
 * Runs one corrupt-store case (`corrupt_cases.ts`, `keychain_cases.ts`) through the real CLI:
 * `pup auth status`, `pup auth list` and `pup auth logout` must each exit 1 with an
 * `Error: ...` naming the broken store, within a time limit, and leave every byte as it was.
 *
 * @module
 */

import { type CaseContext, CORPUS_SECRETS, type CorruptCase } from "./corrupt_cases.ts";
import { runPup } from "./run_pup.ts";

/** The commands every case runs. */
export const CORPUS_COMMANDS: readonly (readonly string[])[] = [
  ["auth", "status"],
  ["auth", "list"],
  ["auth", "logout"],
];

/** One command's outcome. */
export interface CommandOutcome {
  args: string;
  code: number;
  timedOut: boolean;
  /** The first stderr line. */
  error: string;
}

/** One case's outcome; `problems` is empty when it passed. */
export interface CaseOutcome {
  name: string;
  backend: string;
  skipped?: string;
  commands: CommandOutcome[];
  problems: string[];
}

/** Options of {@link runCorruptCase}. */
export interface CorruptRunOptions {
  /** `PUP_MOCK_SERVER`: logout may revoke; it must only ever reach loopback. */
  mockUrl: string;
  /** A Deno cache nobody can read, for `asNobody` cases; they are skipped without it. */
  nobodyDenoDir?: string;
  /** Per-command limit (default 10 s): a hang is a failure, not a stuck suite. */
  timeoutMs?: number;
}

async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)).toHex();
}

/**
 * Describes every entry under `dir` (not following links, never opening special files), so two
 * snapshots are equal exactly when nothing was written, replaced, re-moded or re-owned.
 * `locks/` is left out: taking a lock may create it.
 *
 * @param dir the config dir
 * @returns one line per entry
 */
export async function snapshotDir(
  dir: string,
  skip: (name: string) => boolean = (name) => name === "locks",
): Promise<string[]> {
  const lines: string[] = [];
  const walk = async (path: string, rel: string) => {
    const info = await Deno.lstat(path);
    const kind = info.isSymlink
      ? `link->${await Deno.readLink(path)}`
      : info.isDirectory
      ? "dir"
      : info.isFile
      ? `file ${info.size}`
      : "special";
    let body = "";
    if (info.isFile) body = await sha256(await Deno.readFile(path));
    lines.push(
      `${rel} ${kind} mode=${((info.mode ?? 0) & 0o7777).toString(8)} uid=${info.uid} ${body}`,
    );
    if (info.isDirectory && !info.isSymlink) {
      const names: string[] = [];
      for await (const e of Deno.readDir(path)) names.push(e.name);
      for (const name of names.sort()) {
        if (rel === "." && skip(name)) continue;
        await walk(`${path}/${name}`, rel === "." ? name : `${rel}/${name}`);
      }
    }
  };
  await walk(dir, ".");
  return lines;
}

async function snapshot(c: CorruptCase, ctx: CaseContext): Promise<string[]> {
  const lines = await snapshotDir(ctx.cfg);
  // The emulators take a lock file next to their vault on every call.
  for (const line of await snapshotDir(ctx.vault, (n) => n.endsWith(".lock"))) {
    lines.push(`vault ${line}`);
  }
  if (c.external) lines.push(`external ${await c.external(ctx)}`);
  return lines;
}

/**
 * Prepares the case in a fresh temp dir, runs the three commands, checks them, cleans up.
 *
 * @param c the case
 * @param opts mock URL, nobody's Deno cache, time limit
 * @returns what each command did and every problem found
 */
export async function runCorruptCase(
  c: CorruptCase,
  opts: CorruptRunOptions,
): Promise<CaseOutcome> {
  const outcome: CaseOutcome = { name: c.name, backend: c.backend, commands: [], problems: [] };
  const why = await c.unavailable?.();
  if (why) return { ...outcome, skipped: why };
  if (c.asNobody && (Deno.uid() !== 0 || !opts.nobodyDenoDir)) {
    return { ...outcome, skipped: "needs root and a Deno cache nobody can read" };
  }
  const root = await Deno.makeTempDir({ prefix: "pup-corrupt-" });
  const ctx: CaseContext = {
    root,
    cfg: `${root}/cfg`,
    vault: `${root}/vault`,
    site: c.backend === "file"
      ? "datadoghq.com"
      : `faults-${crypto.randomUUID().slice(0, 8)}.datadoghq.com`,
    env: {},
  };
  try {
    await Deno.mkdir(ctx.cfg, { mode: 0o700 });
    await Deno.mkdir(ctx.vault, { mode: 0o700 });
    const env: Record<string, string> = {
      PUP_CONFIG_DIR: ctx.cfg,
      DD_TOKEN_STORAGE: c.backend === "file" ? "file" : "keychain",
      PUP_MOCK_SERVER: opts.mockUrl,
    };
    if (c.backend !== "file") env.DD_SITE = ctx.site;
    if (c.asNobody) {
      await Deno.chmod(root, 0o755);
      await Deno.mkdir(`${root}/home`);
      await Deno.chown(`${root}/home`, 65534, 65534);
      env.HOME = `${root}/home`;
      env.DENO_DIR = opts.nobodyDenoDir!;
    }
    await c.setup(ctx);
    Object.assign(env, ctx.env);
    const before = await snapshot(c, ctx);
    for (const args of CORPUS_COMMANDS) {
      const run = await runPup(args, {
        env,
        timeoutMs: opts.timeoutMs ?? 10_000,
        asUser: c.asNobody ? 65534 : undefined,
      });
      const error = run.stderr.split("\n").find((l) => l.startsWith("Error: ")) ?? "";
      outcome.commands.push({
        args: args.join(" "),
        code: run.code,
        timedOut: run.timedOut,
        error,
      });
      const label = `pup ${args.join(" ")}`;
      if (run.timedOut) outcome.problems.push(`${label} hung (killed after the time limit)`);
      else if (run.code !== 1) outcome.problems.push(`${label} exited ${run.code}, not 1`);
      if (!run.timedOut && !error.includes(c.names(ctx))) {
        outcome.problems.push(
          `${label}: the error does not name ${c.names(ctx)}: ${
            JSON.stringify(run.stderr.slice(0, 300))
          }`,
        );
      }
      const leaked = leakedFragment(`${run.stdout}\n${run.stderr}`);
      if (leaked) outcome.problems.push(`${label} printed part of a stored secret: "${leaked}"`);
      if (run.stdout.trim() !== "") {
        outcome.problems.push(`${label} printed to stdout: ${run.stdout.slice(0, 200)}`);
      }
      const after = await snapshot(c, ctx);
      const changed = after.filter((l) => !before.includes(l)).concat(
        before.filter((l) => !after.includes(l)),
      );
      if (changed.length > 0) {
        outcome.problems.push(`${label} changed the store: ${changed.join(" | ")}`);
      }
    }
  } catch (e) {
    outcome.problems.push(`harness: ${(e as Error).message}`);
  } finally {
    await c.cleanup?.(ctx).catch(() => {});
    await new Deno.Command("rm", { args: ["-rf", root] }).output().catch(() => {});
  }
  return outcome;
}

/**
 * The first 5-character piece of a corpus secret's random part found in `text` (V8's JSON
 * errors quote ten characters of their input, which may start inside a token).
 *
 * @param text what a command printed
 * @returns the piece, or undefined when there is none
 */
export function leakedFragment(text: string): string | undefined {
  for (const secret of CORPUS_SECRETS) {
    // The "ddat_"/"ddrt_" prefixes are public; only the random part is secret.
    for (let i = 5; i + 5 <= secret.length; i++) {
      if (text.includes(secret.slice(i, i + 5))) return secret.slice(i, i + 5);
    }
  }
  return undefined;
}

/**
 * A copy of this user's Deno cache that uid 65534 owns, so the CLI can run as nobody.
 *
 * @returns the directory (remove it when done), or undefined when not root
 */
export async function makeNobodyDenoDir(): Promise<string | undefined> {
  if (Deno.uid() !== 0) return undefined;
  const info = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdout: "piped",
    stderr: "null",
  }).output();
  const denoDir = JSON.parse(new TextDecoder().decode(info.stdout)).denoDir as string;
  const dir = await Deno.makeTempDir({ prefix: "pup-nobody-deno-" });
  await Deno.chmod(dir, 0o755);
  const cp = await new Deno.Command("cp", { args: ["-a", `${denoDir}/.`, dir] }).output();
  const chown = await new Deno.Command("chown", { args: ["-R", "65534:65534", dir] }).output();
  if (!cp.success || !chown.success) return undefined;
  return dir;
}
