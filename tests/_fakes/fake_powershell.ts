/**
 * An emulator of `powershell.exe` running pup's Credential Manager script, run through
 * `PUP_POWERSHELL_BIN` (the wrapper `tests/_fakes/fake_powershell` execs this file). It checks
 * that argv is exactly the product's (`-NoProfile -NonInteractive -EncodedCommand <script>`)
 * and that the decoded script is `WINDOWS_SCRIPT`, then interprets the batch from stdin the way
 * that script does. Each behaviour cites its row of shared/reference/secure-store-tools.md,
 * Windows table:
 * - "blob limit": a blob over 2560 bytes fails CredWriteW with 1783.
 * - "target name": targets are case-insensitive; target + type identify a credential.
 * - "errors": not found is 1168 (a `found:false` answer, as the script maps it).
 * - "Rust `keyring` 3.6.3 records": every write records Type GENERIC (1), Persist ENTERPRISE
 *   (3), UserName, Comment `keyring v3.6.3`, empty TargetAlias, the UTF-16LE blob, LastWritten.
 * - "`-Command -`" / "stdin encoding": the script arrives in `-EncodedCommand` (base64 of
 *   UTF-16LE), the data as base64 ASCII on stdin.
 *
 * The vault (FAKE_PS_VAULT, JSON) is rewritten atomically after every primitive, so a SIGKILL
 * leaves it as after the last completed one, as real CredWrite calls would. Knobs:
 * FAKE_PS_DIE_AFTER_WRITES=N (SIGKILL once N writes/deletes are done; 0 = before any),
 * FAKE_PS_HANG=1 (never answers), FAKE_PS_FAIL_CODE=n (every primitive fails with Win32 error
 * n, e.g. 1312 ERROR_NO_SUCH_LOGON_SESSION), FAKE_PS_LOG (appends `{argv, stdin}` lines).
 *
 * @module
 */

import { type WireOp } from "../../lib/storage/windows_credential_manager.ts";
import { WINDOWS_SCRIPT } from "../../lib/storage/windows_script.ts";

/** One generic credential as the vault keeps it. */
export interface VaultCredential {
  target: string;
  type: number;
  persist: number;
  userName: string;
  comment: string;
  targetAlias: string;
  /** base64 of the blob bytes. */
  blob: string;
  /** FILETIME, decimal. */
  lastWritten: string;
}

/** The vault file: credentials keyed by lower-cased target. */
export interface Vault {
  creds: Record<string, VaultCredential>;
}

const BLOB_MAX = 2560;
const env = Deno.env.toObject();
let writesLeft = env.FAKE_PS_DIE_AFTER_WRITES === undefined
  ? Infinity
  : Number(env.FAKE_PS_DIE_AFTER_WRITES);

class Win32Error extends Error {
  constructor(readonly fn: string, readonly code: number) {
    super(`${fn} failed with ${code}`);
  }
}

function filetimeNow(): bigint {
  return BigInt(Date.now()) * 10_000n + 116_444_736_000_000_000n;
}

async function save(path: string, vault: Vault): Promise<void> {
  if (writesLeft <= 0) Deno.kill(Deno.pid, "SIGKILL");
  const tmp = `${path}.tmp-${Deno.pid}`;
  await Deno.writeTextFile(tmp, JSON.stringify(vault, null, 1));
  await Deno.rename(tmp, path);
  writesLeft--;
  if (writesLeft <= 0) Deno.kill(Deno.pid, "SIGKILL");
}

function decodeCommand(b64: string): string {
  const bytes = Uint8Array.fromBase64(b64);
  return new TextDecoder("utf-16le").decode(bytes);
}

async function run(vaultPath: string, ops: WireOp[]): Promise<string> {
  let vault: Vault = { creds: {} };
  try {
    vault = JSON.parse(await Deno.readTextFile(vaultPath));
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  const failCode = env.FAKE_PS_FAIL_CODE ? Number(env.FAKE_PS_FAIL_CODE) : undefined;
  const read = (target: string) => {
    if (failCode) throw new Win32Error("CredReadW", failCode);
    const c = vault.creds[target.toLowerCase()];
    return c ? `{"blob":"${c.blob}","lw":"${c.lastWritten}"}` : null;
  };
  const remove = async (target: string) => {
    if (failCode) throw new Win32Error("CredDeleteW", failCode);
    if (!vault.creds[target.toLowerCase()]) return false;
    delete vault.creds[target.toLowerCase()];
    await save(vaultPath, vault);
    return true;
  };
  const results: string[] = [];
  let error = "null";
  for (const [index, op] of ops.entries()) {
    try {
      if (op.op === "read") {
        const r = read(op.target);
        results.push(r === null ? `{"found":false}` : `{"found":true,${r.slice(1)}`);
      } else if (op.op === "write") {
        if (failCode) throw new Win32Error("CredWriteW", failCode);
        const blob = Uint8Array.fromBase64(op.blob);
        if (blob.length > BLOB_MAX) throw new Win32Error("CredWriteW", 1783);
        const previous = vault.creds[op.target.toLowerCase()];
        vault.creds[op.target.toLowerCase()] = {
          target: previous?.target ?? op.target,
          type: 1,
          persist: 3,
          userName: op.user,
          comment: "keyring v3.6.3",
          targetAlias: "",
          blob: op.blob,
          lastWritten: String(filetimeNow()),
        };
        await save(vaultPath, vault);
        results.push(`{"ok":true}`);
      } else if (op.op === "delete") {
        results.push(`{"found":${await remove(op.target)}}`);
      } else if (op.op === "readSeq") {
        const items: string[] = [];
        for (let i = op.start; items.length < 4096; i++) {
          const r = read(`${op.prefix}${i}${op.suffix}`);
          if (r === null) break;
          items.push(r);
        }
        results.push(`{"items":[${items.join(",")}]}`);
      } else {
        let end = op.start;
        while (end - op.start < 4096 && read(`${op.prefix}${end}${op.suffix}`) !== null) end++;
        for (let i = end - 1; i >= op.start; i--) await remove(`${op.prefix}${i}${op.suffix}`);
        results.push(`{"deleted":${end - op.start}}`);
      }
    } catch (e) {
      if (!(e instanceof Win32Error)) throw e;
      error = `{"index":${index},"fn":"${e.fn}","code":${e.code}}`;
      break;
    }
  }
  return `{"results":[${results.join(",")}],"error":${error}}`;
}

function complain(text: string): void {
  Deno.stderr.writeSync(new TextEncoder().encode(`fake powershell: ${text}\n`));
}

async function main(): Promise<number> {
  const args = Deno.args;
  const stdin = await new Response(Deno.stdin.readable).text();
  if (env.FAKE_PS_LOG) {
    await Deno.writeTextFile(env.FAKE_PS_LOG, `${JSON.stringify({ argv: args, stdin })}\n`, {
      append: true,
    });
  }
  const expected = ["-NoProfile", "-NonInteractive", "-EncodedCommand"];
  if (args.length !== 4 || expected.some((a, i) => args[i] !== a)) {
    complain(`unexpected argv ${JSON.stringify(args.slice(0, 3))}`);
    return 64;
  }
  if (decodeCommand(args[3]) !== WINDOWS_SCRIPT) {
    complain("-EncodedCommand is not pup's Credential Manager script");
    return 65;
  }
  if (env.FAKE_PS_HANG === "1") {
    setInterval(() => {}, 1_000_000);
    await new Promise(() => {});
  }
  if (!env.FAKE_PS_VAULT) throw new Error("FAKE_PS_VAULT is not set");
  const batch = JSON.parse(new TextDecoder().decode(Uint8Array.fromBase64(stdin.trim())));
  const line = await run(env.FAKE_PS_VAULT, batch.ops);
  await Deno.stdout.write(new TextEncoder().encode(line));
  return 0;
}

if (import.meta.main) {
  Deno.exitCode = await main();
}
