/**
 * Flag definitions shared by several commands.
 *
 * @module
 */

/** `--site`: the site for this command (the same as `DD_SITE`; on login and status it wins). */
export const siteFlag = {
  kind: "parsed",
  parse: String,
  brief: "Datadog site, e.g. datadoghq.eu (overrides DD_SITE)",
  optional: true,
  placeholder: "site",
} as const;

/** `--trust-site`: allow sending credentials to a non-Datadog host for this invocation. */
export const trustSiteFlag = {
  kind: "boolean",
  brief: "Allow sending credentials to a non-Datadog host (this invocation)",
  optional: true,
} as const;

/**
 * Parses a whole number flag value, refusing anything else with the rule (not `NaN`).
 *
 * @param raw what the user typed
 * @returns the number
 * @throws {SyntaxError} saying the value must be a whole number, quoting it
 */
export function wholeNumber(raw: string): number {
  if (!/^\d{1,9}$/.test(raw.trim())) {
    throw new SyntaxError(`it must be a whole number such as 10, got "${raw}"`);
  }
  return Number(raw.trim());
}
