/**
 * Builds the keychain `SiteStateStore` of one backend for the crash writer, the fault tests and
 * the soak: the same classes `select_store.ts` builds, pointed at a stand-in library (macOS,
 * Windows) or the real Secret Service (Linux, over D-Bus). The stand-ins read `PUP_STANDIN_*`
 * from the process environment at every call, so a caller in this process sets them with
 * {@link withStandin}; a child process gets them in its environment (see {@link standinEnv}).
 *
 * @module
 */

import { KeychainStore } from "../../lib/storage/keychain_store.ts";
import { MacosKeychain } from "../../lib/storage/macos_keychain.ts";
import { SecretService } from "../../lib/storage/secret_service.ts";
import { WindowsCredentialManager } from "../../lib/storage/windows_credential_manager.ts";
import { standinLibrary } from "../../tests/_fakes/native/standin.ts";

/** The backends the fault tests drive: two through stand-ins, one real. */
export type KeychainKind = "windows" | "macos" | "secret-service";

/**
 * The variables that point pup (or {@link openKeychainStore}) at a stand-in and its store file.
 *
 * @param kind `windows` or `macos`
 * @param store the stand-in's store file
 * @returns `PUP_*_LIB` and `PUP_STANDIN_STORE`
 */
export async function standinEnv(
  kind: "windows" | "macos",
  store: string,
): Promise<Record<string, string>> {
  if (kind === "windows") {
    const lib = await standinLibrary("advapi32");
    return { PUP_ADVAPI32_LIB: lib, PUP_KERNEL32_LIB: lib, PUP_STANDIN_STORE: store };
  }
  return {
    PUP_SECURITY_FRAMEWORK_LIB: await standinLibrary("security_framework"),
    PUP_STANDIN_STORE: store,
  };
}

/**
 * Runs `fn` with the `PUP_STANDIN_*` variables of `env` set in this process, restoring them
 * after: the stand-in library reads them there.
 */
export async function withStandin<T>(
  env: Record<string, string>,
  fn: () => Promise<T>,
): Promise<T> {
  const names = Object.keys(env).filter((k) => k.startsWith("PUP_STANDIN_"));
  const saved = names.map((k) => [k, Deno.env.get(k)] as const);
  for (const k of names) Deno.env.set(k, env[k]);
  try {
    return await fn();
  } finally {
    for (const [k, v] of saved) v === undefined ? Deno.env.delete(k) : Deno.env.set(k, v);
  }
}

/**
 * Opens a keychain store.
 *
 * @param kind which backend
 * @param configDir where its lock files go
 * @param env `PUP_*_LIB` (from {@link standinEnv}); the Secret Service is on this process's
 *   session bus unless `DBUS_SESSION_BUS_ADDRESS` is given
 * @param timeoutMs the Secret Service's per-call limit (the product's default is 10 s)
 * @returns the store
 */
export function openKeychainStore(
  kind: KeychainKind,
  configDir: string,
  env: Record<string, string>,
  timeoutMs?: number,
): KeychainStore {
  const secrets = kind === "windows"
    ? new WindowsCredentialManager({
      advapi32: env.PUP_ADVAPI32_LIB,
      kernel32: env.PUP_KERNEL32_LIB,
    })
    : kind === "macos"
    ? new MacosKeychain({ library: env.PUP_SECURITY_FRAMEWORK_LIB })
    : new SecretService({
      busAddress: env.DBUS_SESSION_BUS_ADDRESS ?? Deno.env.get("DBUS_SESSION_BUS_ADDRESS"),
      runtimeDir: env.XDG_RUNTIME_DIR ?? Deno.env.get("XDG_RUNTIME_DIR"),
      timeoutMs,
    });
  return new KeychainStore({ secrets, configDir });
}
