/**
 * Runs one `SecretService` call in a process of its own, so a test can give it another D-Bus
 * session or none at all, or kill it mid-write. Prints one JSON line:
 * `{"ok":true,"value":…}` or `{"ok":false,"absent":bool,"message":"…"}`.
 *
 *   deno run -A tests/_fakes/_secret_service_child.ts get|set|delete ACCOUNT [VALUE]
 *
 * @module
 */

import { StoreAbsentError } from "../../lib/storage/secret_store.ts";
import { SecretService } from "../../lib/storage/secret_service.ts";

const [op, account, value] = Deno.args;
const timeoutMs = Number(Deno.env.get("CHILD_TIMEOUT_MS") ?? 10_000);
const ss = new SecretService({
  busAddress: Deno.env.get("DBUS_SESSION_BUS_ADDRESS"),
  runtimeDir: Deno.env.get("XDG_RUNTIME_DIR"),
  timeoutMs,
  promptTimeoutMs: timeoutMs,
});
let out: unknown;
try {
  const result = op === "get"
    ? await ss.get(account)
    : op === "set"
    ? await ss.set(account, value)
    : await ss.delete(account);
  out = { ok: true, value: result ?? null };
} catch (e) {
  out = { ok: false, absent: e instanceof StoreAbsentError, message: (e as Error).message };
}
// deno-lint-ignore no-console
console.log(JSON.stringify(out));
Deno.exit(0);
