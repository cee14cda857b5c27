/**
 * Named error classes for conditions callers handle. Each has a stable `code`; `lib/cli`
 * maps codes to exit codes in one table. Bad input that is not a domain condition uses the
 * built-in `TypeError`, `RangeError` or `SyntaxError`.
 *
 * @module
 */

/** Base of every pup error: a stable `code` and a message that says what to do next. */
export class PupError extends Error {
  /** Stable machine-readable code. */
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = this.constructor.name;
    this.code = code;
  }
}

/** The command line itself is wrong (exit 2). */
export class UsageError extends PupError {
  constructor(message: string, options?: ErrorOptions) {
    super("USAGE", message, options);
  }
}

/** No usable credentials: not logged in, or expired and not refreshable (exit 3). */
export class AuthRequiredError extends PupError {
  constructor(message: string, options?: ErrorOptions) {
    super("AUTH_REQUIRED", message, options);
  }
}

/** A store holds content pup cannot parse; it was left untouched (exit 1). */
export class StorageCorruptError extends PupError {
  /** The file path or keychain entry that could not be parsed. */
  readonly location: string;
  constructor(location: string, message: string, options?: ErrorOptions) {
    super("STORAGE_CORRUPT", message, options);
    this.location = location;
  }
}

/** A store cannot be used right now: locked, missing tool, over a size limit (exit 1). */
export class StorageUnavailableError extends PupError {
  constructor(message: string, options?: ErrorOptions) {
    super("STORAGE_UNAVAILABLE", message, options);
  }
}

/** The OAuth `state` did not match: possible CSRF (exit 1). */
export class StateMismatchError extends PupError {
  constructor(message = "state parameter mismatch (CSRF protection)") {
    super("STATE_MISMATCH", message);
  }
}

/** The authorization server or token endpoint answered with an OAuth error (exit 1). */
export class OAuthError extends PupError {
  /** The server's `error` value, e.g. `invalid_grant`. */
  readonly error: string;
  /** The server's `error_description`, if any. */
  readonly description?: string;
  /** The HTTP status, when the error came from an HTTP response. */
  readonly status?: number;
  constructor(
    error: string,
    message: string,
    opts: { description?: string; status?: number; cause?: unknown } = {},
  ) {
    super("OAUTH_ERROR", message, { cause: opts.cause });
    this.error = error;
    this.description = opts.description;
    this.status = opts.status;
  }
}

/** A Datadog API call failed (exit 1, or 3 for 401/403 via `AuthRequiredError`). */
export class ApiError extends PupError {
  readonly status?: number;
  constructor(message: string, opts: { status?: number; cause?: unknown } = {}) {
    super("API_ERROR", message, { cause: opts.cause });
    this.status = opts.status;
  }
}

/** The user pressed Ctrl-C (exit 130). */
export class InterruptedError extends PupError {
  constructor(message = "interrupted") {
    super("INTERRUPTED", message);
  }
}
