/**
 * The one command that logs a session in again, naming the session's own org and site, so every
 * hint can be pasted as it is, whatever `DD_SITE` or `config.yaml` say in the shell that reads it.
 *
 * @module
 */

/**
 * Builds `pup auth login [--org X] --site Y` for a session.
 *
 * @param session the session's site and org (null or empty: the default session)
 * @returns the command, e.g. `pup auth login --org prod --site datadoghq.eu`
 * @see RFC 6749 §4.1 (the authorization code grant the command starts)
 */
export function loginCommand(session: { site: string; org: string | null | undefined }): string {
  return `pup auth login${session.org ? ` --org ${quoteArg(session.org)}` : ""} --site ${
    quoteArg(session.site)
  }`;
}

/** Quotes an argument for a POSIX shell when it holds anything but plain characters. */
function quoteArg(value: string): string {
  return /^[A-Za-z0-9._:@%+=\/-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}
