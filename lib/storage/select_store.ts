/**
 * Picks where tokens live (SPEC §6; ref §2.3, §2.4): `DD_TOKEN_STORAGE` (non-empty) > config
 * `token_storage` > auto-detect. `file` is the file store; `keychain` is the OS secure store
 * or a clean error (the Rust `pup` panics, ref §12 weakness 18); anything else warns with the
 * Rust `pup`'s text and auto-detects. `PUP_KEYCHAIN_BACKEND` forces a backend for tests.
 *
 * The OS stores, in order: macOS keychain; Windows Credential Manager; on Linux the Secret
 * Service, then the kernel keyring. Auto-detect ends with the file store, announced by a
 * warning that names the real directory (ref §12 weakness 16 named the wrong one).
 *
 * No separate probe process. The Rust `pup` probes at start-up (a read on Linux, a
 * write-read-delete on Windows); we let the first real read be the probe: the returned store
 * settles on a backend at its first call, by reading that call's site from the first candidate
 * and moving on only when the store is *absent* (`StoreAbsentError`: no tool, no D-Bus
 * service, no kernel keyring). A present store in a bad state (locked, hung, ambiguous,
 * corrupt) is reported, never skipped, so tokens never end up split across two stores. So
 * `auth status` with a stored session runs one child process; the first call being an update
 * (a login) costs one extra read. macOS is never probed (ref §2.3: no extra prompt), and the
 * `backend`/`location` of the returned store are final after its first call. Warnings found
 * then are written to `deps.io.err`; those known at selection come back in `warnings`.
 *
 * @module
 */

import type { Deps, OsName } from "../deps.ts";
import { StorageUnavailableError } from "../errors.ts";
import { readFallbackMarker, recordWarning, writeFallbackMarker } from "./fallback_marker.ts";
import { type Candidate, FallbackStore } from "./fallback_store.ts";
import { KeychainStore } from "./keychain_store.ts";
import { SecretService } from "./secret_service.ts";
import type { SiteStateStore } from "./types.ts";
import { lazyImport } from "../lazy_import.ts";

/** Options of `selectStore`. */
export interface SelectStoreOptions {
  /** `token_storage` from config.yaml, if set. */
  configTokenStorage?: string;
  /** Builds the file store; called only when files are used. */
  fileStore: () => SiteStateStore;
}

/** The chosen store and the warnings to print (each a stderr line without its newline). */
export interface SelectedStore {
  /** The token store. */
  store: SiteStateStore;
  /** Warnings known at selection, e.g. an unknown `DD_TOKEN_STORAGE` value. */
  warnings: string[];
}

const FORCED_OS: Record<string, OsName> = { macos: "darwin", linux: "linux", windows: "windows" };

/**
 * Chooses the token store for this process.
 *
 * @param deps env (`DD_TOKEN_STORAGE`, `PUP_KEYCHAIN_BACKEND`, tool paths), os, runner,
 *   configDir, io.err for warnings found later
 * @param opts config's `token_storage` and the file store factory
 * @returns the store (settled on a backend at its first call) and selection warnings
 */
export async function selectStore(deps: Deps, opts: SelectStoreOptions): Promise<SelectedStore> {
  const warnings: string[] = [];
  const fromEnv = deps.env.DD_TOKEN_STORAGE;
  const [value, source] = fromEnv !== undefined && fromEnv !== ""
    ? [fromEnv, "DD_TOKEN_STORAGE"]
    : [opts.configTokenStorage ?? "", "token_storage in config.yaml"];
  const choice = value.trim().toLowerCase();
  if (choice === "file") return { store: opts.fileStore(), warnings };
  if (choice !== "" && choice !== "keychain") {
    warnings.push(
      `Warning: unknown token storage backend "${value}" (set via DD_TOKEN_STORAGE or config token_storage; valid: "file", "keychain"), auto-detecting`,
    );
  }
  const os = resolveOs(deps, warnings);
  const candidates = await osCandidates(deps, os);
  const write = (line: string) => deps.io.err.write(`${line}\n`);
  if (choice === "keychain") {
    const store = new FallbackStore(candidates, write, (reasons) =>
      new StorageUnavailableError(
        `${source} asks for "keychain", but no OS secure store is available (${
          reasons.join("; ")
        }). Set DD_TOKEN_STORAGE=file to keep tokens in files under "${deps.configDir}"`,
      ));
    return { store, warnings };
  }
  const marker = await readFallbackMarker(deps.configDir);
  const usable = candidates.filter((c) => !marker?.skip.includes(c.backend));
  const file: Candidate = {
    name: "file storage",
    backend: "file",
    make: opts.fileStore,
    note: marker && usable.length < candidates.length
      ? `the OS keychain failed a test write on ${
        marker.since.slice(0, 10)
      } (${marker.reason}); delete "${deps.configDir}/storage_fallback.json" to try it again`
      : undefined,
  };
  // Each fallback warning once per machine state (issue: it printed on every command).
  const warnOnce = (line: string) => {
    if (marker?.warned.includes(line)) return;
    write(line);
    return recordWarning(deps.configDir, line).catch(() => {});
  };
  // The file store is never absent, so the last callback cannot run.
  const store = new FallbackStore(
    [...usable, file],
    warnOnce,
    () => new TypeError("the file store is always available"),
    deps.configDir,
    (backend, reason) =>
      writeFallbackMarker(deps.configDir, backend, reason, new Date(deps.clock.now())),
  );
  return { store, warnings };
}

function resolveOs(deps: Deps, warnings: string[]): OsName {
  const forced = deps.env.PUP_KEYCHAIN_BACKEND;
  if (forced === undefined || forced === "") return deps.os;
  const os = FORCED_OS[forced.toLowerCase()];
  if (os) return os;
  warnings.push(
    `Warning: unknown PUP_KEYCHAIN_BACKEND "${forced}" (valid: "macos", "linux", "windows"), using this system's keychain`,
  );
  return deps.os;
}

/**
 * The stores of `os`, in order. Only the code a command can use loads (every module costs
 * start-up time): the macOS and Windows bindings (FFI symbol tables, chunking) on their OS,
 * and the kernel keyring (with `keyctl`'s runner) only once the Secret Service was absent. The
 * Secret Service, first on Linux, comes with this module.
 */
async function osCandidates(deps: Deps, os: OsName): Promise<Candidate[]> {
  const env = deps.env;
  const runner = deps.runner;
  const keychain = (secrets: ConstructorParameters<typeof KeychainStore>[0]["secrets"]) => () =>
    new KeychainStore({ secrets, configDir: deps.configDir });
  const bin = (name: string) => (env[name] ? env[name] : undefined);
  if (os === "darwin") {
    const { MacosKeychain } = await lazyImport<typeof import("./macos_keychain.ts")>(
      "./macos_keychain.ts",
      import.meta.url,
    );
    return [{
      name: "OS keychain",
      backend: "macos-keychain",
      make: keychain(new MacosKeychain({ library: bin("PUP_SECURITY_FRAMEWORK_LIB") })),
    }];
  }
  if (os === "windows") {
    const { WindowsCredentialManager } = await lazyImport<
      typeof import("./windows_credential_manager.ts")
    >("./windows_credential_manager.ts", import.meta.url);
    const onNotice = (message: string) => deps.io.err.write(`Warning: ${message}\n`);
    return [{
      name: "OS keychain",
      backend: "windows-credential-manager",
      make: keychain(
        new WindowsCredentialManager({
          advapi32: bin("PUP_ADVAPI32_LIB"),
          kernel32: bin("PUP_KERNEL32_LIB"),
          onNotice,
        }),
      ),
    }];
  }
  let kernel: typeof import("./kernel_keyring.ts") | undefined;
  return [
    {
      name: "Secret Service",
      backend: "secret-service",
      make: keychain(
        new SecretService({
          busAddress: env.DBUS_SESSION_BUS_ADDRESS,
          runtimeDir: env.XDG_RUNTIME_DIR,
        }),
      ),
    },
    {
      name: "kernel keyring",
      backend: "kernel-keyring",
      load: async () => {
        kernel ??= await lazyImport<typeof import("./kernel_keyring.ts")>(
          "./kernel_keyring.ts",
          import.meta.url,
        );
      },
      make: () => keychain(new kernel!.KernelKeyring({ runner }))(),
    },
  ];
}
