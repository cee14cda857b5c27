/**
 * The stored shapes, exactly as the Rust `pup` reads and writes them (ref §3), plus the
 * per-site state every backend keeps and the interface a backend implements.
 *
 * @module
 */

/** One session's tokens (ref §3). Field order is the Rust `pup`'s; `expires_at` is ours. */
export interface TokenSet {
  access_token: string;
  refresh_token: string;
  token_type: string;
  /** Seconds; always an integer. */
  expires_in: number;
  /** RFC 3339 UTC; a convenience only: expiry is computed from `issued_at + expires_in`. */
  expires_at?: string;
  /** Unix seconds, client clock; always an integer. */
  issued_at: number;
  scope: string;
  client_id: string;
}

/** How the client authenticates at the token endpoint (RFC 7591 §2). */
export type TokenEndpointAuthMethod = "none" | "client_secret_post" | "client_secret_basic";

/** The DCR client of one site (ref §1.4), plus the secret and method when the server issued one. */
export interface ClientCredentials {
  client_id: string;
  client_name: string;
  redirect_uris: string[];
  registered_at: number;
  site: string;
  client_secret?: string;
  token_endpoint_auth_method?: TokenEndpointAuthMethod;
  /**
   * Unix seconds when the token endpoint answered `invalid_client` for this client: the server
   * no longer knows it, so the next login registers a new one. An extra field the Rust `pup`
   * ignores when it reads.
   */
  rejected_at?: number;
}

/** Everything stored for one site: tokens keyed by org (`__default__` for none) and the client. */
export interface SiteState {
  tokens: Record<string, TokenSet>;
  client: ClientCredentials | null;
}

/** The org-map key of the unnamed session. */
export const DEFAULT_ORG_KEY = "__default__";

/**
 * A backend that holds `SiteState` per site: the file store or a keychain store.
 * Every `update` is a read-modify-write under a cross-process lock for that site.
 */
export interface SiteStateStore {
  /** Stable backend name: "file", "secret-service", "kernel-keyring", "macos-keychain", "windows-credential-manager", "memory". */
  readonly backend: string;
  /** Where the data lives, for humans ("OS keychain (Secret Service)", a directory path). */
  readonly location: string;
  /** Reads one site's state; empty state when nothing is stored. Throws `StorageCorruptError`. */
  read(site: string): Promise<SiteState>;
  /**
   * Reads one site's state as stored now, past any cache: what a command holding a lock reads
   * to see another process's write. Writes are whole (atomic rename, one keychain call, or the
   * Windows journal), so no lock is needed for the read itself.
   */
  readLatest(site: string): Promise<SiteState>;
  /**
   * Locks the site, re-reads it, applies `mutate` and writes the result when it changed.
   * Resolves with the state as written. Content that cannot be parsed is never overwritten.
   */
  update(site: string, mutate: (state: SiteState) => SiteState): Promise<SiteState>;
  /**
   * Proves, before a login sends the user to the browser, that a write of `site` can succeed:
   * the value would fit (its current size plus `addBytes`) and a throwaway entry can be
   * written, read back and removed. Only `auth login` calls it; other commands only read.
   * Throws `StorageUnavailableError` naming the limit or the failure.
   */
  prepareWrite?(site: string, addBytes: number): Promise<void>;
}
