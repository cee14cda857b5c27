import assert from "node:assert/strict";
import {
  orgKey,
  parseSiteData,
  parseTokenMap,
  sanitizeSite,
  serializeSiteData,
  serializeTokenMap,
} from "../../lib/storage/codec.ts";
import { StorageCorruptError } from "../../lib/errors.ts";
import type { TokenSet } from "../../lib/storage/types.ts";
import { rustSiteData, rustTokenFile } from "../_fakes/rust_reader.ts";

const token: TokenSet = {
  access_token: "a",
  refresh_token: "r",
  token_type: "Bearer",
  expires_in: 3600,
  issued_at: 1770202800,
  scope: "x y",
  client_id: "c",
};

Deno.test("sanitizeSite() maps every non-alphanumeric character to _", () => {
  assert.equal(sanitizeSite("datadoghq.com"), "datadoghq_com");
  assert.equal(sanitizeSite("gw.example.com:8443"), "gw_example_com_8443");
  assert.equal(sanitizeSite("my-co.datadoghq.com"), "my_co_datadoghq_com");
  // Rust's char::is_alphanumeric keeps non-ASCII letters and digits.
  assert.equal(sanitizeSite("bücher.example:8443"), "bücher_example_8443");
  assert.equal(sanitizeSite("a b~c"), "a_b_c");
});

Deno.test("orgKey() maps no org and the empty org to __default__", () => {
  assert.equal(orgKey(null), "__default__");
  assert.equal(orgKey(""), "__default__");
  assert.equal(orgKey("prod"), "prod");
});

Deno.test("parseTokenMap() reads the legacy bare token set as the default session", () => {
  assert.deepEqual(parseTokenMap(token, "f"), { __default__: token });
});

Deno.test("parseTokenMap() rejects null scope, fractional issued_at and a missing access_token, naming the session", () => {
  const cases: [unknown, RegExp][] = [
    [{ o: { ...token, scope: null } }, /session "o": field "scope" must be a string, found null/],
    [
      { o: { ...token, issued_at: 1767225600.5 } },
      /session "o": field "issued_at" must be an integer, found a fraction/,
    ],
    [{ o: { ...token, access_token: undefined } }, /field "access_token" must be a string/],
    [[1, 2], /expected a JSON object of sessions, found an array/],
  ];
  for (const [value, re] of cases) {
    assert.throws(
      () => parseTokenMap(value, "/c/tokens.json"),
      (e: Error) => e instanceof StorageCorruptError && re.test(e.message),
    );
  }
});

Deno.test("serializeTokenMap() writes integers and the Rust field order, accepted by the strict Rust reader", () => {
  const text = serializeTokenMap({ __default__: { ...token, expires_at: "2026-02-04T12:00:00Z" } });
  rustTokenFile(text);
  assert.ok(text.indexOf('"access_token"') < text.indexOf('"refresh_token"'));
  assert.match(text, /"expires_in": 3600,/);
  assert.ok(!text.endsWith("\n"));
});

Deno.test("serializeSiteData() writes compact JSON with client null, and parseSiteData() reads it back", () => {
  const state = { tokens: { prod: token }, client: null };
  const text = serializeSiteData(state);
  rustSiteData(text);
  assert.equal(text.includes('"client":null'), true);
  assert.deepEqual(parseSiteData(text, "entry"), state);
});

Deno.test("parseSiteData() defaults missing members and refuses the bare legacy form in the keychain", () => {
  assert.deepEqual(parseSiteData("{}", "e"), { tokens: {}, client: null });
  assert.throws(() => parseSiteData(JSON.stringify({ tokens: token }), "e"), StorageCorruptError);
  assert.throws(() => parseSiteData("not json", "e"), /Cannot read "e": it is not valid JSON/);
});

Deno.test("parseJson() never quotes the stored text in its error, so no token fragment leaks", () => {
  const secret = "ddat_QzK7pSECRET";
  for (
    const text of [
      `{"a": ${secret}}`,
      `{"t": "${secret}" "x"}`,
      `${secret}`,
      `{"access_token": "${secret}`,
    ]
  ) {
    assert.throws(() => parseSiteData(text, "entry"), (e: Error) => {
      assert.ok(!e.message.includes("ddat") && !e.message.includes("SECRET"), e.message);
      return e instanceof StorageCorruptError;
    });
  }
  assert.throws(
    () => parseSiteData('{\n  "a": "x" "b"}', "e"),
    /not valid JSON \(line 2, column 12\)/,
  );
});
