/**
 * The one table from conditions to exit codes (SPEC §2): 0 success, 1 error, 2 usage error,
 * 3 not authenticated or expired and not refreshable, 130 interrupted.
 *
 * @module
 */

import { PupError } from "../errors.ts";

/** Exit codes by name. */
export const EXIT = { ok: 0, error: 1, usage: 2, auth: 3, interrupted: 130 } as const;

const BY_CODE: Record<string, number> = {
  USAGE: EXIT.usage,
  AUTH_REQUIRED: EXIT.auth,
  INTERRUPTED: EXIT.interrupted,
};

/**
 * Maps a thrown value to an exit code.
 *
 * @param err what a command threw
 * @returns the exit code
 */
export function exitCodeFor(err: unknown): number {
  if (err instanceof PupError) return BY_CODE[err.code] ?? EXIT.error;
  return EXIT.error;
}

/**
 * Formats an error for stderr: `Error: <message>`, never a stack or a response body.
 *
 * @param err what a command threw
 */
export function formatError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return `Error: ${message}\n`;
}
