/**
 * The one place that decides what text from outside (a server, a store, the environment) may
 * reach a terminal or a header: control and bidi characters stripped, known secrets redacted,
 * length bounded; and the one test for a secret that carries characters no header may hold.
 *
 * @module
 */

import { UsageError } from "./errors.ts";

// C0 controls, DEL, C1 controls, and the bidi marks, embeddings, overrides and isolates that can
// make a terminal show text in another order than it is (Trojan Source, CVE-2021-42574).
// deno-lint-ignore no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
// deno-lint-ignore no-control-regex
const UNSAFE_RUNS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]+/g;

/** What replaces a redacted secret. */
export const REDACTED = "[redacted]";

/** Secrets shorter than this are not redacted: they would match ordinary words. */
const MIN_SECRET_LENGTH = 4;

/**
 * Whether text holds a control or bidi character.
 *
 * @param text any text
 * @returns true when {@link stripUnsafe} would change more than whitespace runs
 */
export function hasUnsafeChars(text: string): boolean {
  return UNSAFE.test(text);
}

/**
 * Replaces every run of control and bidi characters with one space.
 *
 * @param text text from a server, a store or the environment
 * @returns the text, safe to print on a terminal
 */
export function stripUnsafe(text: string): string {
  return text.replace(UNSAFE_RUNS, " ");
}

/**
 * Replaces each known secret in `text` with `[redacted]`.
 *
 * @param text any text
 * @param secrets every secret pup holds at that point (tokens, keys, client secret, code)
 * @returns the text without them
 */
export function redactSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  let s = text;
  // Longest first, so a secret that contains another is redacted whole.
  const sorted = secrets.filter((x): x is string => !!x && x.length >= MIN_SECRET_LENGTH)
    .sort((a, b) => b.length - a.length);
  for (const secret of sorted) s = s.replaceAll(secret, REDACTED);
  return s;
}

/**
 * Server or store text made fit for a terminal: secrets redacted (before stripping, so a secret
 * cannot hide behind a control character), control and bidi characters replaced by spaces,
 * trimmed, and cut at `max` characters.
 *
 * @param text the text as received
 * @param opts secrets to redact and the length cap (default 500)
 * @returns the cleaned text
 */
export function cleanText(
  text: string,
  opts: { secrets?: readonly (string | undefined)[]; max?: number } = {},
): string {
  const max = opts.max ?? 500;
  const s = stripUnsafe(redactSecrets(text, opts.secrets ?? [])).trim();
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/**
 * Refuses a secret (token, key, client id or secret) that holds control characters or
 * surrounding whitespace: it would break the header it goes into, and the runtime's error
 * would quote it.
 *
 * @param value the secret
 * @param what where it came from, e.g. `DD_API_KEY` or `the token endpoint's access_token`
 * @returns the value unchanged when it is clean
 * @throws {UsageError} naming `what` (never the value) otherwise (exit 2)
 */
export function checkSecret(value: string, what: string): string {
  if (hasUnsafeChars(value) || value.trim() !== value) {
    throw new UsageError(
      `${what} contains control characters or surrounding whitespace, so pup will not use it; set it again without them`,
    );
  }
  return value;
}
