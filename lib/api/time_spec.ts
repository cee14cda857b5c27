/**
 * Times on the command line (`--from`, `--to`): `now`, a relative time in the past (`15m`,
 * `1h`, `2d`, `1w`, also written `now-15m`), unix seconds, or RFC 3339
 * (`2026-01-15T10:00:00Z`, or a bare date meaning midnight UTC).
 *
 * @module
 */

import { UsageError } from "../errors.ts";

const UNIT_MS: Record<string, number> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

// 9999-12-31T23:59:59Z: anything later is almost surely milliseconds typed as seconds.
const MAX_UNIX_SECONDS = 253_402_300_799;

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * Parses one time.
 *
 * @param text what the user typed
 * @param nowMs the current time
 * @param flag the flag name, for the message (e.g. `--from`)
 * @returns milliseconds since the epoch
 * @throws {UsageError} naming the accepted forms
 * @see RFC 3339 §5.6
 */
export function parseTimeSpec(text: string, nowMs: number, flag: string): number {
  const t = text.trim();
  if (t.toLowerCase() === "now") return nowMs;
  const rel = /^(?:now-|-)?(\d{1,9})([smhdw])$/i.exec(t);
  if (rel) return nowMs - Number(rel[1]) * UNIT_MS[rel[2].toLowerCase()];
  if (/^\d{1,15}$/.test(t)) {
    const seconds = Number(t);
    if (seconds > MAX_UNIX_SECONDS) {
      throw new UsageError(
        `${flag} "${text}" is too large for unix seconds: give seconds, not milliseconds`,
      );
    }
    return seconds * 1000;
  }
  if (RFC3339.test(t) || /^\d{4}-\d{2}-\d{2}$/.test(t)) {
    const ms = Date.parse(t.length === 10 ? `${t}T00:00:00Z` : t.replace(" ", "T"));
    if (!Number.isNaN(ms)) return ms;
  }
  throw new UsageError(
    `${flag} "${text}" is not a time: use now, a relative time such as 15m, 1h or 2d, unix seconds, or RFC 3339 such as 2026-01-15T10:00:00Z`,
  );
}

/**
 * Parses a `--from`/`--to` pair.
 *
 * @param from the start
 * @param to the end
 * @param nowMs the current time
 * @returns both in milliseconds since the epoch
 * @throws {UsageError} for a bad time, or a start that is not before the end
 */
export function parseTimeRange(
  from: string,
  to: string,
  nowMs: number,
): { fromMs: number; toMs: number } {
  const fromMs = parseTimeSpec(from, nowMs, "--from");
  const toMs = parseTimeSpec(to, nowMs, "--to");
  if (fromMs >= toMs) {
    throw new UsageError(
      `--from "${from}" is not before --to "${to}": give a start earlier than the end`,
    );
  }
  return { fromMs, toMs };
}
