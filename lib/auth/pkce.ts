/**
 * PKCE code verifier and challenge, and the OAuth `state`, built as the Rust `pup` builds them
 * (ref §6): random bytes, base64url without padding, truncated. Randomness is injected so tests
 * can pin it; production passes a CSPRNG (`crypto.getRandomValues`).
 *
 * @module
 */

/** Length of the code verifier: the RFC 7636 maximum, as the Rust `pup` uses. */
export const CODE_VERIFIER_LENGTH = 128;

/** Length of the OAuth `state`, as the Rust `pup` uses. */
export const STATE_LENGTH = 32;

// RFC 7636 §4.1: code_verifier = 43*128unreserved; we only ever make the base64url subset.
const VERIFIER_SYNTAX = /^[A-Za-z0-9\-._~]{43,128}$/;

/**
 * Makes a fresh PKCE code verifier: 128 characters of `[A-Za-z0-9_-]`.
 *
 * Every character is exactly one base64url digit of 6 fresh random bits, so the characters
 * are uniform over the 64-letter alphabet (no modulo bias).
 *
 * @param random returns `n` bytes from a CSPRNG
 * @returns the verifier, 128 characters long
 * @throws {RangeError} when `random` returns fewer bytes than asked for
 * @see RFC 7636 §4.1 (code_verifier) and §7.1 (entropy)
 */
export function generateCodeVerifier(random: (n: number) => Uint8Array): string {
  return randomBase64Url(random, CODE_VERIFIER_LENGTH);
}

/**
 * Makes a fresh OAuth `state`: 32 characters of `[A-Za-z0-9_-]` (192 random bits).
 *
 * @param random returns `n` bytes from a CSPRNG
 * @returns the state, 32 characters long
 * @throws {RangeError} when `random` returns fewer bytes than asked for
 * @see RFC 6749 §10.12 (CSRF protection with `state`)
 */
export function generateState(random: (n: number) => Uint8Array): string {
  return randomBase64Url(random, STATE_LENGTH);
}

/**
 * Computes the S256 code challenge: `BASE64URL(SHA256(ASCII(verifier)))`, without padding.
 *
 * @param verifier a code verifier (43 to 128 unreserved characters)
 * @returns the challenge, 43 characters long
 * @throws {TypeError} when `verifier` is not a valid RFC 7636 code verifier
 * @see RFC 7636 §4.2 (S256) and Appendix B (worked example)
 */
export async function computeCodeChallenge(verifier: string): Promise<string> {
  if (!VERIFIER_SYNTAX.test(verifier)) {
    throw new TypeError(
      "Cannot compute a PKCE challenge: the code verifier must be 43 to 128 characters of " +
        "A-Z, a-z, 0-9, '-', '.', '_' or '~'",
    );
  }
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return new Uint8Array(digest).toBase64({ alphabet: "base64url", omitPadding: true });
}

function randomBase64Url(random: (n: number) => Uint8Array, length: number): string {
  // One byte more than the 6-bit groups need, as ref §6 does (97 bytes for 128 characters).
  const wanted = Math.ceil((length * 3) / 4) + 1;
  const bytes = random(wanted);
  if (!(bytes instanceof Uint8Array) || bytes.length < wanted) {
    throw new RangeError(
      `The random source returned ${bytes?.length ?? 0} bytes where ${wanted} were needed`,
    );
  }
  return bytes.subarray(0, wanted).toBase64({ alphabet: "base64url", omitPadding: true })
    .slice(0, length);
}
