/**
 * The per-session note of the last refusal (SPEC §5.3 extra field `refused`): written when the
 * token endpoint answers `invalid_grant` or `invalid_client`, or when new tokens could not be
 * saved; read by `auth status` and `auth list` without a network call; removed by the next
 * successful refresh or login. Best effort: the note never turns a result into an error.
 *
 * @module
 */

import type { Refusal, SessionRow, SessionsRegistry } from "../storage/sessions.ts";

/** Which session a note belongs to. */
export interface SessionKey {
  site: string;
  org: string | null;
}

function isSession(r: SessionRow, s: SessionKey): boolean {
  return r.site === s.site && (r.org || null) === (s.org || null);
}

/**
 * Finds the note of a session among rows already read.
 *
 * @param rows the `sessions.json` rows
 * @param s the session
 * @returns the note, or undefined
 */
export function refusalOf(rows: readonly SessionRow[], s: SessionKey): Refusal | undefined {
  return rows.find((r) => isSession(r, s))?.refused;
}

/**
 * Records a refusal on the session's row (a session without a row gets no note).
 *
 * @param registry `sessions.json`
 * @param s the session
 * @param refusal what was refused and when
 * @returns nothing; never throws
 * @see RFC 6749 §5.2 (the error codes noted)
 */
export async function noteRefusal(
  registry: Pick<SessionsRegistry, "update">,
  s: SessionKey,
  refusal: Refusal,
): Promise<void> {
  const note: Refusal = { ...refusal };
  if (note.description !== undefined) note.description = note.description.slice(0, 300);
  await registry.update((rows) => rows.map((r) => isSession(r, s) ? { ...r, refused: note } : r))
    .catch(() => {});
}

/**
 * Removes the session's note, writing only when there is one.
 *
 * @param registry `sessions.json`
 * @param s the session
 * @returns nothing; never throws
 */
export async function clearRefusal(
  registry: Pick<SessionsRegistry, "read" | "update">,
  s: SessionKey,
): Promise<void> {
  try {
    if (!refusalOf(await registry.read(), s)) return;
    await registry.update((rows) =>
      rows.map((r) => {
        if (!isSession(r, s) || !r.refused) return r;
        const { refused: _, ...rest } = r;
        return rest;
      })
    );
  } catch {
    // A note that cannot be removed now is removed by the next success.
  }
}
