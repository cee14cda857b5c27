import assert from "node:assert/strict";
import { revokeToken } from "../../lib/auth/oauth_client.ts";
import { AuthRequiredError, OAuthError } from "../../lib/errors.ts";
import { FakeFetch, jsonResponse } from "../_fakes/fake_fetch.ts";
import {
  BASIC,
  clock,
  decodeBasic,
  PUBLIC,
  refresh,
  REVOKE_URL,
  SECRET,
  sortedForm,
  TOKEN_URL,
  TOKENS,
} from "../_fakes/oauth_fixtures.ts";

Deno.test("refreshAccessToken() sends grant_type, refresh_token and client_id", async () => {
  const fake = new FakeFetch().expect({
    method: "POST",
    url: TOKEN_URL,
    check: async (req) => {
      assert.deepEqual(await sortedForm(req), [
        ["client_id", "pub-client"],
        ["grant_type", "refresh_token"],
        ["refresh_token", "RT-old"],
      ]);
    },
    respond: jsonResponse(200, { ...TOKENS, refresh_token: "RT-rotated" }),
  });
  assert.equal((await refresh(fake)).refresh_token, "RT-rotated");
  fake.verify();
});

Deno.test("refreshAccessToken() keeps the old refresh token when the response has none", async () => {
  const { refresh_token: _, ...withoutRefresh } = TOKENS;
  for (const body of [withoutRefresh, { ...withoutRefresh, refresh_token: "" }]) {
    const fake = new FakeFetch().expect({
      method: "POST",
      url: TOKEN_URL,
      respond: jsonResponse(200, body),
    });
    assert.equal((await refresh(fake)).refresh_token, "RT-old");
    fake.verify();
  }
});

Deno.test("refreshAccessToken() uses Basic authentication for a confidential client", async () => {
  const fake = new FakeFetch().expect({
    method: "POST",
    url: TOKEN_URL,
    check: async (req) => {
      assert.deepEqual(decodeBasic(req.headers.get("authorization")), ["conf id:é", SECRET]);
      assert.ok(!(await req.text()).includes("client_secret"));
    },
    respond: jsonResponse(200, TOKENS),
  });
  await refresh(fake, BASIC);
  fake.verify();
});

Deno.test("refreshAccessToken() refuses an empty refresh token without a request", async () => {
  const fake = new FakeFetch();
  await assert.rejects(refresh(fake, PUBLIC, ""), AuthRequiredError);
  fake.verify();
});

Deno.test("refreshAccessToken() reports invalid_grant with what to run next, never the token", async () => {
  const fake = new FakeFetch().expect({
    method: "POST",
    url: TOKEN_URL,
    respond: jsonResponse(400, {
      error: "invalid_grant",
      error_description: "refresh token RT-old was revoked",
    }),
  });
  await assert.rejects(refresh(fake), (e: unknown) => {
    assert.ok(e instanceof OAuthError && e.error === "invalid_grant");
    assert.equal(
      e.message,
      "Token refresh failed (HTTP 400): invalid_grant: refresh token [redacted] was revoked. " +
        "The refresh token is no longer valid: run 'pup auth login' to sign in again",
    );
    assert.ok(!e.description?.includes("RT-old"));
    return true;
  });
  fake.verify();
});

Deno.test("revokeToken() posts token, token_type_hint and client_id and reports success", async () => {
  const fake = new FakeFetch().expect({
    method: "POST",
    url: REVOKE_URL,
    check: async (req) => {
      assert.deepEqual(await sortedForm(req), [
        ["client_id", "pub-client"],
        ["token", "RT-1"],
        ["token_type_hint", "refresh_token"],
      ]);
    },
    respond: new Response(null, { status: 200 }),
  });
  const ok = await revokeToken({ fetch: fake.fetch, clock }, {
    revokeUrl: REVOKE_URL,
    client: PUBLIC,
    token: "RT-1",
    hint: "refresh_token",
    insecure: false,
  });
  assert.equal(ok, true);
  fake.verify();
});

Deno.test("revokeToken() never throws: an error answer or a network failure gives false", async () => {
  for (
    const respond of [
      jsonResponse(400, { error: "unsupported_token_type" }),
      new Response("<html>", { status: 503 }),
      new TypeError("connection reset"),
    ]
  ) {
    const fake = new FakeFetch().expect({
      method: "POST",
      url: REVOKE_URL,
      check: (req) => assert.ok(req.headers.get("authorization")?.startsWith("Basic ")),
      respond,
    });
    const ok = await revokeToken({ fetch: fake.fetch, clock }, {
      revokeUrl: REVOKE_URL,
      client: BASIC,
      token: "AT-1",
      hint: "access_token",
      insecure: false,
    });
    assert.equal(ok, false);
    fake.verify();
  }
});
