/**
 * The headless fallback (ref §7.4, §8): when no browser opens, the user finishes the login
 * elsewhere and pastes the redirected address, which fails to load there, into pup's stdin.
 *
 * @module
 */

import { StateMismatchError } from "../errors.ts";
import { type CallbackOutcome, validateCallbackParams } from "./callback_handler.ts";

/** A pasted line that cannot be used; the caller prints the message and reads again. */
export interface InvalidPaste {
  kind: "invalid";
  /** Lower-case, to be shown as `⚠️  {message}. Paste the full callback URL again:`. */
  message: string;
}

/**
 * The instructions printed when the browser cannot be opened or `--no-browser` is given,
 * exactly as the Rust `pup` prints them (ref §8), with a leading and a trailing newline so
 * the text can be written to stderr as is.
 *
 * @param redirectUri this login's redirect URI
 * @returns the instruction text
 * @see RFC 8252 §7.3
 */
export function PASTE_INSTRUCTIONS(redirectUri: string, asked: boolean): string {
  return `
${
    asked
      ? "You asked not to open a browser here (--no-browser)."
      : "No browser could be opened here."
  } To complete login:
  1. Open the URL below in a browser (any machine) and authorize.
  2. The browser is sent to ${redirectUri}?...
     and may fail to load it (expected). Copy that whole URL from the
     address bar.
  3. Paste it below and press Enter.
`;
}

/**
 * Parses one pasted line. Any scheme and host are accepted; only the query matters
 * (ref §7.4). A line with `error`, or with both `code` and `state`, is judged like a
 * callback request: a wrong or missing `state` ends the login, since the user pasted it.
 *
 * @param line the line as read (surrounding whitespace is ignored)
 * @param state this flow's `state`
 * @returns the outcome, or `invalid` with a message when the line is not usable
 * @throws {StateMismatchError} when the pasted `state` is not this flow's
 * @see RFC 6749 §4.1.2, §10.12
 */
export function parsePastedCallback(line: string, state: string): CallbackOutcome | InvalidPaste {
  let url: URL;
  try {
    url = new URL(line.trim());
  } catch {
    // The URL parser's own message repeats the input, which may hold a code; say what to do.
    return {
      kind: "invalid",
      message: "not a valid URL: paste the whole address, starting with http://",
    };
  }
  const params = url.searchParams;
  if (!params.has("error") && !(params.has("code") && params.has("state"))) {
    return { kind: "invalid", message: "URL is missing 'code' and 'state' query parameters" };
  }
  const verdict = validateCallbackParams(params, state);
  if (verdict.kind !== "rejected") return verdict;
  if (verdict.badState) throw new StateMismatchError();
  return { kind: "invalid", message: "URL repeats the 'code' or 'error' query parameter" };
}
