import assert from "node:assert/strict";
import { checkSecret, cleanText, hasUnsafeChars, redactSecrets } from "../lib/sanitize.ts";
import { UsageError } from "../lib/errors.ts";

Deno.test("cleanText() strips C0, C1 and bidi characters, redacts every secret, and caps the length", () => {
  const s = cleanText("tok ddat_SECRET1\u001b[2J \u202eevil\u0085 ddrt_SECRET2", {
    secrets: ["ddat_SECRET1", "ddrt_SECRET2", "ab"],
    max: 40,
  });
  assert.equal(s, "tok [redacted] [2J  evil  [redacted]");
  assert.equal(cleanText("x".repeat(10), { max: 4 }), "xxxx…");
});

Deno.test("redactSecrets() redacts a secret split by a control character only after the caller strips it", () => {
  assert.equal(redactSecrets("a SECRET b", ["SECRET"]), "a [redacted] b");
  assert.equal(hasUnsafeChars("plain"), false);
  assert.equal(hasUnsafeChars("a\u2066b"), true);
});

Deno.test("checkSecret() refuses CR/LF and surrounding whitespace, naming the source, never the value", () => {
  assert.equal(checkSecret("ok_value", "DD_API_KEY"), "ok_value");
  for (const bad of ["Canary\r\nb", " Canary", "Canary\u0000"]) {
    assert.throws(
      () => checkSecret(bad, "DD_API_KEY"),
      (e: unknown) =>
        e instanceof UsageError && /DD_API_KEY/.test(e.message) && !e.message.includes("Canary"),
    );
  }
});
