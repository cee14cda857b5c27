/**
 * `config.yaml` (ref §1.7, SPEC §3): read only when it exists, parsed with `npm:yaml` loaded on
 * demand, and a malformed file is an error naming the file and line, never silently ignored.
 *
 * @module
 */

import { hasUnsafeChars } from "../sanitize.ts";

/** The keys pup reads from `config.yaml`; unknown keys are ignored as in the Rust `pup`. */
export interface FileConfig {
  /** The file it came from, when one was found. */
  path?: string;
  site?: string;
  org?: string;
  api_key?: string;
  app_key?: string;
  access_token?: string;
  output?: string;
  scopes?: string;
  profiles?: Record<string, { scopes?: string }>;
  trusted_sites?: string[];
  token_storage?: string;
  /** `read_only: true`: the global read-only mode (as `--read-only`). */
  read_only?: boolean;
}

const STRING_KEYS = [
  "site",
  "org",
  "api_key",
  "app_key",
  "access_token",
  "output",
  "scopes",
  "token_storage",
] as const;

const SECRET_KEYS: ReadonlySet<string> = new Set(["api_key", "app_key", "access_token"]);

/** `config.yaml` exists but cannot be used. */
export class ConfigFileError extends SyntaxError {
  constructor(message: string) {
    super(message);
    this.name = "ConfigFileError";
  }
}

function readIfExists(path: string): string | undefined {
  try {
    // Synchronous: a missing config.yaml is the common case on every command's start-up path.
    const info = Deno.statSync(path);
    if (info.isDirectory) {
      throw new ConfigFileError(
        `Cannot read "${path}": it is a directory; remove it or set PUP_CONFIG_DIR`,
      );
    }
    if (!info.isFile) {
      throw new ConfigFileError(
        `Cannot read "${path}": it is not a regular file; move it aside or set PUP_CONFIG_DIR`,
      );
    }
    return Deno.readTextFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    if (e instanceof ConfigFileError) throw e;
    if (e instanceof Deno.errors.IsADirectory) {
      throw new ConfigFileError(
        `Cannot read "${path}": it is a directory; remove it or set PUP_CONFIG_DIR`,
      );
    }
    throw new ConfigFileError(`Cannot read "${path}": ${readFailure(e)}`);
  }
}

// The runtime's own words would name a permission flag (`--allow-all` for /proc/self/environ),
// which is not what the user should do: say what is wrong with the file instead.
function readFailure(e: unknown): string {
  if (e instanceof Deno.errors.PermissionDenied) {
    return "permission denied; make it readable by you (chmod 600) or move it aside";
  }
  if (e instanceof Deno.errors.NotCapable) {
    return "it points at a file pup may not read (a system or device file); make config.yaml a regular file or move it aside";
  }
  if (e instanceof Deno.errors.IsADirectory) {
    return "it is a directory; remove it or set PUP_CONFIG_DIR";
  }
  if (e instanceof TypeError && /utf-?8|decod/i.test(e.message)) {
    return "it is not UTF-8 text; fix the file or move it aside";
  }
  return "the file could not be read; check that it is a regular, readable file or move it aside";
}

/**
 * Loads the first readable `config.yaml` among `candidates`.
 *
 * @param candidates paths in order (see `configYamlCandidates`)
 * @returns the parsed keys, or `{}` when no file exists
 * @throws {ConfigFileError} naming the file and line when it is malformed
 */
export async function loadConfigFile(candidates: readonly string[]): Promise<FileConfig> {
  for (const path of candidates) {
    const text = readIfExists(path);
    if (text === undefined) continue;
    const { parseDocument, LineCounter } = await import("yaml");
    const lineCounter = new LineCounter();
    const doc = parseDocument(text, { lineCounter, prettyErrors: false });
    if (doc.errors.length > 0) {
      const err = doc.errors[0];
      const pos = lineCounter.linePos(err.pos[0]);
      throw new ConfigFileError(
        `Cannot parse "${path}" at line ${pos.line}, column ${pos.col}: ${
          err.message.split("\n")[0]
        }; fix the file or move it aside`,
      );
    }
    let value: unknown;
    try {
      // The yaml library caps alias expansion (a "billion laughs" file) by throwing here.
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (e) {
      const why = /alias/i.test((e as Error)?.message ?? "")
        ? "it expands too many aliases (a YAML alias bomb?)"
        : "its content cannot be turned into settings";
      throw new ConfigFileError(`Cannot use "${path}": ${why}; fix the file or move it aside`);
    }
    if (value === null || value === undefined) return { path };
    if (typeof value !== "object" || Array.isArray(value)) {
      throw new ConfigFileError(
        `Cannot use "${path}": the top level must be a mapping of keys such as "site: datadoghq.eu"`,
      );
    }
    const lineOf = (key: string): string => {
      // Point at the key, which is where a person looks, not at its (possibly multi-line) value.
      const items =
        (doc.contents as { items?: { key?: { value?: unknown; range?: number[] } }[] } | null)
          ?.items;
      const start = items?.find((p) => p.key?.value === key)?.key?.range?.[0];
      return start === undefined ? "" : ` at line ${lineCounter.linePos(start).line}`;
    };
    const raw = value as Record<string, unknown>;
    const out: FileConfig = { path };
    for (const key of STRING_KEYS) {
      const v = raw[key];
      if (v === undefined || v === null) continue;
      if (typeof v !== "string") {
        throw new ConfigFileError(`Cannot use "${path}"${lineOf(key)}: "${key}" must be a string`);
      }
      if (SECRET_KEYS.has(key) && (hasUnsafeChars(v) || v.trim() !== v)) {
        throw new ConfigFileError(
          `Cannot use "${path}"${
            lineOf(key)
          }: "${key}" contains control characters or surrounding whitespace; write it again without them`,
        );
      }
      out[key] = v;
    }
    if (raw.read_only !== undefined && raw.read_only !== null) {
      if (typeof raw.read_only !== "boolean") {
        throw new ConfigFileError(
          `Cannot use "${path}"${lineOf("read_only")}: "read_only" must be true or false`,
        );
      }
      out.read_only = raw.read_only;
    }
    if (raw.trusted_sites !== undefined && raw.trusted_sites !== null) {
      const t = raw.trusted_sites;
      if (!Array.isArray(t) || !t.every((x) => typeof x === "string")) {
        throw new ConfigFileError(
          `Cannot use "${path}"${
            lineOf("trusted_sites")
          }: "trusted_sites" must be a list of strings`,
        );
      }
      out.trusted_sites = t;
    }
    if (raw.profiles !== undefined && raw.profiles !== null) {
      const p = raw.profiles;
      if (typeof p !== "object" || Array.isArray(p)) {
        throw new ConfigFileError(
          `Cannot use "${path}"${lineOf("profiles")}: "profiles" must be a mapping of org names`,
        );
      }
      // Own properties only (see the reader in auth_login): "__proto__" is just a name here.
      out.profiles = {};
      for (const [org, prof] of Object.entries(p as Record<string, unknown>)) {
        const scopes = (prof as Record<string, unknown> | null)?.scopes;
        if (scopes !== undefined && typeof scopes !== "string") {
          throw new ConfigFileError(
            `Cannot use "${path}"${
              lineOf("profiles")
            }: "profiles.${org}.scopes" must be a comma-separated string`,
          );
        }
        Object.defineProperty(out.profiles, org, {
          value: { scopes: scopes as string | undefined },
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
    }
    return out;
  }
  return {};
}
