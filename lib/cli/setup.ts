/**
 * What most commands need before they act: config.yaml, `sessions.json`, the resolved
 * (site, org), and the token store, each loaded once and only when asked for.
 *
 * @module
 */

import { configYamlCandidates } from "../config/config_dir.ts";
import { type FileConfig, loadConfigFile } from "../config/config_file.ts";
import { type Resolved, resolveSiteAndOrg } from "../config/resolve.ts";
import type { Deps } from "../deps.ts";
import { FileStore } from "../storage/file_store.ts";
import { type SessionRow, SessionsRegistry } from "../storage/sessions.ts";
import { looseDirWarning } from "../storage/private_dir.ts";
import type { SiteStateStore } from "../storage/types.ts";
import { lazyImport } from "../lazy_import.ts";

/** The loaded setup of one command run. */
export interface Setup {
  config: FileConfig;
  registry: SessionsRegistry;
  rows: SessionRow[];
  resolved: Resolved;
  /** The token store, chosen on first use (SPEC §6); selection warnings go to stderr once. */
  store(): Promise<SiteStateStore>;
}

/**
 * Loads config and sessions and resolves (site, org); prints resolution warnings to stderr.
 *
 * @param deps the seams
 * @param flags `--org`, and `--site` where the command has it
 */
export async function loadSetup(
  deps: Deps,
  flags: { org?: string; site?: string },
): Promise<Setup> {
  const config = await loadConfigFile(configYamlCandidates(deps.env, deps.os, deps.configDir));
  const registry = new SessionsRegistry(deps.configDir);
  const rows = await registry.read();
  const resolved = resolveSiteAndOrg({
    env: deps.env,
    config,
    sessions: rows,
    orgFlag: flags.org,
    siteFlag: flags.site,
    sessionsPath: registry.path,
  });
  for (const w of resolved.warnings) deps.io.err.write(`${w}\n`);
  const loose = looseDirWarning(deps.configDir, deps.os);
  if (loose) deps.io.err.write(`${loose}\n`);
  let store: Promise<SiteStateStore> | undefined;
  return {
    config,
    registry,
    rows,
    resolved,
    store: () => (store ??= openStore(deps, config)),
  };
}

/**
 * Chooses the token store: files when `DD_TOKEN_STORAGE` or config says `file` (without loading
 * any keychain code, which keeps start-up fast), else the secure-store selection.
 */
export async function openStore(deps: Deps, config: FileConfig): Promise<SiteStateStore> {
  const requested = deps.env.DD_TOKEN_STORAGE || config.token_storage;
  const fileStore = () => new FileStore(deps.configDir);
  if (requested === "file") return fileStore();
  const { selectStore } = await lazyImport<typeof import("../storage/select_store.ts")>(
    "../storage/select_store.ts",
    import.meta.url,
  );
  const { store, warnings } = await selectStore(deps, {
    configTokenStorage: config.token_storage,
    fileStore,
  });
  for (const w of warnings) deps.io.err.write(`${w}\n`);
  return store;
}
