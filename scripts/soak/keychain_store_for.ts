/**
 * Builds the keychain `SiteStateStore` of one backend pointed at an emulator or the real tool,
 * for the crash writer and the interrupted-call tests: the same classes `select_store.ts`
 * builds, with a timeout a test can afford.
 *
 * @module
 */

import { createCommandRunner } from "../../lib/platform/command_runner.ts";
import { KeychainStore } from "../../lib/storage/keychain_store.ts";
import { MacosKeychain } from "../../lib/storage/macos_keychain.ts";
import { SecretService } from "../../lib/storage/secret_service.ts";
import { WindowsCredentialManager } from "../../lib/storage/windows_credential_manager.ts";
import { REPO_DIR } from "./run_pup.ts";

/** The emulated or real backends the fault tests drive. */
export type KeychainKind = "windows" | "macos" | "secret-service";

/** The emulators' wrapper scripts. */
export const FAKE_POWERSHELL = `${REPO_DIR}/tests/_fakes/fake_powershell`;
/** The macOS `security` emulator. */
export const FAKE_SECURITY = `${REPO_DIR}/tests/_fakes/fake_security`;

/**
 * Opens a keychain store.
 *
 * @param kind which backend
 * @param configDir where its lock files go
 * @param env the emulator's knobs (FAKE_PS_*, FAKE_SECURITY_*) and tool paths
 * @param timeoutMs each tool call's limit (the product's default is 10 s)
 * @returns the store
 */
export function openKeychainStore(
  kind: KeychainKind,
  configDir: string,
  env: Record<string, string>,
  timeoutMs?: number,
): KeychainStore {
  const runner = createCommandRunner();
  const withEnv = {
    run: (cmd: string, args: readonly string[], opts: Parameters<typeof runner.run>[2] = {}) =>
      runner.run(cmd, args, { ...opts, env: { ...env, ...opts.env } }),
  };
  const secrets = kind === "windows"
    ? new WindowsCredentialManager({
      runner: withEnv,
      powershell: env.PUP_POWERSHELL_BIN ?? FAKE_POWERSHELL,
      timeoutMs,
    })
    : kind === "macos"
    ? new MacosKeychain({
      runner: withEnv,
      security: env.PUP_SECURITY_BIN ?? FAKE_SECURITY,
      timeoutMs,
    })
    : new SecretService({ library: env.PUP_LIBSECRET_LIB, timeoutMs });
  return new KeychainStore({ secrets, configDir });
}
