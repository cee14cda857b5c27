/**
 * The secret audit (SPEC §6.3 first rule, §2 "no command but auth token prints an access
 * token"; ref §12 item 15): a scenario (login → status → list → api → refresh → token →
 * logout) runs as real `pup` processes under `strace -f -v -e trace=execve`, so every
 * descendant's argv and environment is recorded (the browser, `keyctl`; the OS stores are
 * reached in-process through their libraries, so on them no store program runs at all, which
 * the audit checks too). After every step the secrets in play are read back from the store (every
 * access and refresh token, the client secret: the mock issues a secret with
 * client_secret_post); none may appear in any argv, any environment, or any command's output,
 * except `pup auth token`'s stdout, which must be exactly the access token.
 *
 * @module
 */

import { FileStore } from "../../lib/storage/file_store.ts";
import type { SiteState } from "../../lib/storage/types.ts";
import { startMockDatadog } from "../mock_datadog.ts";
import { openKeychainStore, standinEnv, withStandin } from "./keychain_store_for.ts";
import { REPO_DIR, runPup } from "./run_pup.ts";

/** The stores the audit runs against. */
export type AuditBackend = "file" | "secret-service" | "macos" | "windows";

/** One place a secret was seen. */
export interface AuditHit {
  backend: AuditBackend;
  step: string;
  /** "argv/env of <program>", "stdout", "stderr". */
  where: string;
  /** Which secret, by kind only (never the value). */
  secret: string;
}

/** What the audit of one backend found. */
export interface AuditFigures {
  backend: AuditBackend;
  steps: number;
  /** execve calls recorded across the scenario. */
  execs: number;
  /** Programs executed (basenames, de-duplicated). */
  programs: string[];
  /** Distinct secrets read back from the store during the scenario. */
  secrets: number;
  hits: AuditHit[];
  /** `pup auth token` printed exactly the stored access token. */
  tokenOutputExact: boolean;
  /** Where argv came from: strace (every descendant), or nowhere when strace is missing. */
  argvSource: "strace" | "none";
  problems: string[];
}

const STEPS: [string, string[]][] = [
  ["login", ["auth", "login", "--scopes", "dashboards_read,monitors_read"]],
  ["status", ["auth", "status"]],
  ["list", ["auth", "list"]],
  ["api", ["api", "/api/v1/validate"]],
  ["refresh", ["auth", "refresh"]],
  ["token", ["auth", "token"]],
  ["logout", ["auth", "logout"]],
];

/** Secrets of a state, labelled by kind for reports. */
function secretsOf(state: SiteState): Map<string, string> {
  const out = new Map<string, string>();
  for (const [org, t] of Object.entries(state.tokens)) {
    if (t.access_token) out.set(t.access_token, `access token of ${org}`);
    if (t.refresh_token) out.set(t.refresh_token, `refresh token of ${org}`);
  }
  if (state.client?.client_secret) out.set(state.client.client_secret, "client secret");
  return out;
}

/**
 * Every form in which `text` may carry a secret: itself, and the decodings of base64-looking
 * runs (UTF-8 and UTF-16LE, e.g. PowerShell's -EncodedCommand).
 */
export function searchable(text: string): string[] {
  const forms = [text];
  for (const run of text.match(/[A-Za-z0-9+/]{24,}={0,2}/g) ?? []) {
    try {
      const bytes = Uint8Array.fromBase64(
        run.length % 4 === 0 ? run : run.slice(0, run.length - (run.length % 4)),
      );
      forms.push(new TextDecoder().decode(bytes), new TextDecoder("utf-16le").decode(bytes));
    } catch { /* not base64 after all */ }
  }
  return forms;
}

/** The execve records of an strace log: program, and the rest of the line (argv and env). */
export function execRecords(log: string): { program: string; line: string }[] {
  return log.split("\n").filter((l) => / execve\(/.test(l)).map((line) => ({
    program: /execve\("([^"]*)"/.exec(line)?.[1] ?? "?",
    line,
  }));
}

/** Whether `strace` can be run here. */
export async function hasStrace(): Promise<boolean> {
  try {
    return (await new Deno.Command("strace", { args: ["-V"], stdout: "null", stderr: "null" })
      .output()).success;
  } catch {
    return false;
  }
}

/**
 * Finds secrets in `text`.
 *
 * @param text what to search
 * @param secrets value → label
 * @returns the labels of the secrets found
 */
export function findSecrets(text: string, secrets: Map<string, string>): string[] {
  const forms = searchable(text);
  const found: string[] = [];
  for (const [value, label] of secrets) {
    if (forms.some((f) => f.includes(value))) found.push(label);
  }
  return found;
}

/**
 * Runs the scenario against one backend.
 *
 * @param backend the store
 * @returns the figures; `hits` and `problems` are empty when nothing leaked
 */
export async function runAudit(backend: AuditBackend): Promise<AuditFigures> {
  const mock = await startMockDatadog({ autoApprove: true, clientAuth: "client_secret_post" });
  const root = await Deno.makeTempDir({ prefix: `pup-audit-${backend}-` });
  const cfg = `${root}/cfg`;
  const site = `audit-${crypto.randomUUID().slice(0, 8)}.datadoghq.com`;
  const standinLog = `${root}/standin-calls.log`;
  const knobs: Record<string, string> = backend === "macos" || backend === "windows"
    ? { ...await standinEnv(backend, `${root}/standin-store.txt`), PUP_STANDIN_LOG: standinLog }
    : {};
  const env: Record<string, string> = {
    PUP_CONFIG_DIR: cfg,
    PUP_MOCK_SERVER: mock.url,
    DD_SITE: site,
    BROWSER: `${REPO_DIR}/scripts/fast_browser.sh`,
    DD_TOKEN_STORAGE: backend === "file" ? "file" : "keychain",
    ...(backend === "file"
      ? {}
      : { PUP_KEYCHAIN_BACKEND: backend === "secret-service" ? "linux" : backend }),
    ...knobs,
  };
  const read = (): Promise<SiteState> =>
    backend === "file"
      ? new FileStore(cfg).read(site)
      : withStandin(knobs, () => openKeychainStore(backend, cfg, knobs).read(site));
  const f: AuditFigures = {
    backend,
    steps: 0,
    execs: 0,
    programs: [],
    secrets: 0,
    hits: [],
    tokenOutputExact: false,
    argvSource: await hasStrace() ? "strace" : "none",
    problems: [],
  };
  const secrets = new Map<string, string>();
  const records: { step: string; program: string; line: string }[] = [];
  const outputs: { step: string; stream: string; text: string }[] = [];
  const programs = new Set<string>();
  try {
    for (const [step, args] of STEPS) {
      const log = `${root}/strace-${step}.log`;
      const strace = f.argvSource === "strace" ? log : undefined;
      const run = await runPup(args, { env, straceLog: strace, timeoutMs: 60_000 });
      f.steps++;
      if (run.code !== 0) f.problems.push(`${step} exited ${run.code}: ${run.stderr.slice(-300)}`);
      const found = strace ? execRecords(await Deno.readTextFile(log)) : [];
      for (const r of found) {
        records.push({ step, ...r });
        programs.add(r.program.split("/").at(-1)!);
      }
      for (const [k, v] of secretsOf(await read())) secrets.set(k, v);
      if (step === "token") {
        const stored = (await read()).tokens.__default__?.access_token;
        f.tokenOutputExact = stored !== undefined && run.stdout === `${stored}\n`;
        if (!f.tokenOutputExact) {
          f.problems.push("'pup auth token' did not print exactly the access token");
        }
        outputs.push({ step, stream: "stderr", text: run.stderr });
      } else {
        outputs.push({ step, stream: "stdout", text: run.stdout }, {
          step,
          stream: "stderr",
          text: run.stderr,
        });
      }
    }
    const left = await read();
    if (Object.keys(left.tokens).length > 0) f.problems.push("logout left tokens in the store");
    const calls = await Deno.readTextFile(standinLog).catch(() => "");
    for (const bad of calls.split("\n").filter((l) => /^(UNEXPECTED|LEAK)/.test(l))) {
      f.problems.push(`the stand-in library saw: ${bad}`);
    }
  } finally {
    await mock.close();
    if (backend === "secret-service") {
      await openKeychainStore("secret-service", cfg, {}).update(
        site,
        () => ({ tokens: {}, client: null }),
      )
        .catch(() => {});
    }
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
  if (secrets.size < 5) {
    f.problems.push(`only ${secrets.size} secrets were read back: the audit would prove little`);
  }
  for (const r of records) {
    for (const label of findSecrets(r.line, secrets)) {
      f.hits.push({ backend, step: r.step, where: `argv/env of ${r.program}`, secret: label });
    }
  }
  for (const o of outputs) {
    for (const label of findSecrets(o.text, secrets)) {
      f.hits.push({ backend, step: o.step, where: o.stream, secret: label });
    }
  }
  f.execs = records.length;
  f.programs = [...programs].sort();
  f.secrets = secrets.size;
  return f;
}
