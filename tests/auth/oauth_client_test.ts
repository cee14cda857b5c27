import assert from "node:assert/strict";
import type { ValidatedCallback } from "../../lib/auth/callback_handler.ts";
import { clientAuthMethod, exchangeCode, registerClient } from "../../lib/auth/oauth_client.ts";
import { OAuthError } from "../../lib/errors.ts";
import type { ClientCredentials } from "../../lib/storage/types.ts";
import { FakeFetch, formOf, jsonResponse } from "../_fakes/fake_fetch.ts";
import {
  BASIC,
  clock,
  decodeBasic,
  exchange,
  POST,
  PUBLIC,
  REDIRECT,
  REGISTER_URL,
  SECRET,
  sortedForm,
  STATE,
  TOKEN_URL,
  TOKENS,
  VERIFIER,
} from "../_fakes/oauth_fixtures.ts";

Deno.test("registerClient() posts the Rust pup's JSON body with all four redirect URIs", async () => {
  const fake = new FakeFetch().expect({
    method: "POST",
    url: REGISTER_URL,
    check: async (req) => {
      assert.equal(req.headers.get("content-type"), "application/json");
      assert.equal(req.headers.get("authorization"), null);
      assert.equal(
        await req.text(),
        '{"client_name":"datadog-pup-cli","redirect_uris":["http://127.0.0.1:8000/oauth/callback",' +
          '"http://127.0.0.1:8080/oauth/callback","http://127.0.0.1:8888/oauth/callback",' +
          '"http://127.0.0.1:9000/oauth/callback"],"grant_types":["authorization_code","refresh_token"]}',
      );
    },
    respond: jsonResponse(201, {
      client_id: "new-client",
      client_name: "datadog-pup-cli",
      redirect_uris: [REDIRECT],
    }),
  });
  const creds = await registerClient({ fetch: fake.fetch, clock }, {
    registerUrl: REGISTER_URL,
    site: "datadoghq.eu",
    insecure: false,
  });
  assert.deepEqual(creds, {
    client_id: "new-client",
    client_name: "datadog-pup-cli",
    redirect_uris: [REDIRECT],
    registered_at: 1_770_202_800,
    site: "datadoghq.eu",
  });
  assert.ok(fake.inits[0]?.signal instanceof AbortSignal, "every request has a timeout signal");
  fake.verify();
});

Deno.test("registerClient() keeps a secret and its method for a confidential client", async (t) => {
  const cases: [string, Record<string, unknown>, Partial<ClientCredentials>][] = [
    ["a secret without a method means client_secret_basic", { client_secret: "sec" }, {
      client_secret: "sec",
      token_endpoint_auth_method: "client_secret_basic",
    }],
    ["client_secret_post is kept", {
      client_secret: "sec",
      token_endpoint_auth_method: "client_secret_post",
    }, { client_secret: "sec", token_endpoint_auth_method: "client_secret_post" }],
    ["method none makes a public client", {
      client_secret: "sec",
      token_endpoint_auth_method: "none",
    }, {}],
    ["an empty secret makes a public client", { client_secret: "" }, {}],
  ];
  for (const [label, extra, expected] of cases) {
    await t.step(label, async () => {
      const fake = new FakeFetch().expect({
        method: "POST",
        url: REGISTER_URL,
        respond: jsonResponse(201, { client_id: "c", ...extra }),
      });
      const creds = await registerClient({ fetch: fake.fetch, clock }, {
        registerUrl: REGISTER_URL,
        site: "datadoghq.com",
        insecure: false,
      });
      assert.equal(creds.client_secret, expected.client_secret);
      assert.equal(creds.token_endpoint_auth_method, expected.token_endpoint_auth_method);
      // Server fields it did not send fall back to ours.
      assert.equal(creds.client_name, "datadog-pup-cli");
      assert.equal(creds.redirect_uris.length, 4);
      fake.verify();
    });
  }
});

Deno.test("registerClient() fails with a short, sanitized reason on anything but 201", async (t) => {
  const cases: [string, Response, RegExp, string][] = [
    [
      "200 is not 201",
      jsonResponse(200, { client_id: "c" }),
      /^DCR registration failed \(HTTP 200\): a JSON answer without an error message\. Check the site/,
      "registration_failed",
    ],
    [
      "an OAuth error",
      jsonResponse(400, { error: "invalid_redirect_uri", error_description: "bad\nuri" }),
      /^DCR registration failed \(HTTP 400\): invalid_redirect_uri: bad uri\. /,
      "invalid_redirect_uri",
    ],
    [
      "a Datadog errors list",
      jsonResponse(403, { errors: ["Forbidden"] }),
      /\(HTTP 403\): Forbidden\. .*DD_API_KEY/,
      "registration_failed",
    ],
    [
      "an HTML page",
      new Response("<html><body>502 Bad Gateway</body></html>", {
        status: 502,
        headers: { "content-type": "text/html" },
      }),
      /\(HTTP 502\): something that is not JSON \(content type text\/html\)\./,
      "registration_failed",
    ],
    [
      "201 without a client_id",
      jsonResponse(201, { client_name: "x" }),
      /HTTP 201 with no client_id/,
      "invalid_response",
    ],
    [
      "201 with HTML",
      new Response("<html>", { status: 201, headers: { "content-type": "text/html" } }),
      /HTTP 201 with something that is not JSON/,
      "invalid_response",
    ],
    [
      "an unsupported method",
      jsonResponse(201, {
        client_id: "c",
        client_secret: "s",
        token_endpoint_auth_method: "private_key_jwt",
      }),
      /"private_key_jwt", which pup cannot use/,
      "unsupported_auth_method",
    ],
  ];
  for (const [label, response, message, error] of cases) {
    await t.step(label, async () => {
      const fake = new FakeFetch().expect({ method: "POST", url: REGISTER_URL, respond: response });
      await assert.rejects(
        registerClient({ fetch: fake.fetch, clock }, {
          registerUrl: REGISTER_URL,
          site: "datadoghq.com",
          insecure: false,
        }),
        (e: unknown) => {
          assert.ok(e instanceof OAuthError);
          assert.match(e.message, message);
          assert.ok(!e.message.includes("<html"));
          assert.equal(e.error, error);
          return true;
        },
      );
      fake.verify();
    });
  }
});

Deno.test("exchangeCode() sends the code, redirect URI, verifier and client_id for a public client", async () => {
  const fake = new FakeFetch().expect({
    method: "POST",
    url: TOKEN_URL,
    check: async (req) => {
      assert.equal(
        req.headers.get("content-type"),
        "application/x-www-form-urlencoded;charset=UTF-8",
      );
      assert.equal(req.headers.get("accept"), "application/json");
      assert.equal(req.headers.get("authorization"), null);
      assert.deepEqual(await sortedForm(req), [
        ["client_id", "pub-client"],
        ["code", "the-code"],
        ["code_verifier", VERIFIER],
        ["grant_type", "authorization_code"],
        ["redirect_uri", REDIRECT],
      ]);
    },
    respond: jsonResponse(200, TOKENS),
  });
  const tokens = await exchange(fake);
  assert.deepEqual(Object.entries(tokens), [
    ["access_token", "AT-1"],
    ["refresh_token", "RT-1"],
    ["token_type", "Bearer"],
    ["expires_in", 3600],
    ["expires_at", "2026-02-04T12:00:00Z"],
    ["issued_at", 1_770_202_800],
    ["scope", "dashboards_read monitors_read"],
    ["client_id", "pub-client"],
  ]);
  fake.verify();
});

Deno.test("exchangeCode() authenticates with HTTP Basic encoded per RFC 6749 §2.3.1", async () => {
  const fake = new FakeFetch().expect({
    method: "POST",
    url: TOKEN_URL,
    check: async (req) => {
      const header = req.headers.get("authorization");
      assert.deepEqual(decodeBasic(header), ["conf id:é", SECRET]);
      // The id's own ":" is encoded, so the first ":" separates id and secret.
      assert.ok(!atob(header!.slice(6)).startsWith("conf id:"));
      const form = await sortedForm(req);
      assert.deepEqual(form.map(([k]) => k), [
        "code",
        "code_verifier",
        "grant_type",
        "redirect_uri",
      ]);
    },
    respond: jsonResponse(200, TOKENS),
  });
  assert.equal((await exchange(fake, BASIC)).client_id, "conf id:é");
  assert.equal(clientAuthMethod(BASIC), "client_secret_basic");
  fake.verify();
});

Deno.test("exchangeCode() puts client_id and client_secret in the form for client_secret_post", async () => {
  const fake = new FakeFetch().expect({
    method: "POST",
    url: TOKEN_URL,
    check: async (req) => {
      assert.equal(req.headers.get("authorization"), null);
      const form = Object.fromEntries(await formOf(req));
      assert.equal(form.client_id, "pub-client");
      assert.equal(form.client_secret, SECRET);
    },
    respond: jsonResponse(200, TOKENS),
  });
  await exchange(fake, POST);
  fake.verify();
});

Deno.test("exchangeCode() refuses a callback that was not validated, before any request", async () => {
  const fake = new FakeFetch();
  const forged = { code: "c", state: STATE } as unknown as ValidatedCallback;
  await assert.rejects(
    exchangeCode({ fetch: fake.fetch, clock }, {
      tokenUrl: TOKEN_URL,
      client: PUBLIC,
      callback: forged,
      redirectUri: REDIRECT,
      codeVerifier: VERIFIER,
      insecure: false,
    }),
    TypeError,
  );
  fake.verify();
});

Deno.test("exchangeCode() refuses plain http unless insecure is set for a loopback mock", async () => {
  const url = "http://127.0.0.1:9999/oauth2/v1/token";
  const refused = new FakeFetch();
  await assert.rejects(exchange(refused, PUBLIC, url, false), (e: unknown) => {
    assert.ok(e instanceof OAuthError && e.error === "insecure_request");
    return true;
  });
  refused.verify();
  const allowed = new FakeFetch().expect({
    method: "POST",
    url,
    respond: jsonResponse(200, TOKENS),
  });
  assert.equal((await exchange(allowed, PUBLIC, url, true)).access_token, "AT-1");
  allowed.verify();
});
