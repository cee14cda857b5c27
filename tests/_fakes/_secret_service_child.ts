/**
 * Runs one `SecretService` call in a process of its own, so a test can give it another D-Bus
 * session (libsecret connects once per process) or none at all. Prints one JSON line:
 * `{"ok":true,"value":…}` or `{"ok":false,"absent":bool,"message":"…"}`.
 *
 *   deno run -A tests/_fakes/_secret_service_child.ts get|set|delete ACCOUNT [VALUE]
 *
 * @module
 */

import { StoreAbsentError } from "../../lib/storage/run_tool.ts";
import { SecretService } from "../../lib/storage/secret_service.ts";

const [op, account, value] = Deno.args;
const ss = new SecretService({
  library: Deno.env.get("PUP_LIBSECRET_LIB") || undefined,
  timeoutMs: Number(Deno.env.get("CHILD_TIMEOUT_MS") ?? 10_000),
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
