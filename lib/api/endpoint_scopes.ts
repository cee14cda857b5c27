/**
 * The OAuth scope each endpoint pup's own commands call needs (Datadog's API reference), so a
 * 403 can name the scope to add (`pup auth login --extra-scopes monitors_read`) and
 * `pup auth scopes` can say which command lacks one.
 *
 * @module
 */

/** Method, path pattern and scope. */
const TABLE: ReadonlyArray<readonly [string, RegExp, string]> = [
  ["GET", /^\/api\/v1\/monitor(\/[^/]+)?$/, "monitors_read"],
  ["POST", /^\/api\/v2\/logs\/events\/search$/, "logs_read_data"],
  ["GET", /^\/api\/v1\/query$/, "timeseries_query"],
];

/**
 * The scope a call needs, when pup knows it.
 *
 * @param method the HTTP method
 * @param path the path, without query
 */
export function scopeFor(method: string, path: string): string | undefined {
  return TABLE.find(([m, p]) => m === method.toUpperCase() && p.test(path))?.[2];
}
