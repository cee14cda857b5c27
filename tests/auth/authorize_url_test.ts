import assert from "node:assert/strict";
import { buildAuthorizeUrl } from "../../lib/auth/authorize_url.ts";

const BASE = {
  authorizeUrl: "https://app.datadoghq.com/oauth2/v1/authorize",
  clientId: "client-123",
  redirectUri: "http://127.0.0.1:8000/oauth/callback",
  state: "abcDEF123_-abcDEF123_-abcDEF1234",
  scopes: ["monitors_read", "dashboards_read"],
  codeChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
};

Deno.test("buildAuthorizeUrl() sends the parameters in the Rust pup's order", () => {
  assert.equal(
    buildAuthorizeUrl(BASE),
    "https://app.datadoghq.com/oauth2/v1/authorize?response_type=code&client_id=client-123" +
      "&redirect_uri=http%3A%2F%2F127.0.0.1%3A8000%2Foauth%2Fcallback" +
      "&state=abcDEF123_-abcDEF123_-abcDEF1234&scope=dashboards_read+monitors_read" +
      "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256",
  );
});

Deno.test("buildAuthorizeUrl() sorts the scopes, drops duplicates and joins them with a space", () => {
  const url = new URL(
    buildAuthorizeUrl({ ...BASE, scopes: ["b_write", "a_read", "b_write", "A_upper"] }),
  );
  assert.equal(url.searchParams.get("scope"), "A_upper a_read b_write");
  assert.ok(url.search.includes("scope=A_upper+a_read+b_write&"));
});

Deno.test("buildAuthorizeUrl() adds dd_oid last, only when an org UUID is given", async (t) => {
  const uuid = "3fa85f64-5717-4562-b3fc-2c963f66afa6";
  await t.step("with a UUID, dd_oid is the last parameter", () => {
    const url = buildAuthorizeUrl({ ...BASE, orgUuid: uuid });
    assert.ok(url.endsWith(`&code_challenge_method=S256&dd_oid=${uuid}`));
  });
  await t.step("with an empty UUID, there is no dd_oid", () => {
    assert.ok(!buildAuthorizeUrl({ ...BASE, orgUuid: "" }).includes("dd_oid"));
  });
  await t.step("without a UUID, there is no dd_oid", () => {
    assert.ok(!buildAuthorizeUrl(BASE).includes("dd_oid"));
  });
});

Deno.test("buildAuthorizeUrl() form-urlencodes every value", () => {
  const url = buildAuthorizeUrl({ ...BASE, clientId: "a b&c=d+e/é" });
  assert.ok(url.includes("client_id=a+b%26c%3Dd%2Be%2F%C3%A9&"));
  assert.equal(new URL(url).searchParams.get("client_id"), "a b&c=d+e/é");
});

Deno.test("buildAuthorizeUrl() keeps a query the endpoint already has", () => {
  const url = buildAuthorizeUrl({ ...BASE, authorizeUrl: `${BASE.authorizeUrl}?x=1#frag` });
  assert.ok(url.startsWith(`${BASE.authorizeUrl}?x=1&response_type=code&`));
  assert.ok(!url.includes("#"));
});

Deno.test("buildAuthorizeUrl() refuses an endpoint that is not an http(s) URL", () => {
  assert.throws(() => buildAuthorizeUrl({ ...BASE, authorizeUrl: "not a url" }), TypeError);
  assert.throws(
    () => buildAuthorizeUrl({ ...BASE, authorizeUrl: "javascript:alert(1)" }),
    TypeError,
  );
});
