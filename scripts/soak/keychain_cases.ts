/**
 * The keychain part of the corrupt-store corpus: broken values in the real Secret Service
 * (planted with `secret-tool`, inside `scripts/with_secret_service.sh`), and in the stores of the
 * macOS and Windows stand-in libraries (an item's bytes; chunk sets), which pup reads through its
 * own FFI code. Every case uses its own site, so cases and other tests sharing the Secret
 * Service never meet.
 *
 * @module
 */

import { encodeBlob } from "../../lib/storage/windows_credential_manager.ts";
import { keyringRecord, writeStandinStore } from "../../tests/_fakes/native/advapi32_store.ts";
import { type CaseContext, type CorruptCase, goodFiles } from "./corrupt_cases.ts";
import { standinEnv } from "./keychain_store_for.ts";

function account(c: CaseContext): string {
  return `state_${c.site.replace(/[^\p{Alphabetic}\p{N}]/gu, "_")}`;
}

async function sessionsFor(c: CaseContext): Promise<void> {
  await Deno.writeTextFile(`${c.cfg}/sessions.json`, goodFiles(c.site).sessions, { mode: 0o600 });
}

async function tool(cmd: string, args: string[], stdin?: string) {
  const child = new Deno.Command(cmd, {
    args,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const out = await child.output();
  const d = new TextDecoder();
  return { code: out.code, stdout: d.decode(out.stdout), stderr: d.decode(out.stderr) };
}

async function secretServiceAbsent(): Promise<string | undefined> {
  // CI sets this: a missing Secret Service must fail the case, not skip it.
  if (Deno.env.get("PUP_TEST_REQUIRE_SECRET_SERVICE") === "1") return undefined;
  if (!Deno.env.get("DBUS_SESSION_BUS_ADDRESS")) {
    return "no D-Bus session: run inside scripts/with_secret_service.sh";
  }
  try {
    const probe = await tool("secret-tool", ["search", "--all", "service", "pup-probe"]);
    return probe.code === 0
      ? undefined
      : `secret-tool cannot reach a Secret Service: ${probe.stderr.trim()}`;
  } catch {
    return "secret-tool is not installed (apt-get install libsecret-tools)";
  }
}

const RUST_ATTRS = (acct: string) => [
  "service",
  "pup",
  "username",
  acct,
  "target",
  "default",
  "application",
  "rust-keyring",
];

/** A Secret Service case storing `value` as keyring-rs's item (plus `extra` items). */
function secretServiceCase(
  name: string,
  value: (c: CaseContext) => string,
  extra = false,
): CorruptCase {
  return {
    name: `Secret Service item: ${name}`,
    backend: "secret-service",
    unavailable: secretServiceAbsent,
    names: (c) => `pup/${account(c)}`,
    async setup(c) {
      await sessionsFor(c);
      c.env.PUP_KEYCHAIN_BACKEND = "linux";
      const acct = account(c);
      const stored = await tool(
        "secret-tool",
        ["store", `--label=${acct}`, ...RUST_ATTRS(acct)],
        value(c),
      );
      if (stored.code !== 0) throw new Error(`secret-tool store: ${stored.stderr}`);
      if (extra) {
        // A fifth attribute keeps gnome-keyring from replacing the first item: two matches.
        const second = await tool(
          "secret-tool",
          ["store", `--label=${acct} copy`, ...RUST_ATTRS(acct), "note", "copy"],
          value(c),
        );
        if (second.code !== 0) throw new Error(`secret-tool store: ${second.stderr}`);
      }
    },
    async external(c) {
      const found = await tool("secret-tool", [
        "search",
        "--all",
        "service",
        "pup",
        "username",
        account(c),
      ]);
      // secret-tool interleaves stdout and stderr unpredictably, and prints "schema =" only
      // sometimes: compare the other lines as a set (secret, label, modified time, attributes).
      return `${found.stdout}\n${found.stderr}`.split("\n")
        .filter((l) => l !== "" && !l.startsWith("schema = ")).sort().join("\n");
    },
    cleanup: (c) => clearSecretServiceItems(c.site),
  };
}

/** A macOS case: the stand-in's store holds `bytes` as the item's password. */
function macosCase(name: string, bytes: (c: CaseContext) => Uint8Array): CorruptCase {
  return {
    name: `macOS keychain item (stand-in): ${name}`,
    backend: "macos",
    names: (c) => `pup/${account(c)}`,
    async setup(c) {
      await sessionsFor(c);
      const store = `${c.vault}/security-standin.txt`;
      Object.assign(c.env, { PUP_KEYCHAIN_BACKEND: "macos", ...await standinEnv("macos", store) });
      const hex = (b: Uint8Array) => b.toHex();
      const enc = new TextEncoder();
      await Deno.writeTextFile(
        store,
        `${hex(enc.encode("pup"))} ${hex(enc.encode(account(c)))} ${hex(bytes(c))}\n`,
      );
    },
  };
}

type Records = Record<string, { blob: Uint8Array; lw?: bigint }>;

/** A Windows case: the stand-in's store holds `records` (names without `.pup`). */
function windowsCase(
  name: string,
  records: (acct: string, c: CaseContext) => Records,
): CorruptCase {
  return {
    name: `Windows credentials (stand-in): ${name}`,
    backend: "windows",
    names: (c) => account(c),
    async setup(c) {
      await sessionsFor(c);
      const store = `${c.vault}/advapi32-standin.txt`;
      Object.assign(c.env, {
        PUP_KEYCHAIN_BACKEND: "windows",
        ...await standinEnv("windows", store),
      });
      let lw = 133_000_000_000_000_000n;
      await writeStandinStore(
        store,
        Object.entries(records(account(c), c)).map(([n, r]) => ({
          ...keyringRecord(n, ""),
          blob: r.blob,
          lastWritten: r.lw ?? lw++,
        })),
      );
    },
  };
}

const blob = (text: string) => ({ blob: encodeBlob(text) });
/** The good value in three chunks, as a Rust or pup write of a larger value would leave it. */
const halves = (c: CaseContext) => {
  const v = goodFiles(c.site).siteData;
  const third = Math.ceil(v.length / 3);
  return [v.slice(0, third), v.slice(third, 2 * third), v.slice(2 * third)];
};

/** The keychain cases. */
export const KEYCHAIN_CASES: CorruptCase[] = [
  secretServiceCase("not JSON", () => "this is not json"),
  secretServiceCase("tokens is an array", () => '{"tokens":[],"client":null}'),
  secretServiceCase("a session without refresh_token", (c) => {
    const v = JSON.parse(goodFiles(c.site).siteData);
    delete v.tokens.__default__.refresh_token;
    return JSON.stringify(v);
  }),
  secretServiceCase(
    "two items match (keyring-rs: ambiguous)",
    (c) => goodFiles(c.site).siteData,
    true,
  ),
  macosCase("not JSON", () => new TextEncoder().encode("hello")),
  macosCase("binary bytes that are not UTF-8", () => new Uint8Array([0, 1, 2, 0xff, 0xfe])),
  macosCase("client is a string", () => new TextEncoder().encode('{"tokens":{},"client":"x"}')),
  windowsCase("a missing chunk", (a, c) => {
    const [p0, , p2] = halves(c);
    return { [`${a}_c`]: blob("3"), [`${a}_0`]: blob(p0), [`${a}_2`]: blob(p2) };
  }),
  windowsCase("a count that is not a number", (a, c) => {
    const [p0, p1, p2] = halves(c);
    return {
      [`${a}_c`]: blob("three"),
      [`${a}_0`]: blob(p0),
      [`${a}_1`]: blob(p1),
      [`${a}_2`]: blob(p2),
    };
  }),
  windowsCase("chunks that join to broken JSON (written out of order)", (a, c) => {
    const [p0, p1] = halves(c);
    return { [`${a}_c`]: blob("2"), [`${a}_0`]: blob(p1), [`${a}_1`]: blob(p0) };
  }),
  // A torn journal alone is recoverable from intact chunks (tests/storage/chunking_test.ts);
  // with a chunk missing too, nothing whole is left.
  windowsCase("a missing chunk and a newer journal holding broken JSON", (a, c) => {
    const [p0, p1] = halves(c);
    return {
      [`${a}_c`]: { ...blob("3"), lw: 133_000_000_000_000_000n },
      [`${a}_0`]: blob(p0),
      [`${a}_1`]: blob(p1),
      [`${a}-j0`]: blob('{"tokens":{"__defau'),
      [`${a}-jc`]: { ...blob("1"), lw: 133_000_000_000_000_500n },
    };
  }),
  windowsCase("an odd-length UTF-16 blob", (a) => ({
    [`${a}_c`]: blob("1"),
    [`${a}_0`]: { blob: new Uint8Array([0x7b, 0, 0x7d]) },
  })),
  windowsCase("a lone surrogate in the blob", (a) => ({
    [`${a}_c`]: blob("1"),
    [`${a}_0`]: { blob: new Uint8Array([0x7b, 0, 0x00, 0xd8, 0x7d, 0]) },
  })),
  windowsCase("a legacy single record that is not JSON", (a) => ({ [a]: blob("garbage") })),
];

/**
 * Removes what Secret Service cases stored (the keyring outlives them).
 *
 * @param site the case's site
 */
export async function clearSecretServiceItems(site: string): Promise<void> {
  const acct = `state_${site.replace(/[^\p{Alphabetic}\p{N}]/gu, "_")}`;
  for (let i = 0; i < 3; i++) {
    await tool("secret-tool", ["clear", "service", "pup", "username", acct]).catch(() => {});
  }
}
