/**
 * A child process for `tests/storage/macos_keychain_test.ts`: runs the real macOS backend
 * against the stand-in library named by `PUP_SECURITY_FRAMEWORK_LIB`, so a test can kill it
 * mid-write (`PUP_STANDIN_ABORT_AT`/`_AFTER`) or check at exit that nothing leaked.
 *
 * `deno run -P=test _macos_keychain_child.ts <mode> <account>`, modes:
 * - `set`: stores stdin as the value of `<account>`.
 * - `cycle`: get, set (new), set (existing), get, delete, get: every call the backend makes.
 * - `leak`: calls Find for a password directly and never frees it (proves `LEAK` is reported).
 *
 * @module
 */

import { MacosKeychain, SECURITY_SYMBOLS } from "../../lib/storage/macos_keychain.ts";
import { cString, pointerSlot } from "../../lib/platform/native.ts";

const [mode, account] = Deno.args;
const library = Deno.env.get("PUP_SECURITY_FRAMEWORK_LIB");
const store = new MacosKeychain({ library });

if (mode === "set") {
  const value = await new Response(Deno.stdin.readable).text();
  await store.set(account, value);
} else if (mode === "cycle") {
  await store.get(account);
  await store.set(account, '{"tokens":{},"client":null}');
  await store.set(account, '{"tokens":{"a":1},"client":null}');
  await store.get(account);
  await store.delete(account);
  await store.get(account);
} else if (mode === "leak") {
  const lib = Deno.dlopen(library!, SECURITY_SYMBOLS);
  const [service, acct] = [cString("pup"), cString(account)];
  const status = lib.symbols.SecKeychainFindGenericPassword(
    null,
    3,
    service,
    acct.length - 1,
    acct,
    new Uint32Array(1),
    pointerSlot(),
    null,
  );
  if (status !== 0) throw new Error(`Find returned ${status}`);
} else {
  throw new TypeError(`Unknown mode "${mode}"`);
}
