/**
 * Which callback port a login pins (ref §7.1): `--callback-port` first, then
 * `PUP_OAUTH_CALLBACK_PORT` (empty counts as unset), else none and the four are scanned.
 *
 * @module
 */

import { type CallbackPortSource, parseCallbackPort } from "./callback_server.ts";

/**
 * Resolves the pinned callback port.
 *
 * @param flag the `--callback-port` text, if given
 * @param env the environment snapshot (`PUP_OAUTH_CALLBACK_PORT`)
 * @returns the pinned port and where it came from, or undefined to scan the four ports
 * @throws {UsageError} when the value is not a number or not one of 8000, 8080, 8888, 9000
 * @see RFC 8252 §7.3 (loopback redirect), RFC 7591 §2 (registered redirect_uris)
 */
export function resolvePinnedPort(
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): { port: number; source: CallbackPortSource } | undefined {
  if (flag !== undefined) {
    return { port: parseCallbackPort(flag.trim(), "--callback-port"), source: "--callback-port" };
  }
  const value = env.PUP_OAUTH_CALLBACK_PORT;
  if (value === undefined || value === "") return undefined;
  return {
    port: parseCallbackPort(value, "PUP_OAUTH_CALLBACK_PORT"),
    source: "PUP_OAUTH_CALLBACK_PORT",
  };
}
