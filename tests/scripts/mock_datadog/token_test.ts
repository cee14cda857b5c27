import assert from "node:assert/strict";
import {
  apiGet,
  authorizeCode,
  basicAuth,
  exchange,
  postForm,
  refresh,
  register,
  withMock,
} from "../../_fakes/_mock_client.ts";

type Tokens = { access_token: string; refresh_token?: string; token_type: string; scope: string };
const tokensOf = (body: unknown) => body as Tokens;
const errorOf = (body: unknown) => (body as { error: string; error_description: string });

Deno.test("the token endpoint exchanges a code only with the right PKCE verifier", async (t) => {
  await withMock({ autoApprove: true }, async (mock) => {
    await t.step("a correct exchange answers lowercase bearer tokens and counts PKCE", async () => {
      const a = await authorizeCode(mock.url);
      const res = await exchange(mock.url, a);
      assert.equal(res.status, 200);
      const tokens = tokensOf(res.body);
      assert.equal(tokens.token_type, "bearer");
      assert.equal((res.body as { expires_in: number }).expires_in, 3600);
      assert.equal(tokens.scope, "dashboards_read monitors_read");
      assert.ok(tokens.access_token && tokens.refresh_token);
      assert.equal(res.headers.get("cache-control"), "no-store");
      assert.equal(mock.stats().pkceVerified, 1);
    });

    await t.step("a wrong verifier is invalid_grant and spends the code", async () => {
      const a = await authorizeCode(mock.url);
      const other = "x".repeat(43);
      const res = await exchange(mock.url, a, { code_verifier: other });
      assert.equal(res.status, 400);
      assert.equal(errorOf(res.body).error, "invalid_grant");
      assert.match(errorOf(res.body).error_description, /PKCE/);
      const retry = await exchange(mock.url, a);
      assert.equal(errorOf(retry.body).error, "invalid_grant");
    });

    await t.step("a missing verifier is invalid_grant", async () => {
      const a = await authorizeCode(mock.url);
      const res = await exchange(mock.url, a, { code_verifier: "" });
      assert.equal(errorOf(res.body).error, "invalid_grant");
    });

    await t.step(
      "a redirect_uri differing from the authorize request is invalid_grant",
      async () => {
        const a = await authorizeCode(mock.url);
        const res = await exchange(mock.url, a, {
          redirect_uri: "http://127.0.0.1:8080/oauth/callback",
        });
        assert.equal(errorOf(res.body).error, "invalid_grant");
        assert.match(errorOf(res.body).error_description, /redirect_uri/);
      },
    );

    await t.step("a code presented by another client is invalid_grant", async () => {
      const a = await authorizeCode(mock.url);
      const other = (await register(mock.url)).body as { client_id: string };
      const res = await exchange(mock.url, a, { client_id: other.client_id });
      assert.equal(errorOf(res.body).error, "invalid_grant");
    });

    await t.step("reusing a code fails and revokes the tokens it gave", async () => {
      const a = await authorizeCode(mock.url);
      const first = tokensOf((await exchange(mock.url, a)).body);
      assert.equal((await apiGet(mock.url, "/api/v1/validate", first.access_token)).status, 200);
      const second = await exchange(mock.url, a);
      assert.equal(second.status, 400);
      assert.equal(errorOf(second.body).error, "invalid_grant");
      assert.equal((await apiGet(mock.url, "/api/v1/validate", first.access_token)).status, 401);
      const refreshed = await refresh(mock.url, a.clientId, first.refresh_token!);
      assert.equal(errorOf(refreshed.body).error, "invalid_grant");
    });
  });
});

Deno.test("the token endpoint refuses a code older than 60 seconds", async () => {
  let now = 1_800_000_000_000;
  await withMock({ autoApprove: true, now: () => now }, async (mock) => {
    const a = await authorizeCode(mock.url);
    now += 60_000;
    const res = await exchange(mock.url, a);
    assert.equal(errorOf(res.body).error, "invalid_grant");
    assert.match(errorOf(res.body).error_description, /expired/);
  });
});

Deno.test("the token endpoint insists on a strict form body", async (t) => {
  await withMock({ autoApprove: true }, async (mock) => {
    const a = await authorizeCode(mock.url);
    await t.step("a JSON body is invalid_request", async () => {
      const res = await fetch(mock.url + "/oauth2/v1/token", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ grant_type: "authorization_code", client_id: a.clientId }),
      });
      assert.equal(res.status, 400);
      assert.equal((await res.json()).error, "invalid_request");
    });
    await t.step("a repeated parameter is invalid_request", async () => {
      const res = await fetch(mock.url + "/oauth2/v1/token", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: `grant_type=authorization_code&client_id=${a.clientId}&code=a&code=b`,
      });
      assert.equal((await res.json()).error, "invalid_request");
    });
    await t.step("an unknown grant type is unsupported_grant_type", async () => {
      const res = await postForm(mock.url, "/oauth2/v1/token", {
        grant_type: "password",
        client_id: a.clientId,
      });
      assert.equal(errorOf(res.body).error, "unsupported_grant_type");
    });
    await t.step("an unknown client is invalid_client with 401", async () => {
      const res = await exchange(mock.url, a, { client_id: "nobody" });
      assert.equal(res.status, 401);
      assert.equal(errorOf(res.body).error, "invalid_client");
      assert.ok(res.headers.get("www-authenticate"));
    });
  });
});

Deno.test("refresh tokens rotate and are single use", async (t) => {
  await withMock({ autoApprove: true }, async (mock) => {
    const a = await authorizeCode(mock.url);
    const first = tokensOf((await exchange(mock.url, a)).body);

    let next: Tokens;
    await t.step("a refresh answers a new access and refresh token", async () => {
      const res = await refresh(mock.url, a.clientId, first.refresh_token!);
      assert.equal(res.status, 200);
      next = tokensOf(res.body);
      assert.notEqual(next.refresh_token, first.refresh_token);
      assert.notEqual(next.access_token, first.access_token);
      assert.equal(next.scope, first.scope);
      assert.equal((await apiGet(mock.url, "/api/v1/validate", next.access_token)).status, 200);
    });

    await t.step("reusing the old refresh token fails and revokes the family", async () => {
      const reuse = await refresh(mock.url, a.clientId, first.refresh_token!);
      assert.equal(reuse.status, 400);
      assert.deepEqual(reuse.body, {
        error: "invalid_grant",
        error_description: "refresh token already used",
      });
      assert.equal((await apiGet(mock.url, "/api/v1/validate", next.access_token)).status, 401);
      const after = await refresh(mock.url, a.clientId, next.refresh_token!);
      assert.equal(errorOf(after.body).error, "invalid_grant");
    });

    await t.step("a refresh token is bound to its client", async () => {
      const b = await authorizeCode(mock.url);
      const tokens = tokensOf((await exchange(mock.url, b)).body);
      const res = await refresh(mock.url, a.clientId, tokens.refresh_token!);
      assert.equal(errorOf(res.body).error, "invalid_grant");
      assert.equal((await refresh(mock.url, b.clientId, tokens.refresh_token!)).status, 200);
    });
    assert.equal(mock.stats().tokenRequests.refresh_token, 5);
  });
});

Deno.test("omitRefreshToken answers refreshes without a refresh token and keeps the old one", async () => {
  await withMock({ autoApprove: true, omitRefreshToken: true }, async (mock) => {
    const a = await authorizeCode(mock.url);
    const first = tokensOf((await exchange(mock.url, a)).body);
    assert.ok(first.refresh_token, "the code exchange still gives a refresh token");
    const once = await refresh(mock.url, a.clientId, first.refresh_token!);
    assert.equal(once.status, 200);
    assert.equal(tokensOf(once.body).refresh_token, undefined);
    assert.equal((await refresh(mock.url, a.clientId, first.refresh_token!)).status, 200);
  });
});

Deno.test("concurrent refreshes with one token yield exactly one success", async () => {
  await withMock({ autoApprove: true, tokenDelayMs: 50 }, async (mock) => {
    const a = await authorizeCode(mock.url);
    const first = tokensOf((await exchange(mock.url, a)).body);
    const results = await Promise.all(
      Array.from({ length: 5 }, () => refresh(mock.url, a.clientId, first.refresh_token!)),
    );
    assert.deepEqual(results.map((r) => r.status).sort(), [200, 400, 400, 400, 400]);
  });
});

Deno.test("client_secret_post is enforced at the token and revoke endpoints", async (t) => {
  await withMock({ autoApprove: true, clientAuth: "client_secret_post" }, async (mock) => {
    const reg = await register(mock.url);
    assert.equal(reg.status, 201);
    assert.equal(
      (reg.body as { token_endpoint_auth_method: string }).token_endpoint_auth_method,
      "client_secret_post",
    );
    const a = await authorizeCode(mock.url);
    const secret = a.clientSecret!;
    assert.ok(secret, "registration issues a secret");

    await t.step("a missing secret is invalid_client and leaves the code usable", async () => {
      const res = await exchange(mock.url, a);
      assert.equal(res.status, 401);
      assert.equal(errorOf(res.body).error, "invalid_client");
    });
    await t.step("Basic credentials are refused for a post client", async () => {
      const res = await exchange(mock.url, a, { client_id: "" }, {
        authorization: basicAuth(a.clientId, secret),
      });
      assert.equal(res.status, 401);
    });
    await t.step("a wrong secret is invalid_client", async () => {
      const res = await exchange(mock.url, a, { client_secret: secret + "x" });
      assert.equal(res.status, 401);
    });
    let tokens: Tokens;
    await t.step("the secret in the form is accepted", async () => {
      const res = await exchange(mock.url, a, { client_secret: secret });
      assert.equal(res.status, 200);
      tokens = tokensOf(res.body);
    });
    await t.step("revoke needs the secret too", async () => {
      const noSecret = await postForm(mock.url, "/oauth2/v1/revoke", {
        token: tokens.access_token,
        client_id: a.clientId,
      });
      assert.equal(noSecret.status, 401);
      const revoked = await postForm(mock.url, "/oauth2/v1/revoke", {
        token: tokens.access_token,
        token_type_hint: "access_token",
        client_id: a.clientId,
        client_secret: secret,
      });
      assert.equal(revoked.status, 200);
      assert.equal((await apiGet(mock.url, "/api/v1/validate", tokens.access_token)).status, 401);
    });
  });
});

Deno.test("client_secret_basic is enforced at the token and revoke endpoints", async (t) => {
  await withMock({ autoApprove: true, clientAuth: "client_secret_basic" }, async (mock) => {
    const a = await authorizeCode(mock.url);
    const secret = a.clientSecret!;
    const basic = { authorization: basicAuth(a.clientId, secret) };

    await t.step("the secret in the form is refused", async () => {
      const res = await exchange(mock.url, a, { client_secret: secret });
      assert.equal(res.status, 401);
      assert.equal(errorOf(res.body).error, "invalid_client");
    });
    await t.step("Basic and a form secret together are invalid_request", async () => {
      const res = await exchange(mock.url, a, { client_secret: secret }, basic);
      assert.equal(errorOf(res.body).error, "invalid_request");
    });
    await t.step("a Basic header with a wrong secret is invalid_client", async () => {
      const res = await exchange(mock.url, a, {}, {
        authorization: basicAuth(a.clientId, "wrong"),
      });
      assert.equal(res.status, 401);
    });
    await t.step("Basic credentials are accepted for code, refresh and revoke", async () => {
      const res = await exchange(mock.url, a, {}, basic);
      assert.equal(res.status, 200);
      const tokens = tokensOf(res.body);
      const next = await refresh(mock.url, a.clientId, tokens.refresh_token!, {}, basic);
      assert.equal(next.status, 200);
      const revoke = await postForm(mock.url, "/oauth2/v1/revoke", {
        token: tokensOf(next.body).refresh_token!,
        token_type_hint: "refresh_token",
      }, basic);
      assert.equal(revoke.status, 200);
      assert.deepEqual(mock.stats().revocations, [{ token_type_hint: "refresh_token", ok: true }]);
    });
  });
});

Deno.test("a public client may not send a secret", async () => {
  await withMock({ autoApprove: true }, async (mock) => {
    const a = await authorizeCode(mock.url);
    assert.equal(a.clientSecret, undefined);
    const res = await exchange(mock.url, a, {}, { authorization: basicAuth(a.clientId, "s") });
    assert.equal(res.status, 401);
    assert.equal(errorOf(res.body).error, "invalid_client");
  });
});
