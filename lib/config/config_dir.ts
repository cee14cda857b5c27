/**
 * Where pup keeps its files: the same directory the Rust `pup` uses (ref §1.1, SPEC §3).
 *
 * @module
 */

import type { OsName } from "../deps.ts";

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Resolves the config dir: `PUP_CONFIG_DIR` if set and non-empty; else Linux
 * `$XDG_CONFIG_HOME/pup` or `~/.config/pup`; macOS `~/Library/Application Support/pup`;
 * Windows `%APPDATA%\pup`.
 *
 * @param env environment snapshot
 * @param os the operating system
 * @returns the directory path (it may not exist yet)
 * @throws {Error} when the home directory cannot be determined
 */
export function resolveConfigDir(env: Env, os: OsName): string {
  if (env.PUP_CONFIG_DIR) return env.PUP_CONFIG_DIR;
  if (os === "windows") {
    if (env.APPDATA) return `${env.APPDATA}\\pup`;
    if (env.USERPROFILE) return `${env.USERPROFILE}\\AppData\\Roaming\\pup`;
    throw new Error("Cannot find the config directory: APPDATA is not set; set PUP_CONFIG_DIR");
  }
  const home = env.HOME;
  if (os === "darwin") {
    if (!home) {
      throw new Error("Cannot find the config directory: HOME is not set; set PUP_CONFIG_DIR");
    }
    return `${home}/Library/Application Support/pup`;
  }
  const xdg = env.XDG_CONFIG_HOME;
  if (xdg && xdg.startsWith("/")) return `${xdg}/pup`;
  if (!home) {
    throw new Error("Cannot find the config directory: HOME is not set; set PUP_CONFIG_DIR");
  }
  return `${home}/.config/pup`;
}

/**
 * The `config.yaml` paths to try, first readable wins: on macOS without `PUP_CONFIG_DIR` also
 * `~/.config/pup/config.yaml` (ref §1.1).
 */
export function configYamlCandidates(env: Env, os: OsName, configDir: string): string[] {
  const sep = os === "windows" ? "\\" : "/";
  const paths = [`${configDir}${sep}config.yaml`];
  if (os === "darwin" && !env.PUP_CONFIG_DIR && env.HOME) {
    paths.push(`${env.HOME}/.config/pup/config.yaml`);
  }
  return paths;
}

/** Joins the config dir and a file name with the OS separator. */
export function configPath(configDir: string, os: OsName, name: string): string {
  return `${configDir}${os === "windows" ? "\\" : "/"}${name}`;
}
