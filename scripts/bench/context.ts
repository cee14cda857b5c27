/**
 * What every bench scenario shares (paths, environment, scratch dir, mock, Secret Service
 * availability), and the set-up steps they have in common: a login through the auto-approving
 * browser stand-in, and making a stored session look expired.
 *
 * @module
 */

import type { MockDatadog } from "../mock_datadog.ts";
import { FileStore } from "../../lib/storage/file_store.ts";
import { DEFAULT_ORG_KEY } from "../../lib/storage/types.ts";
import { describeFailure, type RepoPaths, runPup, type TimedResult } from "./pup_process.ts";

/** The site every bench session lives on (the default one; the mock stands in for its hosts). */
export const BENCH_SITE = "datadoghq.com";

/** Limits that keep a hung child from hanging the bench. */
export const LIMITS = { commandMs: 30_000, loginMs: 60_000, concurrentMs: 180_000 } as const;

/** Shared by the scenarios. */
export interface BenchContext {
  paths: RepoPaths;
  /** The environment every child starts from (see `childEnv`). */
  env: Record<string, string>;
  /** A scratch dir removed when the bench ends. */
  tmp: string;
  /** An auto-approving mock without delays. */
  mock: MockDatadog;
  /**
   * Sessions logged in at `mock`, valid for an hour: the file store first, then the secure
   * stores that could be set up (the Secret Service inside `with_secret_service.sh`, the macOS
   * and Windows backends against their stand-in libraries in tests/_fakes/native/).
   */
  sessions: Session[];
  runs: number;
  warmups: number;
  /** Progress on stderr. */
  progress(text: string): void;
}

/** A token store pup can be pointed at, and the environment that selects it. */
export interface Backend {
  id: "file" | "secret-service" | "macos-standin" | "windows-standin";
  /** For the table, e.g. "keychain: Secret Service". */
  label: string;
  env: Record<string, string>;
}

/** A stored session: its backend and config dir. */
export interface Session {
  backend: Backend;
  dir: string;
}

/** The JSON-file store. */
export const FILE_BACKEND: Backend = {
  id: "file",
  label: "file store",
  env: { DD_TOKEN_STORAGE: "file" },
};

/** The Linux Secret Service backend, over the session D-Bus. */
export const SECRET_SERVICE_BACKEND: Backend = {
  id: "secret-service",
  label: "keychain: Secret Service",
  env: { DD_TOKEN_STORAGE: "keychain", PUP_KEYCHAIN_BACKEND: "linux" },
};

/**
 * The macOS and Windows backends, each running its own FFI code against its stand-in library
 * (built from tests/_fakes/native/ with cc), with the stand-in's store in the scratch dir.
 *
 * @param ctx the bench context
 * @returns the two backends
 */
export async function standinBackends(ctx: BenchContext): Promise<Backend[]> {
  const { standinLibrary } = await import("../../tests/_fakes/native/standin.ts");
  const security = await standinLibrary("security_framework");
  const advapi32 = await standinLibrary("advapi32");
  return [
    {
      id: "macos-standin",
      label: "keychain: macOS (Security.framework stand-in)",
      env: {
        DD_TOKEN_STORAGE: "keychain",
        PUP_KEYCHAIN_BACKEND: "macos",
        PUP_SECURITY_FRAMEWORK_LIB: security,
        PUP_STANDIN_STORE: `${ctx.tmp}/security-standin.txt`,
      },
    },
    {
      id: "windows-standin",
      label: "keychain: Windows (advapi32 stand-in)",
      env: {
        DD_TOKEN_STORAGE: "keychain",
        PUP_KEYCHAIN_BACKEND: "windows",
        PUP_ADVAPI32_LIB: advapi32,
        PUP_KERNEL32_LIB: advapi32,
        PUP_STANDIN_STORE: `${ctx.tmp}/advapi32-standin.txt`,
      },
    },
  ];
}

/**
 * The environment of a pup run against a mock with one config dir and one backend.
 *
 * @param ctx the bench context
 * @param configDir `PUP_CONFIG_DIR`
 * @param backend where tokens are stored
 * @param mockUrl the mock to use (the context's by default)
 * @returns the child environment
 */
export function pupEnv(
  ctx: BenchContext,
  configDir: string,
  backend: Backend,
  mockUrl = ctx.mock.url,
): Record<string, string> {
  return {
    ...ctx.env,
    ...backend.env,
    PUP_CONFIG_DIR: configDir,
    PUP_MOCK_SERVER: mockUrl,
    BROWSER: ctx.paths.fastBrowser,
  };
}

/**
 * Makes a fresh config dir under the scratch dir.
 *
 * @param ctx the bench context
 * @param name a label for the dir
 * @returns its path
 */
export async function freshConfigDir(ctx: BenchContext, name: string): Promise<string> {
  return await Deno.makeTempDir({ dir: ctx.tmp, prefix: `${name}-` });
}

/**
 * Logs in with `pup auth login` through the auto-approving stand-in.
 *
 * @param ctx the bench context
 * @param env from {@link pupEnv}
 * @returns the run's result
 * @throws {Error} when the login fails, with pup's `Error:` line
 */
export async function login(
  ctx: BenchContext,
  env: Record<string, string>,
): Promise<TimedResult> {
  const r = await runPup(ctx.paths, ["auth", "login"], { env, timeoutMs: LIMITS.loginMs });
  if (r.code !== 0 || r.timedOut) throw new Error(describeFailure("pup auth login", r));
  return r;
}

/**
 * Moves a file-stored session's issue time two hours back, so pup sees its access token as
 * expired while the mock still knows the refresh token.
 *
 * @param configDir the config dir of a file-store session on {@link BENCH_SITE}
 * @returns the access token that was stored
 * @throws {Error} when there is no default session
 */
export async function expireStoredSession(configDir: string): Promise<string> {
  let before: string | undefined;
  await new FileStore(configDir).update(BENCH_SITE, (state) => {
    const t = state.tokens[DEFAULT_ORG_KEY];
    if (t === undefined) return state;
    before = t.access_token;
    t.issued_at -= 7200;
    t.expires_at = new Date((t.issued_at + t.expires_in) * 1000).toISOString()
      .replace(/\.\d{3}Z$/, "Z");
    return state;
  });
  if (before === undefined) throw new Error(`No default session stored in "${configDir}"`);
  return before;
}

/**
 * The access token stored for the default session, if any.
 *
 * @param configDir the config dir of a file-store session on {@link BENCH_SITE}
 * @returns the token, or `undefined` when the session is gone
 */
export async function storedAccessToken(configDir: string): Promise<string | undefined> {
  const state = await new FileStore(configDir).read(BENCH_SITE);
  return state.tokens[DEFAULT_ORG_KEY]?.access_token;
}
