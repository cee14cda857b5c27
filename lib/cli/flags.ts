/**
 * Flag definitions shared by several commands.
 *
 * @module
 */

/** `--trust-site`: allow sending credentials to a non-Datadog host for this invocation. */
export const trustSiteFlag = {
  kind: "boolean",
  brief: "Allow sending credentials to a non-Datadog host (this invocation)",
  optional: true,
} as const;
