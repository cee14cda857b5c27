/**
 * A note, left beside a session's refresh lock, that a refresh has sent its refresh token and
 * not yet saved what came back. The server rotates refresh tokens, so if the process dies (or
 * the store fails) between the token answer and the save, the stored refresh token is spent: the
 * next refresh's `invalid_grant` can then say what happened instead of a vague "refused". The
 * note holds a SHA-256 prefix of the token, never the token.
 *
 * @module
 */

import { refreshLockPath } from "../storage/lock.ts";

/** An unfinished refresh, as read back. */
export interface RefreshMark {
  /** When it sent its request (RFC 3339). */
  startedAt: string;
  /** Whether it started from the refresh token given to `readRefreshMark`. */
  sameToken: boolean;
}

function markPath(configDir: string, site: string, key: string): string {
  return refreshLockPath(configDir, site, key).replace(/\.lock$/, ".pending");
}

async function fingerprint(token: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  return new Uint8Array(digest).subarray(0, 16).toHex();
}

/**
 * Reads the note of an earlier refresh of this session that never finished, if any.
 *
 * @param configDir the config dir (the note lives in `locks/`)
 * @param site the session's site
 * @param key the session's org key
 * @param refreshToken the stored refresh token, compared by fingerprint
 * @returns the note, or undefined when there is none or it cannot be read
 */
export async function readRefreshMark(
  configDir: string,
  site: string,
  key: string,
  refreshToken: string,
): Promise<RefreshMark | undefined> {
  try {
    const v = JSON.parse(await Deno.readTextFile(markPath(configDir, site, key)));
    if (typeof v?.from !== "string" || typeof v?.started_at !== "string") return undefined;
    return { startedAt: v.started_at, sameToken: v.from === await fingerprint(refreshToken) };
  } catch {
    return undefined;
  }
}

/**
 * Notes that a refresh from `refreshToken` is about to be sent; best effort (a full disk must
 * not stop the refresh itself).
 *
 * @param configDir the config dir
 * @param site the session's site
 * @param key the session's org key
 * @param refreshToken the refresh token being spent
 * @param nowMs the clock
 */
export async function writeRefreshMark(
  configDir: string,
  site: string,
  key: string,
  refreshToken: string,
  nowMs: number,
): Promise<void> {
  const text = JSON.stringify({
    from: await fingerprint(refreshToken),
    started_at: new Date(nowMs).toISOString(),
  });
  await Deno.writeTextFile(markPath(configDir, site, key), text, { mode: 0o600 }).catch(() => {});
}

/**
 * Removes the note once the refresh's result is saved (or the session is gone); best effort.
 *
 * @param configDir the config dir
 * @param site the session's site
 * @param key the session's org key
 */
export async function clearRefreshMark(
  configDir: string,
  site: string,
  key: string,
): Promise<void> {
  await Deno.remove(markPath(configDir, site, key)).catch(() => {});
}
