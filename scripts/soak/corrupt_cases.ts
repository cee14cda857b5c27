/**
 * The corrupt-store corpus (SPEC §6.3 "content that cannot be parsed is never overwritten",
 * §8 "hostile input"; ref §12 item 2): broken files, special files, foreign permissions, and
 * broken values in the real Secret Service and the macOS and Windows emulators. Each case
 * prepares one config dir (and store); `corrupt_runner.ts` runs the real CLI against it.
 *
 * @module
 */

import { serializeSessions, type SessionRow } from "../../lib/storage/sessions.ts";
import { serializeTokenMap } from "../../lib/storage/codec.ts";
import { clientFor, stateFor } from "./crash_payload.ts";

/** Where a case lives: `root/cfg` is `PUP_CONFIG_DIR`, `root/vault` holds emulator vaults. */
export interface CaseContext {
  root: string;
  cfg: string;
  vault: string;
  /** The site the case's sessions.json and store use. */
  site: string;
  /** Extra environment for every CLI run of the case. */
  env: Record<string, string>;
}

/** One corpus entry. */
export interface CorruptCase {
  name: string;
  backend: "file" | "secret-service" | "macos" | "windows";
  /** Writes the broken store; may add to `ctx.env`. */
  setup(ctx: CaseContext): Promise<void>;
  /** Text the error must contain: the file path or the entry's name. */
  names(ctx: CaseContext): string;
  /** Run the CLI as nobody (uid 65534): what root cannot show (its reads ignore modes). */
  asNobody?: boolean;
  /** State outside the config dir that must not change (e.g. a Secret Service item). */
  external?(ctx: CaseContext): Promise<string>;
  /** Why the case cannot run here, or undefined when it can. */
  unavailable?(): Promise<string | undefined>;
  /** Removes what the case stored outside its temp dir. */
  cleanup?(ctx: CaseContext): Promise<void>;
}

/** Hands a tree to `uid` (nobody-run cases). */
export async function chownTree(path: string, uid: number): Promise<void> {
  await Deno.chown(path, uid, uid);
  const info = await Deno.lstat(path);
  if (!info.isDirectory) return;
  for await (const e of Deno.readDir(path)) await chownTree(`${path}/${e.name}`, uid);
}

const enc = new TextEncoder();

/**
 * The secrets the corpus stores: no output may show any 5 characters of their random part.
 * Mixed case and letters past "f", so no piece can turn up by chance in a hex temp-dir name.
 */
export const CORPUS_SECRETS: readonly string[] = [
  "ddat_QzK7pWmX2vRtY9sLhN4bJcF8gD3eA6uE",
  "ddrt_Hw5TnG8kVq2ZrM6yPx9LsJ4dBc7NfR3t",
  "ddat_Ym4RkT9wQp6ZnH2vXs8JgL5cMb3KtW7r",
  "ddrt_Vn8PqL3xZw6RkY9mGt2HsJ5bWc4TfK7d",
];

/** A good token map, client and sessions.json for `site` (two sessions: default and "org-0"). */
export function goodFiles(site: string) {
  const state = stateFor(7, 2);
  const orgs = Object.keys(state.tokens);
  orgs.forEach((org, i) => {
    state.tokens[org].access_token = CORPUS_SECRETS[2 * i];
    state.tokens[org].refresh_token = CORPUS_SECRETS[2 * i + 1];
  });
  const rows: SessionRow[] = [{ site, org: null }, { site, org: "org-0" }];
  return {
    tokens: serializeTokenMap(state.tokens),
    client: JSON.stringify({ ...clientFor(7), site }, null, 2),
    sessions: serializeSessions(rows),
    siteData: JSON.stringify({ tokens: state.tokens, client: { ...clientFor(7), site } }),
  };
}

function sanitize(site: string): string {
  return site.replace(/[^\p{Alphabetic}\p{N}]/gu, "_");
}

const tokensPath = (c: CaseContext) => `${c.cfg}/tokens_${sanitize(c.site)}.json`;
const clientPath = (c: CaseContext) => `${c.cfg}/client_${sanitize(c.site)}.json`;
const sessionsPath = (c: CaseContext) => `${c.cfg}/sessions.json`;

async function writeGood(c: CaseContext): Promise<void> {
  const g = goodFiles(c.site);
  await Deno.writeTextFile(tokensPath(c), g.tokens, { mode: 0o600 });
  await Deno.writeTextFile(clientPath(c), g.client, { mode: 0o600 });
  await Deno.writeTextFile(sessionsPath(c), g.sessions, { mode: 0o600 });
}

function mutateTokens(fn: (map: Record<string, Record<string, unknown>>) => unknown) {
  return (c: CaseContext) => {
    const map = JSON.parse(goodFiles(c.site).tokens);
    return JSON.stringify(fn(map) ?? map, null, 2);
  };
}

function mutateClient(fn: (client: Record<string, unknown>) => unknown) {
  return (c: CaseContext) => {
    const client = JSON.parse(goodFiles(c.site).client);
    return JSON.stringify(fn(client) ?? client, null, 2);
  };
}

type Which = "tokens" | "client" | "sessions";
const PATHS: Record<Which, (c: CaseContext) => string> = {
  tokens: tokensPath,
  client: clientPath,
  sessions: sessionsPath,
};

/** A case that replaces one good file by `content` (text or bytes). */
function fileCase(
  which: Which,
  name: string,
  content: (c: CaseContext) => string | Uint8Array,
): CorruptCase {
  return {
    name: `${which} file: ${name}`,
    backend: "file",
    names: PATHS[which],
    async setup(c) {
      await writeGood(c);
      const body = content(c);
      await Deno.writeFile(PATHS[which](c), typeof body === "string" ? enc.encode(body) : body);
    },
  };
}

/** A case that replaces one good file by something that is not a regular file. */
function specialCase(which: Which, name: string, make: (path: string) => Promise<void>) {
  return {
    name: `${which} file: ${name}`,
    backend: "file",
    names: PATHS[which],
    async setup(c: CaseContext) {
      await writeGood(c);
      await Deno.remove(PATHS[which](c));
      await make(PATHS[which](c));
    },
  } satisfies CorruptCase;
}

async function sh(cmd: string, ...args: string[]): Promise<void> {
  const out = await new Deno.Command(cmd, { args, stderr: "piped", stdout: "null" }).output();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
}

const binary = new Uint8Array(512).map((_, i) => (i * 131 + 7) % 256);

/** The file-store cases. */
export const FILE_CASES: CorruptCase[] = [
  fileCase("tokens", "truncated in the middle", (c) => {
    const t = goodFiles(c.site).tokens;
    return t.slice(0, Math.floor(t.length / 2));
  }),
  fileCase("tokens", "empty (0 bytes)", () => ""),
  fileCase("tokens", "whitespace only", () => "  \n\t\n"),
  fileCase(
    "tokens",
    "expires_in is a string",
    mutateTokens((m) => void (m.__default__.expires_in = "3600")),
  ),
  fileCase(
    "tokens",
    "expires_in is a fraction",
    mutateTokens((m) => void (m.__default__.expires_in = 3600.5)),
  ),
  fileCase("tokens", "scope is null", mutateTokens((m) => void (m.__default__.scope = null))),
  fileCase(
    "tokens",
    "one bad session among good ones",
    mutateTokens((m) => void (m["org-0"].access_token = 42)),
  ),
  fileCase("tokens", "a JSON array", () => "[1, 2, 3]"),
  fileCase("tokens", "a lost quote leaves a token bare", (c) => {
    const t = goodFiles(c.site).tokens;
    return t.replace(`"${CORPUS_SECRETS[0]}"`, CORPUS_SECRETS[0]);
  }),
  fileCase("tokens", "legacy bare token set with issued_at null", (c) => {
    const t = JSON.parse(goodFiles(c.site).tokens).__default__;
    return JSON.stringify({ ...t, issued_at: null });
  }),
  fileCase("tokens", "binary bytes (NUL, invalid UTF-8)", () => binary),
  fileCase(
    "tokens",
    "2 MiB (over the 1 MiB limit)",
    (c) => " ".repeat(2 * 1024 * 1024) + goodFiles(c.site).tokens,
  ),
  specialCase("tokens", "a symbolic link to a good file", async (p) => {
    await Deno.writeTextFile(`${p}.real`, goodFiles("datadoghq.com").tokens);
    await Deno.symlink(`${p}.real`, p);
  }),
  specialCase("tokens", "a directory", (p) => Deno.mkdir(p)),
  specialCase("tokens", "a FIFO (a read would block forever)", (p) => sh("mkfifo", p)),
  specialCase(
    "tokens",
    "a character device like /dev/zero (endless)",
    (p) => sh("mknod", p, "c", "1", "5"),
  ),
  {
    name: "tokens file: mode 000 (run as nobody; root reads any mode)",
    backend: "file",
    names: tokensPath,
    asNobody: true,
    async setup(c) {
      await writeGood(c);
      await chownTree(c.cfg, 65534);
      await Deno.chmod(tokensPath(c), 0o000);
    },
  },
  {
    name: "tokens file: owned by root, 0600 (run as nobody)",
    backend: "file",
    names: tokensPath,
    asNobody: true,
    async setup(c) {
      await writeGood(c);
      await chownTree(c.cfg, 65534);
      await Deno.chown(tokensPath(c), 0, 0);
    },
  },
  fileCase("client", "truncated in the middle", (c) => goodFiles(c.site).client.slice(0, 60)),
  fileCase("client", "no client_id", mutateClient((o) => void delete o.client_id)),
  fileCase(
    "client",
    "redirect_uris is a string",
    mutateClient((o) => void (o.redirect_uris = "http://x")),
  ),
  fileCase(
    "client",
    "registered_at is a string",
    mutateClient((o) => void (o.registered_at = "yesterday")),
  ),
  fileCase(
    "client",
    "unknown token_endpoint_auth_method",
    mutateClient((o) => void (o.token_endpoint_auth_method = "private_key_jwt")),
  ),
  fileCase("sessions", "an object, not an array", () => '{"site": "datadoghq.com"}'),
  fileCase("sessions", "a row whose site is a number", () => '[{"site": 42, "org": null}]'),
  fileCase(
    "sessions",
    "a row whose org is a number",
    () => '[{"site": "datadoghq.com", "org": 5}]',
  ),
  fileCase("sessions", "truncated in the middle", (c) => goodFiles(c.site).sessions.slice(0, 25)),
  fileCase("sessions", "binary bytes", () => binary),
  specialCase("sessions", "a directory", (p) => Deno.mkdir(p)),
  specialCase("sessions", "a symbolic link to /dev/zero", (p) => Deno.symlink("/dev/zero", p)),
];
