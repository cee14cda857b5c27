/**
 * A tiny writer for crash tests: it loads the store code, says `ready`, waits for a line on
 * stdin, then writes generation `<gen>` of the crash payload (scripts/soak/crash_payload.ts)
 * and says `done <ms>`, or `error <message>` (exit 1) when the store call fails. The test
 * SIGKILLs it at a random moment after the go line, or lets a stand-in library abort it.
 *
 *   deno run --allow-read --allow-write --allow-env --allow-run --allow-ffi \
 *     tests/_fakes/_crash_writer.ts \
 *     <file|naive|windows|macos|secret-service> <configDir> <gen> <orgs>
 *
 * `naive` is the negative control: it writes the same files the way the Rust `pup` does
 * (truncate, then write in place; ref §12 item 1), in 4 KB pieces with a sync and a 10 ms
 * pause after each as a slow disk would, to show that the crash harness does catch torn files. The keychain modes
 * write through `KeychainStore` and take their library paths and the stand-in's knobs from the
 * environment (PUP_ADVAPI32_LIB, PUP_STANDIN_STORE, PUP_STANDIN_ABORT_AFTER, ...).
 *
 * @module
 */

import { CRASH_SITE, rowsFor, stateFor } from "../../scripts/soak/crash_payload.ts";
import { type KeychainKind, openKeychainStore } from "../../scripts/soak/keychain_store_for.ts";
import { serializeTokenMap } from "../../lib/storage/codec.ts";
import { FileStore } from "../../lib/storage/file_store.ts";
import { serializeSessions, SessionsRegistry } from "../../lib/storage/sessions.ts";

const [mode, configDir, genText, orgsText] = Deno.args;
const gen = Number(genText);
const orgs = Number(orgsText);
const out = (text: string) => Deno.stdout.writeSync(new TextEncoder().encode(text));

async function writeInPlace(path: string, text: string): Promise<void> {
  const file = await Deno.open(path, { write: true, create: true, truncate: true, mode: 0o600 });
  try {
    const bytes = new TextEncoder().encode(text);
    for (let at = 0; at < bytes.length; at += 4096) {
      await file.write(bytes.subarray(at, at + 4096));
      await file.syncData();
      // A slow disk: the torn state lasts long enough for a random kill to find it.
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    file.close();
  }
}

const files = new FileStore(configDir);
const registry = new SessionsRegistry(configDir);
const keychain = mode === "file" || mode === "naive"
  ? undefined
  : openKeychainStore(mode as KeychainKind, configDir, Deno.env.toObject());

out("ready\n");
const reader = Deno.stdin.readable.getReader();
await reader.read();
const start = performance.now();
try {
  if (keychain) {
    await keychain.update(CRASH_SITE, () => stateFor(gen, orgs));
  } else if (mode === "file") {
    await files.update(CRASH_SITE, () => stateFor(gen, orgs));
    await registry.update(() => rowsFor(gen, orgs));
  } else {
    const state = stateFor(gen, orgs);
    await writeInPlace(files.tokensPath(CRASH_SITE), serializeTokenMap(state.tokens));
    await writeInPlace(files.clientPath(CRASH_SITE), JSON.stringify(state.client, null, 2));
    await writeInPlace(registry.path, serializeSessions(rowsFor(gen, orgs)));
  }
  out(`done ${(performance.now() - start).toFixed(2)}\n`);
} catch (e) {
  out(`error ${(e as Error).message.replaceAll("\n", " ")}\n`);
  Deno.exitCode = 1;
}
reader.releaseLock();
