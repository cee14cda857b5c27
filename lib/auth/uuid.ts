/**
 * The one check of an org UUID (`--org-uuid`, the callback's `dd_oid`, a remembered row).
 *
 * @module
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Whether `value` is a UUID in its 8-4-4-4-12 hex form (either case).
 *
 * @param value the text
 * @see RFC 9562 §4
 */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
