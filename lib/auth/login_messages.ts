/**
 * What a login says about its outcome: the org the server put the user in, and a callback that
 * carried an OAuth error.
 *
 * @module
 */

import { OAuthError } from "../errors.ts";
import { stripUnsafe } from "../sanitize.ts";

/**
 * The line naming the org the server logged into, so an unexpected one is visible.
 *
 * @param name the callback's `dd_org_name`, already cleaned
 * @param uuid the org UUID, if known
 * @returns e.g. `Org: Acme (3fa85f64-…)`
 */
export function orgLine(name: string | undefined, uuid: string | null): string {
  if (!name && !uuid) return "Org: not reported by the server (check it with 'pup auth status')";
  const n = name ? stripUnsafe(name) : "(name not reported)";
  return `Org: ${n}${uuid ? ` (${stripUnsafe(uuid)})` : ""}`;
}

/** The error of a callback that carried `error` (with this login's state). */
export function callbackError(error: string, description: string | undefined): OAuthError {
  const next = error === "invalid_scope"
    ? "Ask for other scopes: adjust --scopes, --extra-scopes or the scopes in config.yaml, then run 'pup auth login' again"
    : error === "access_denied"
    ? "The authorization was denied in the browser: run 'pup auth login' to try again"
    : "Run 'pup auth login' to try again";
  const text = description ? `${error}: ${description}` : error;
  return new OAuthError(
    error,
    `OAuth error: ${text}${/[.!?]$/.test(text) ? "" : "."} ${next}`,
    { description },
  );
}
