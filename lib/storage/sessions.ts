/**
 * `sessions.json`: the registry of named sessions (ref §1.5, SPEC §5.3). Always a file, never
 * secrets; read strictly, written atomically under a cross-process lock, never overwritten when
 * it cannot be parsed.
 *
 * @module
 */

import { StorageCorruptError } from "../errors.ts";
import { parseJson } from "./codec.ts";
import { readStoreFile } from "./store_files.ts";
import { writeMachinery } from "./write_machinery.ts";

/**
 * The last time the token endpoint refused this session's refresh, or its new tokens could not
 * be saved: `auth status` and `auth list` show it without a network call. Cleared by the next
 * successful refresh or login.
 */
export interface Refusal {
  /** `invalid_grant`, `invalid_client`, or `save_failed` (new tokens that could not be saved). */
  error: string;
  /** RFC 3339 UTC. */
  at: string;
  /** The server's `error_description` or the store's error, at most 300 characters. */
  description?: string;
}

/**
 * One row: `org` null is the default session; `org_uuid` is omitted when unknown. `org_name`
 * (the org the server said the login went into) and `refused` are extra fields (the Rust `pup` ignores unknown fields when it reads and drops them when it
 * rewrites the file, which only forgets the note).
 */
export interface SessionRow {
  site: string;
  org: string | null;
  org_uuid?: string;
  refused?: Refusal;
  org_name?: string;
}

/**
 * Parses the registry text strictly.
 *
 * @param text file content
 * @param path for errors
 * @throws {StorageCorruptError} naming the file and the bad row
 */
export function parseSessions(text: string, path: string): SessionRow[] {
  const value = parseJson(text, path);
  const bad = (detail: string): never => {
    throw new StorageCorruptError(
      path,
      `Cannot read "${path}": ${detail}. It was left untouched; fix or move it aside, then run 'pup auth login'`,
    );
  };
  if (!Array.isArray(value)) bad("expected a JSON array of sessions");
  return (value as unknown[]).map((row, i) => {
    if (typeof row !== "object" || row === null || Array.isArray(row)) {
      bad(`row ${i} is not an object`);
    }
    const r = row as Record<string, unknown>;
    if (typeof r.site !== "string") bad(`row ${i} has no string "site"`);
    if (r.org !== undefined && r.org !== null && typeof r.org !== "string") {
      bad(`row ${i}: "org" must be a string or null`);
    }
    if (r.org_uuid !== undefined && r.org_uuid !== null && typeof r.org_uuid !== "string") {
      bad(`row ${i}: "org_uuid" must be a string`);
    }
    const out: SessionRow = {
      site: r.site as string,
      org: (r.org as string | null | undefined) ?? null,
    };
    if (typeof r.org_uuid === "string") out.org_uuid = r.org_uuid;
    const refused = parseRefusal(r.refused);
    if (refused) out.refused = refused;
    if (typeof r.org_name === "string") out.org_name = r.org_name;
    return out;
  });
}

/** A note, not data: one that does not have the expected shape is dropped, never an error. */
function parseRefusal(value: unknown): Refusal | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.error !== "string" || typeof v.at !== "string") return undefined;
  const out: Refusal = { error: v.error, at: v.at };
  if (typeof v.description === "string") out.description = v.description;
  return out;
}

/**
 * Serializes rows as the Rust `pup` does: pretty JSON, `org_uuid` omitted when absent; our
 * `org_name` and `refused` note last, only when present.
 */
export function serializeSessions(rows: readonly SessionRow[]): string {
  return JSON.stringify(
    rows.map((r) => {
      const out: SessionRow = { site: r.site, org: r.org };
      if (r.org_uuid) out.org_uuid = r.org_uuid;
      if (r.org_name) out.org_name = r.org_name;
      if (r.refused) out.refused = r.refused;
      return out;
    }),
    null,
    2,
  );
}

/** Normalizes an org label: empty means the default session. */
function sameOrg(a: string | null, b: string | null): boolean {
  return (a || null) === (b || null);
}

/** Removes every row with the row's org, whatever the site, then appends it (ref §1.5 upsert). */
export function upsertSession(rows: readonly SessionRow[], row: SessionRow): SessionRow[] {
  return [...rows.filter((r) => !sameOrg(r.org, row.org)), row];
}

/** Removes every row with `org` (site ignored, ref §1.5). */
export function removeSession(rows: readonly SessionRow[], org: string | null): SessionRow[] {
  return rows.filter((r) => !sameOrg(r.org, org));
}

/**
 * After a bare login on `site`, removes the other default rows (ref §1.5 prune).
 *
 * @returns the kept rows and the sites whose default row was removed
 */
export function pruneDefaultSessions(
  rows: readonly SessionRow[],
  site: string,
): { rows: SessionRow[]; removedSites: string[] } {
  const removedSites: string[] = [];
  const kept = rows.filter((r) => {
    if (r.org === null && r.site !== site) {
      removedSites.push(r.site);
      return false;
    }
    return true;
  });
  return { rows: kept, removedSites };
}

/** The first row for `org` (null for the default session). */
export function findSession(
  rows: readonly SessionRow[],
  org: string | null,
): SessionRow | undefined {
  return rows.find((r) => sameOrg(r.org, org));
}

/** The distinct sites of named rows for `org` (more than one means ambiguous). */
export function sitesForOrg(rows: readonly SessionRow[], org: string): string[] {
  return [...new Set(rows.filter((r) => r.org === org).map((r) => r.site))].sort();
}

/** The distinct sites that have a default (unnamed) row, sorted. */
export function defaultSessionSites(rows: readonly SessionRow[]): string[] {
  return [...new Set(rows.filter((r) => r.org === null).map((r) => r.site))].sort();
}

/** The `sessions.json` file of one config dir. */
export class SessionsRegistry {
  /** The file path. */
  readonly path: string;
  readonly #configDir: string;

  constructor(configDir: string) {
    this.#configDir = configDir;
    this.path = `${configDir}/sessions.json`;
  }

  /** Reads every row; a missing file is an empty list. */
  async read(): Promise<SessionRow[]> {
    const text = await readStoreFile(this.path);
    return text === undefined ? [] : parseSessions(text, this.path);
  }

  /**
   * Locks, re-reads, applies `mutate` and writes the rows when they changed.
   *
   * @returns the rows as written
   */
  async update(mutate: (rows: SessionRow[]) => SessionRow[]): Promise<SessionRow[]> {
    // The write machinery loads only when something is written: reads stay lean (start-up).
    const { atomicWrite, ensureLocksDir, removeStaleTemps, withLock } = await writeMachinery();
    const locks = await ensureLocksDir(this.#configDir);
    return await withLock(`${locks}/sessions.lock`, async () => {
      const before = await this.read();
      await removeStaleTemps(this.path);
      const after = mutate([...before]);
      const text = serializeSessions(after);
      if (text !== serializeSessions(before)) await atomicWrite(this.path, text);
      return after;
    });
  }
}
