/**
 * What a refresh that did not end with a usable, saved token says (SPEC §5.2; issue 13): every
 * message names the session, where its access token stands ("expired" only once it is), the
 * cause, and the exact command that logs this session in again (`--org` and `--site`).
 *
 * @module
 */

import { AuthRequiredError, OAuthError, PupError } from "../errors.ts";
import type { TokenSet } from "../storage/types.ts";
import { describeExpiry } from "./expiry.ts";
import { loginCommand } from "./login_command.ts";

/** The session a message is about. */
export interface RefreshSubject {
  site: string;
  org: string | null;
}

/**
 * Where the access token stands, as the end of a sentence about it: `stays valid for 58m0s`,
 * `is expiring in 4m0s` (inside the refresh window) or `expired 3m0s ago`.
 *
 * @param t the token set
 * @param nowMs the clock
 * @returns the phrase
 */
export function tokenState(t: TokenSet, nowMs: number): string {
  const { standing, phrase } = describeExpiry(t, nowMs);
  return standing === "valid"
    ? `stays ${phrase}`
    : standing === "expiring"
    ? `is ${phrase}`
    : phrase;
}

/** `"datadoghq.com"` or `"datadoghq.com" (org "prod")`. */
export function sessionName(s: RefreshSubject): string {
  return `"${s.site}"${s.org ? ` (org "${s.org}")` : ""}`;
}

function detail(e: OAuthError): string {
  return `${e.error}${e.description ? `: ${e.description}` : ""}`;
}

/**
 * The session was logged out (or replaced) while its refresh was in flight; the new tokens
 * were revoked and dropped.
 *
 * @param s the session
 * @returns an error for exit 3
 */
export function loggedOutDuringRefresh(s: RefreshSubject): AuthRequiredError {
  return new AuthRequiredError(
    `The session ${
      sessionName(s)
    } was logged out while its token was being refreshed; the new tokens were revoked and not saved. Run '${
      loginCommand(s)
    }' to log in again`,
  );
}

/**
 * New tokens that the store would not take, twice: the old refresh token is spent, so only a
 * new login brings the session back.
 *
 * @param s the session
 * @param where the store's location, for humans
 * @param cause the store's error (naming the file or entry)
 * @returns an error for exit 3
 */
export function unsavedRefresh(
  s: RefreshSubject,
  where: string,
  cause: unknown,
): AuthRequiredError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new AuthRequiredError(
    `The session ${
      sessionName(s)
    } needs a new login: the server issued new tokens, but they could not be saved in ${where} (${why}), and the previous refresh token is now spent. Fix the store, then run '${
      loginCommand(s)
    }'`,
    { cause },
  );
}

/**
 * A refresh the token endpoint refused, or that could not reach it.
 *
 * @param s the session
 * @param e what `refreshAccessToken` threw
 * @param t the tokens the refresh started from
 * @param nowMs the clock
 * @param ctx an unfinished earlier refresh (`invalid_grant` then means its token was spent), and
 *   for `invalid_client` the other sessions of the site that used the same client
 * @returns the error to throw, or `e` itself when it is no `PupError`
 * @see RFC 6749 §5.2 (error codes)
 */
export function refreshFailure(
  s: RefreshSubject,
  e: unknown,
  t: TokenSet,
  nowMs: number,
  ctx: { unfinishedSince?: string; siblings?: string[] } = {},
): unknown {
  const login = loginCommand(s);
  const token = `The current access token ${tokenState(t, nowMs)}`;
  if (!(e instanceof PupError)) return e;
  if (!(e instanceof OAuthError)) {
    return new PupError(
      e.code,
      `The refresh of ${sessionName(s)} failed: ${e.message}. ${token}`,
      { cause: e },
    );
  }
  if (e.error === "invalid_grant" && ctx.unfinishedSince) {
    return new AuthRequiredError(
      `The session ${
        sessionName(s)
      } needs a new login: its refresh token was already spent by a refresh started at ${ctx.unfinishedSince} that never saved its result (the process was stopped or the store failed), and the server refused it (${
        detail(e)
      }). Run '${login}'`,
      { cause: e },
    );
  }
  if (e.error === "invalid_grant") {
    return new AuthRequiredError(
      `The server refused to refresh the token of ${sessionName(s)} (${
        detail(e)
      }): the session was revoked or ended at the server. ${token}. Run '${login}' to log in again`,
      { cause: e },
    );
  }
  if (e.error === "invalid_client") {
    const others = (ctx.siblings ?? []).map((org) => `'${loginCommand({ site: s.site, org })}'`);
    return new AuthRequiredError(
      `The server no longer knows the client registration of "${s.site}" (${detail(e)}), so ${
        sessionName(s)
      } cannot be refreshed. Run '${login}': it registers a new client by itself${
        others.length > 0
          ? `. These sessions on "${s.site}" used the same client and need their own login afterwards: ${
            others.join(", ")
          }`
          : ""
      }`,
      { cause: e },
    );
  }
  if (e.error === "network_error") {
    const host = /"([^"]+)"/.exec(e.message)?.[1] ?? s.site;
    const cause = e.cause instanceof Error ? e.cause.message : /failed: (.*?)\. Check/.exec(
      e.message,
    )?.[1] ?? "no answer";
    return new PupError(
      e.code,
      `Could not reach "${host}" to refresh the token of ${
        sessionName(s)
      } (${cause}). ${token}. Check the network connection and try again`,
      { cause: e },
    );
  }
  return new PupError(
    e.code,
    `The refresh of ${sessionName(s)} failed (${
      detail(e)
    }). ${token}. Try again later; if it keeps failing, run '${login}'`,
    { cause: e },
  );
}
