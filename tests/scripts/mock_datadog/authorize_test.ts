import assert from "node:assert/strict";
import {
  authorizeUrl,
  getNoRedirect,
  pkcePair,
  postForm,
  redirectUriFor,
  register,
  sendJson,
  withMock,
} from "../../_fakes/_mock_client.ts";

const errorOf = (body: unknown) => (body as { error: string; error_description: string });

Deno.test("registration answers 201 for pup's body and refuses bad metadata", async (t) => {
  await withMock({}, async (mock) => {
    await t.step("pup's body registers a public client", async () => {
      const res = await register(mock.url, [redirectUriFor(8000), redirectUriFor(9000)]);
      assert.equal(res.status, 201);
      const body = res.body as Record<string, unknown>;
      assert.equal(body.client_name, "datadog-pup-cli");
      assert.deepEqual(body.redirect_uris, [redirectUriFor(8000), redirectUriFor(9000)]);
      assert.deepEqual(body.grant_types, ["authorization_code", "refresh_token"]);
      assert.equal(body.token_endpoint_auth_method, "none");
      assert.equal(body.client_secret, undefined);
      assert.deepEqual(mock.stats().clientIds, [body.client_id]);
    });
    for (
      const uri of [
        redirectUriFor(8001),
        "http://localhost:8000/oauth/callback",
        "https://127.0.0.1:8000/oauth/callback",
        "http://127.0.0.1:8000/oauth/callback?x=1",
        "http://127.0.0.1:8000/other",
      ]
    ) {
      await t.step(`the redirect URI "${uri}" is invalid_redirect_uri`, async () => {
        const res = await register(mock.url, [uri]);
        assert.equal(res.status, 400);
        assert.equal(errorOf(res.body).error, "invalid_redirect_uri");
      });
    }
    await t.step("an empty redirect_uris is invalid_redirect_uri", async () => {
      const res = await register(mock.url, []);
      assert.equal(errorOf(res.body).error, "invalid_redirect_uri");
    });
    await t.step("a missing client_name or grant_types is invalid_client_metadata", async () => {
      const path = "/api/v2/oauth2/register";
      const noName = await sendJson(mock.url, path, "POST", {
        redirect_uris: [redirectUriFor(8000)],
        grant_types: ["authorization_code"],
      });
      assert.equal(errorOf(noName.body).error, "invalid_client_metadata");
      const noGrants = await sendJson(mock.url, path, "POST", {
        client_name: "x",
        redirect_uris: [redirectUriFor(8000)],
      });
      assert.equal(errorOf(noGrants.body).error, "invalid_client_metadata");
    });
    await t.step("a form body is invalid_client_metadata", async () => {
      const res = await postForm(mock.url, "/api/v2/oauth2/register", { client_name: "x" });
      assert.equal(res.status, 400);
      assert.equal(errorOf(res.body).error, "invalid_client_metadata");
    });
    assert.equal(mock.stats().clientIds.length, 1);
  });
});

Deno.test("registration issues a secret and its method when clientAuth asks", async () => {
  await withMock({ clientAuth: "client_secret_basic" }, async (mock) => {
    const body = (await register(mock.url)).body as Record<string, unknown>;
    assert.equal(body.token_endpoint_auth_method, "client_secret_basic");
    assert.equal(typeof body.client_secret, "string");
    assert.equal(body.client_secret_expires_at, 0);
  });
});

Deno.test("allowedRedirectPorts replaces the four DCR ports", async () => {
  await withMock({ allowedRedirectPorts: [41234] }, async (mock) => {
    assert.equal((await register(mock.url, [redirectUriFor(41234)])).status, 201);
    assert.equal((await register(mock.url, [redirectUriFor(8000)])).status, 400);
  });
});

Deno.test("authorize never redirects to an unknown client or unregistered URI", async (t) => {
  await withMock({ autoApprove: true }, async (mock) => {
    const clientId = ((await register(mock.url)).body as { client_id: string }).client_id;
    const { challenge } = await pkcePair();
    const cases: [string, Record<string, string | undefined>][] = [
      ["an unknown client_id", { client_id: "nobody" }],
      ["a missing client_id", { client_id: undefined }],
      ["an unregistered redirect_uri", { redirect_uri: redirectUriFor(8080) }],
      ["a redirect_uri with a different path", { redirect_uri: "http://127.0.0.1:8000/x" }],
      ["a missing redirect_uri", { redirect_uri: undefined }],
    ];
    for (const [what, overrides] of cases) {
      await t.step(`${what} gets a 400 page without Location`, async () => {
        const res = await getNoRedirect(authorizeUrl(mock.url, clientId, challenge, overrides));
        assert.equal(res.status, 400);
        assert.equal(res.location, null);
        assert.match(res.headers.get("content-type")!, /^text\/html/);
      });
    }
  });
});

Deno.test("authorize reports bad parameters back to the registered redirect URI", async (t) => {
  await withMock({ autoApprove: true, rejectScopes: ["bogus_scope"] }, async (mock) => {
    const clientId = ((await register(mock.url)).body as { client_id: string }).client_id;
    const { challenge } = await pkcePair();
    const cases: [string, Record<string, string | undefined>, string][] = [
      ["a rejected scope", { scope: "monitors_read bogus_scope" }, "invalid_scope"],
      ["an empty scope", { scope: "" }, "invalid_scope"],
      ["a missing code_challenge", { code_challenge: undefined }, "invalid_request"],
      ["code_challenge_method plain", { code_challenge_method: "plain" }, "invalid_request"],
      ["response_type token", { response_type: "token" }, "unsupported_response_type"],
    ];
    for (const [what, overrides, error] of cases) {
      await t.step(`${what} redirects with error=${error} and the state`, async () => {
        const res = await getNoRedirect(authorizeUrl(mock.url, clientId, challenge, overrides));
        assert.equal(res.status, 302);
        assert.equal(res.location!.origin + res.location!.pathname, redirectUriFor(8000));
        assert.equal(res.location!.searchParams.get("error"), error);
        assert.equal(res.location!.searchParams.get("state"), "state-1234567890");
        assert.equal(res.location!.searchParams.get("code"), null);
      });
    }
    await t.step("the invalid_scope description names the scope", async () => {
      const res = await getNoRedirect(
        authorizeUrl(mock.url, clientId, challenge, { scope: "bogus_scope" }),
      );
      assert.match(res.location!.searchParams.get("error_description")!, /bogus_scope/);
    });
    await t.step("a missing state is invalid_request", async () => {
      const res = await getNoRedirect(
        authorizeUrl(mock.url, clientId, challenge, { state: undefined }),
      );
      assert.equal(res.location!.searchParams.get("error"), "invalid_request");
    });
  });
});

Deno.test("autoApprove redirects with code, state and the org parameters", async () => {
  const opts = { autoApprove: true, orgUuid: "0b3ba3f6-1f7c-11ef-9a7c-da7ad0900002" };
  await withMock({ ...opts, orgName: "Acme & Co", domain: "app.datadoghq.eu" }, async (mock) => {
    const clientId = ((await register(mock.url)).body as { client_id: string }).client_id;
    const { challenge } = await pkcePair();
    const res = await getNoRedirect(authorizeUrl(mock.url, clientId, challenge));
    assert.equal(res.status, 302);
    const q = res.location!.searchParams;
    assert.ok(q.get("code"));
    assert.equal(q.get("state"), "state-1234567890");
    assert.equal(q.get("dd_oid"), opts.orgUuid);
    assert.equal(q.get("dd_org_name"), "Acme & Co");
    assert.equal(q.get("domain"), "app.datadoghq.eu");
    assert.equal(mock.stats().lastAuthorizeParams?.scope, "dashboards_read monitors_read");
  });
});

Deno.test("without org options the callback carries no dd_oid, dd_org_name or domain", async () => {
  await withMock({ autoApprove: true }, async (mock) => {
    const clientId = ((await register(mock.url)).body as { client_id: string }).client_id;
    const res = await getNoRedirect(authorizeUrl(mock.url, clientId, (await pkcePair()).challenge));
    const keys = [...res.location!.searchParams.keys()].sort();
    assert.deepEqual(keys, ["code", "state"]);
  });
});

Deno.test("the consent page posts a decision that redirects once", async (t) => {
  await withMock({ orgName: "<Acme>" }, async (mock) => {
    const clientId = ((await register(mock.url)).body as { client_id: string }).client_id;
    const { challenge } = await pkcePair();
    const page = async () => {
      const res = await getNoRedirect(authorizeUrl(mock.url, clientId, challenge));
      assert.equal(res.status, 200);
      const requestId = /name="request_id" value="([^"]+)"/.exec(res.text)?.[1];
      assert.ok(requestId, "the form carries a hidden request_id");
      return { html: res.text, requestId };
    };

    await t.step("the page has the form, both buttons, escaped values and no script", async () => {
      const { html } = await page();
      assert.match(
        html,
        /<form id="consent" method="post" action="\/oauth2\/v1\/authorize\/decision">/,
      );
      assert.match(
        html,
        /<button type="submit" id="approve" name="decision" value="approve">Authorize/,
      );
      assert.match(html, /id="deny"[^>]*>Deny/);
      assert.match(html, /&#60;Acme&#62;/);
      assert.doesNotMatch(html, /<script>/);
    });
    await t.step(
      "approve redirects with a code; the same form cannot be answered twice",
      async () => {
        const { requestId } = await page();
        const res = await postForm(mock.url, "/oauth2/v1/authorize/decision", {
          request_id: requestId,
          decision: "approve",
        });
        assert.equal(res.status, 302);
        const location = new URL(res.headers.get("location")!);
        assert.ok(location.searchParams.get("code"));
        assert.equal(location.searchParams.get("state"), "state-1234567890");
        const again = await postForm(mock.url, "/oauth2/v1/authorize/decision", {
          request_id: requestId,
          decision: "approve",
        });
        assert.equal(again.status, 400);
        assert.equal(again.headers.get("location"), null);
      },
    );
    await t.step("deny redirects with access_denied and no code", async () => {
      const { requestId } = await page();
      const res = await postForm(mock.url, "/oauth2/v1/authorize/decision", {
        request_id: requestId,
        decision: "deny",
      });
      const location = new URL(res.headers.get("location")!);
      assert.equal(location.searchParams.get("error"), "access_denied");
      assert.equal(location.searchParams.get("state"), "state-1234567890");
      assert.equal(location.searchParams.get("code"), null);
    });
    assert.deepEqual(mock.stats().consentDecisions, { approved: 1, denied: 1 });
  });
});

Deno.test("autoSubmit adds a script that clicks the approve button", async () => {
  await withMock({ autoSubmit: true }, async (mock) => {
    const clientId = ((await register(mock.url)).body as { client_id: string }).client_id;
    const res = await getNoRedirect(authorizeUrl(mock.url, clientId, (await pkcePair()).challenge));
    assert.match(res.text, /<script>document\.getElementById\("approve"\)\.click\(\);<\/script>/);
  });
});
