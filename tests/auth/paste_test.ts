import assert from "node:assert/strict";
import { isValidatedCallback } from "../../lib/auth/callback_handler.ts";
import { parsePastedCallback, PASTE_INSTRUCTIONS } from "../../lib/auth/paste.ts";
import { StateMismatchError } from "../../lib/errors.ts";

const STATE = "0123456789abcdefghijABCDEFGHIJ-_";
const REDIRECT = "http://127.0.0.1:8000/oauth/callback";

Deno.test("PASTE_INSTRUCTIONS() says why it is shown, never guesses, and fits 80 columns", () => {
  const asked = PASTE_INSTRUCTIONS(REDIRECT, true);
  assert.match(asked, /You asked not to open a browser here \(--no-browser\)/);
  assert.doesNotMatch(asked, /No local browser detected|remote\/SSH/);
  assert.match(PASTE_INSTRUCTIONS(REDIRECT, false), /No browser could be opened here/);
  assert.match(asked, /http:\/\/127\.0\.0\.1:8000\/oauth\/callback\?\.\.\./);
  for (const line of asked.split("\n")) assert.ok(line.length <= 80, line);
});

Deno.test("parsePastedCallback() accepts a callback URL with a code and the right state", () => {
  const outcome = parsePastedCallback(
    `  ${REDIRECT}?code=abc&state=${STATE}&dd_oid=3fa85f64-5717-4562-b3fc-2c963f66afa6 \n`,
    STATE,
  );
  assert.equal(outcome.kind, "code");
  const cb = outcome.kind === "code" ? outcome.callback : undefined;
  assert.ok(isValidatedCallback(cb));
  assert.equal(cb.code, "abc");
  assert.equal(cb.dd_oid, "3fa85f64-5717-4562-b3fc-2c963f66afa6");
});

Deno.test("parsePastedCallback() reads only the query, whatever the scheme and host", () => {
  for (const prefix of ["https://example.com/anything", "myapp://cb", "http://localhost:9000/x"]) {
    const outcome = parsePastedCallback(`${prefix}?state=${STATE}&code=c1`, STATE);
    assert.equal(outcome.kind, "code", prefix);
  }
});

Deno.test("parsePastedCallback() ends the flow with the server's error when the state is right", () => {
  assert.deepEqual(
    parsePastedCallback(
      `${REDIRECT}?error=access_denied&error_description=nope&state=${STATE}`,
      STATE,
    ),
    { kind: "error", error: "access_denied", description: "nope" },
  );
});

Deno.test("parsePastedCallback() asks again when code and state are missing", () => {
  for (const line of [`${REDIRECT}?code=abc`, `${REDIRECT}?state=${STATE}`, REDIRECT]) {
    assert.deepEqual(parsePastedCallback(line, STATE), {
      kind: "invalid",
      message: "URL is missing 'code' and 'state' query parameters",
    });
  }
});

Deno.test("parsePastedCallback() asks again for text that is not a URL, without echoing it", () => {
  const outcome = parsePastedCallback("code=secret-code&state=x", STATE);
  assert.equal(outcome.kind, "invalid");
  const message = (outcome as { message: string }).message;
  assert.ok(message.startsWith("not a valid URL: "));
  assert.ok(!message.includes("secret-code"));
});

Deno.test("parsePastedCallback() throws StateMismatchError for a wrong state", () => {
  assert.throws(
    () => parsePastedCallback(`${REDIRECT}?code=abc&state=forged`, STATE),
    (e: unknown) =>
      e instanceof StateMismatchError &&
      e.message === "state parameter mismatch (CSRF protection)",
  );
});

Deno.test("parsePastedCallback() throws StateMismatchError for an error with a wrong or no state", () => {
  assert.throws(
    () => parsePastedCallback(`${REDIRECT}?error=x&state=forged`, STATE),
    StateMismatchError,
  );
  assert.throws(() => parsePastedCallback(`${REDIRECT}?error=x`, STATE), StateMismatchError);
});

Deno.test("parsePastedCallback() asks again when the code is repeated", () => {
  assert.deepEqual(parsePastedCallback(`${REDIRECT}?code=a&code=b&state=${STATE}`, STATE), {
    kind: "invalid",
    message: "URL repeats the 'code' or 'error' query parameter",
  });
});
