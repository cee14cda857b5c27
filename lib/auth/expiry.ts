/**
 * Token expiry, computed as the Rust `pup` does from `issued_at + expires_in` (ref §3), with the
 * 5-minute safety margin that drives refresh, status and list.
 *
 * @module
 */

import type { TokenSet } from "../storage/types.ts";

/** A token needs refresh when fewer than this many seconds remain. */
export const REFRESH_MARGIN_SECONDS = 300;

/** Milliseconds since the epoch at which the access token expires. */
export function expiresAtMs(t: TokenSet): number {
  return (t.issued_at + t.expires_in) * 1000;
}

/** Whether the access token should be refreshed before use (under 5 minutes left). */
export function needsRefresh(t: TokenSet, nowMs: number): boolean {
  return nowMs >= expiresAtMs(t) - REFRESH_MARGIN_SECONDS * 1000;
}

/**
 * Formats an instant as RFC 3339 in the local time zone, as the Rust `pup` displays expiry
 * (`2026-06-16T19:16:51-07:00`).
 */
export function formatLocalRfc3339(ms: number): string {
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return "unknown";
  const offsetMin = -d.getTimezoneOffset();
  const p = (n: number, w = 2) => String(Math.abs(n)).padStart(w, "0");
  const sign = offsetMin >= 0 ? "+" : "-";
  const tz = offsetMin === 0
    ? "Z"
    : `${sign}${p(Math.trunc(Math.abs(offsetMin) / 60))}:${p(Math.abs(offsetMin) % 60)}`;
  return `${p(d.getFullYear(), 4)}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${
    p(d.getMinutes())
  }:${p(d.getSeconds())}${tz}`;
}

/** Formats a duration as the Rust `pup` does: `12m3s`, `1h2m`, `45s`. */
export function formatRemaining(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}h${m}m`;
  return `${m}m${s}s`;
}

/** Where an access token stands: usable, inside the refresh window, or past its expiry. */
export type TokenStanding = "valid" | "expiring" | "expired";

/**
 * Says where an access token stands, in the words status, list and errors all use: "expired"
 * only once it is, "expiring in 4m" inside the 5-minute refresh window.
 *
 * @param t the token set
 * @param nowMs the current time
 * @returns the standing and a phrase: `valid for 58m0s`, `expiring in 4m0s`, `expired 3m0s ago`
 */
export function describeExpiry(
  t: TokenSet,
  nowMs: number,
): { standing: TokenStanding; phrase: string } {
  const left = expiresAtMs(t) - nowMs;
  if (left <= 0) return { standing: "expired", phrase: `expired ${formatRemaining(-left)} ago` };
  if (needsRefresh(t, nowMs)) {
    return { standing: "expiring", phrase: `expiring in ${formatRemaining(left)}` };
  }
  return { standing: "valid", phrase: `valid for ${formatRemaining(left)}` };
}
