/**
 * Whether the real-store tests can run here, and the helpers they share. A real-store test is
 * registered with `ignore: true` only when its store is missing AND CI did not require it
 * (`PUP_TEST_REQUIRE_SECRET_SERVICE=1`, `PUP_TEST_REQUIRE_KEYCTL=1`): when required, the test
 * runs and fails loudly, so CI can never skip it silently.
 *
 * @module
 */

import { createCommandRunner } from "../../lib/platform/command_runner.ts";
import { SecretService, type SecretServiceOptions } from "../../lib/storage/secret_service.ts";

async function run(cmd: string, args: string[], stdin?: string) {
  try {
    return await createCommandRunner().run(cmd, args, { timeoutMs: 5_000, stdin });
  } catch {
    return { code: -1, stdout: "", stderr: "" };
  }
}

async function exitsZero(cmd: string, args: string[]): Promise<boolean> {
  return (await run(cmd, args)).code === 0;
}

/** `ignore` for tests needing a Secret Service on `DBUS_SESSION_BUS_ADDRESS` and `secret-tool`. */
export async function secretServiceIgnored(): Promise<boolean> {
  if (Deno.env.get("PUP_TEST_REQUIRE_SECRET_SERVICE") === "1") return false;
  if (!Deno.env.get("DBUS_SESSION_BUS_ADDRESS")) return true;
  return !(await exitsZero("secret-tool", ["search", "--all", "pup-test-gate", "probe"]));
}

/**
 * `ignore` for tests needing `keyctl` and a session keyring this process possesses (a shell
 * without one, e.g. in a container, falls back to the user session keyring, whose keys it can
 * add but not read: run the tests under `keyctl session -`).
 */
export async function keyctlIgnored(): Promise<boolean> {
  if (Deno.env.get("PUP_TEST_REQUIRE_KEYCTL") === "1") return false;
  const desc = uniqueName("pup-test-gate");
  const added = await run("keyctl", ["padd", "user", desc, "@s"], "probe");
  if (added.code !== 0) return true;
  const back = await run("keyctl", ["pipe", added.stdout.trim()]);
  await run("keyctl", ["invalidate", added.stdout.trim()]);
  return back.stdout !== "probe";
}

/**
 * The Secret Service backend on this process's session bus (what `select_store.ts` builds from
 * the environment).
 *
 * @param opts timeouts, or another bus address
 */
export function sessionSecretService(opts: SecretServiceOptions = {}): SecretService {
  return new SecretService({
    busAddress: Deno.env.get("DBUS_SESSION_BUS_ADDRESS"),
    runtimeDir: Deno.env.get("XDG_RUNTIME_DIR"),
    ...opts,
  });
}

/** A name no other test (or parallel test file) uses: `<prefix>_<12 hex>`. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${crypto.getRandomValues(new Uint8Array(6)).toHex()}`;
}

/** Absolute path of a file next to this one (the fake tools). */
export function fakePath(name: string): string {
  return new URL(name, import.meta.url).pathname;
}

/** `ignore` for tests that only need the `secret-tool` program (no Secret Service). */
export async function secretToolIgnored(): Promise<boolean> {
  if (Deno.env.get("PUP_TEST_REQUIRE_SECRET_SERVICE") === "1") return false;
  return (await run("secret-tool", [])).code === -1;
}
