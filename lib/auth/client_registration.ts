/**
 * The site's DCR client for a login (SPEC §4 step 1): the stored one when the server still
 * accepts it, else a new registration. Concurrent logins on one site take a registration lock
 * and re-read the store under it, so the first registers and stores the client at once and the
 * others wait and reuse it: one registration per site, whatever the concurrency (issue 13 #2).
 *
 * @module
 */

import type { Endpoints } from "../config/endpoints.ts";
import type { Deps } from "../deps.ts";
import { ensureLocksDir, registrationLockPath, withLock } from "../storage/lock.ts";
import type { ClientCredentials, SiteStateStore } from "../storage/types.ts";
import { DEFAULT_ORG_KEY } from "../storage/types.ts";
import { redirectUriFor } from "./callback_handler.ts";
import { DCR_REDIRECT_PORTS } from "./callback_handler.ts";
import { stripUnsafe } from "../sanitize.ts";
import { loginCommand } from "./login_command.ts";
import { DCR_CLIENT_NAME, registerClient } from "./oauth_client.ts";

/** What `ensureClient` needs. */
export interface EnsureClientOptions {
  site: string;
  /** The org logging in: not listed among the sessions that need their own login. */
  org: string | null;
  endpoints: Pick<Endpoints, "registerUrl" | "insecure">;
  store: SiteStateStore;
  /** The callback port this login listens on. */
  port: number;
  /** Races the registration against Ctrl-C. */
  interruptible: <T>(step: Promise<T>) => Promise<T>;
}

/**
 * Why the stored client cannot be used, or undefined when it can.
 *
 * @param stored the site's stored client
 * @param port this login's callback port
 * @returns the reason shown in the "Re-registering" line
 */
export function replaceReason(stored: ClientCredentials | null, port: number): string | undefined {
  if (!stored) return undefined;
  if (stored.client_name !== DCR_CLIENT_NAME) return "name changed";
  if (stored.rejected_at !== undefined) {
    return `the server refused client ${stored.client_id} on ${
      new Date(stored.rejected_at * 1000).toISOString()
    } (invalid_client)`;
  }
  // A Rust `pup` client lists only the port it was registered on (ref §12.12); another of
  // the four would be refused by the server, so such a client is replaced.
  const uri = redirectUriFor(port);
  if (DCR_REDIRECT_PORTS.includes(port) && !stored.redirect_uris.includes(uri)) {
    return `${uri} is not registered`;
  }
  return undefined;
}

/**
 * Returns the site's client, registering (and storing) one when there is none usable.
 *
 * @param deps fetch, clock, configDir, stderr
 * @param o the site, store, port and interruption
 * @returns the client and whether this call registered it
 * @throws {OAuthError} when the registration fails; nothing is stored then
 * @see RFC 7591 §3 (dynamic registration), §3.2.1 (the client is reused until re-registered)
 */
export async function ensureClient(
  deps: Pick<Deps, "fetch" | "clock" | "configDir" | "io">,
  o: EnsureClientOptions,
): Promise<{ client: ClientCredentials; registered: boolean }> {
  const err = deps.io.err;
  await ensureLocksDir(deps.configDir);
  return await withLock(registrationLockPath(deps.configDir, o.site), async () => {
    // Re-read under the lock (bypassing any cache): another login may have just registered.
    const stored = (await o.store.readLatest(o.site)).client;
    const reason = replaceReason(stored, o.port);
    if (stored && reason === undefined) {
      err.write(`✓ Using existing client registration\n`);
      return { client: stored, registered: false };
    }
    err.write(
      !stored
        ? `📝 Registering new OAuth2 client...\n`
        : `📝 Re-registering OAuth2 client (${reason})...\n`,
    );
    const client = await o.interruptible(registerClient(deps, {
      registerUrl: o.endpoints.registerUrl,
      site: o.site,
      insecure: o.endpoints.insecure,
    }));
    // Stored now, so logins waiting on the lock reuse it instead of registering their own.
    const after = await o.store.update(o.site, (s) => ({ ...s, client }));
    err.write(`✓ Registered client: ${stripUnsafe(client.client_id)}\n`);
    if (stored) {
      const others = Object.entries(after.tokens)
        .filter(([k, t]) => t.client_id === stored.client_id && k !== (o.org ?? DEFAULT_ORG_KEY))
        .map(([k]) => `'${loginCommand({ site: o.site, org: k === DEFAULT_ORG_KEY ? null : k })}'`);
      if (others.length > 0) {
        err.write(
          `⚠️  These sessions on ${o.site} were issued to the old client and need their own login: ${
            others.join(", ")
          }\n`,
        );
      }
    }
    return { client, registered: true };
  });
}
