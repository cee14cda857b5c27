import assert from "node:assert/strict";
import { calculatePKCECodeChallenge } from "oauth4webapi";
import { computeCodeChallenge, generateCodeVerifier, generateState } from "../../lib/auth/pkce.ts";

// RFC 7636 Appendix B: the 32 octets, the verifier they encode to, and its S256 challenge.
const APPENDIX_B_OCTETS = [
  116,
  24,
  223,
  180,
  151,
  153,
  224,
  37,
  79,
  250,
  96,
  125,
  216,
  173,
  187,
  186,
  22,
  212,
  37,
  77,
  105,
  214,
  191,
  240,
  91,
  88,
  5,
  88,
  83,
  132,
  141,
  121,
];
const APPENDIX_B_VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const APPENDIX_B_CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/** A random source that hands out the given bytes first, then a counter, and logs requests. */
function scriptedRandom(prefix: number[] = []) {
  const asked: number[] = [];
  let counter = 0;
  const random = (n: number) => {
    asked.push(n);
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = i < prefix.length ? prefix[i] : (counter++ * 37) & 0xff;
    return out;
  };
  return { random, asked };
}

/** Base64url without padding, computed independently of the code under test. */
function referenceBase64Url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_")
    .replace(/=+$/, "");
}

Deno.test("computeCodeChallenge() matches the RFC 7636 Appendix B example", async () => {
  assert.equal(await computeCodeChallenge(APPENDIX_B_VERIFIER), APPENDIX_B_CHALLENGE);
});

Deno.test("computeCodeChallenge() agrees with oauth4webapi on a generated verifier", async () => {
  const verifier = generateCodeVerifier((n) => crypto.getRandomValues(new Uint8Array(n)));
  const challenge = await computeCodeChallenge(verifier);
  assert.equal(challenge, await calculatePKCECodeChallenge(verifier));
  assert.match(challenge, /^[A-Za-z0-9_-]{43}$/);
});

Deno.test("computeCodeChallenge() refuses a verifier RFC 7636 does not allow", async (t) => {
  for (
    const [label, bad] of [
      ["too short", "a".repeat(42)],
      ["too long", "a".repeat(129)],
      ["a space", `${"a".repeat(50)} b`],
      ["a plus sign", `${"a".repeat(50)}+`],
    ]
  ) {
    await t.step(`rejects a verifier with ${label}`, async () => {
      await assert.rejects(computeCodeChallenge(bad), TypeError);
    });
  }
});

Deno.test("generateCodeVerifier() base64url-encodes 97 random bytes and keeps 128 characters", () => {
  const { random, asked } = scriptedRandom(APPENDIX_B_OCTETS);
  const verifier = generateCodeVerifier(random);
  assert.deepEqual(asked, [97]);
  assert.equal(verifier.length, 128);
  assert.match(verifier, /^[A-Za-z0-9_-]{128}$/);
  // The first 30 octets (240 bits) fill exactly 40 characters of the Appendix B verifier.
  assert.ok(verifier.startsWith(APPENDIX_B_VERIFIER.slice(0, 40)));
  const again = scriptedRandom(APPENDIX_B_OCTETS);
  const bytes = again.random(97);
  assert.equal(verifier, referenceBase64Url(bytes).slice(0, 128));
});

Deno.test("generateCodeVerifier() maps every 6 bits to one letter of the 64-letter alphabet", () => {
  // 0x00 bytes give only "A", 0xff bytes only "_": each character is one full 6-bit group,
  // so a uniform byte stream gives uniform characters (no modulo bias, no padding).
  assert.equal(generateCodeVerifier((n) => new Uint8Array(n)), "A".repeat(128));
  assert.equal(generateCodeVerifier((n) => new Uint8Array(n).fill(0xff)), "_".repeat(128));
  const seen = new Set<string>();
  for (let i = 0; i < 20; i++) {
    const v = generateCodeVerifier((n) => crypto.getRandomValues(new Uint8Array(n)));
    for (const c of v) seen.add(c);
  }
  // 2560 uniform draws over 64 letters miss one with probability below 64 * (63/64)^2560.
  assert.equal(seen.size, 64);
});

Deno.test("generateState() makes 32 characters of [A-Za-z0-9_-] from 25 random bytes", () => {
  const { random, asked } = scriptedRandom(APPENDIX_B_OCTETS);
  const state = generateState(random);
  assert.deepEqual(asked, [25]);
  assert.match(state, /^[A-Za-z0-9_-]{32}$/);
  assert.equal(state, APPENDIX_B_VERIFIER.slice(0, 32));
});

Deno.test("generateState() gives a different state for different random bytes", () => {
  const real = (n: number) => crypto.getRandomValues(new Uint8Array(n));
  assert.notEqual(generateState(real), generateState(real));
});

Deno.test("generateCodeVerifier() refuses a random source that returns too few bytes", () => {
  assert.throws(() => generateCodeVerifier((n) => new Uint8Array(n - 1)), RangeError);
  assert.throws(() => generateState(() => new Uint8Array(0)), RangeError);
});
