import assert from "node:assert/strict";
import { OAuthError } from "../../lib/errors.ts";
import { FakeFetch, jsonResponse } from "../_fakes/fake_fetch.ts";
import { exchange, TOKEN_URL } from "../_fakes/oauth_fixtures.ts";

Deno.test("exchangeCode() surfaces the server's OAuth error verbatim", async (t) => {
  const cases: [string, Response, string, string][] = [
    [
      "invalid_grant",
      jsonResponse(400, { error: "invalid_grant", error_description: "The code has expired" }),
      "Token exchange failed (HTTP 400): invalid_grant: The code has expired. The authorization code expired or was already used: run 'pup auth login' again",
      "The code has expired",
    ],
    [
      "invalid_scope",
      jsonResponse(400, {
        error: "invalid_scope",
        error_description: "Scope apm_service_renaming_write is not allowed",
      }),
      "Token exchange failed (HTTP 400): invalid_scope: Scope apm_service_renaming_write is not allowed. Ask for other scopes: adjust --scopes, --extra-scopes or the scopes in config.yaml, then run 'pup auth login' again",
      "Scope apm_service_renaming_write is not allowed",
    ],
  ];
  for (const [error, response, message, description] of cases) {
    await t.step(error, async () => {
      const fake = new FakeFetch().expect({ method: "POST", url: TOKEN_URL, respond: response });
      await assert.rejects(exchange(fake), (e: unknown) => {
        assert.ok(e instanceof OAuthError);
        assert.equal(e.error, error);
        assert.equal(e.status, 400);
        assert.equal(e.description, description);
        assert.equal(e.message, message);
        return true;
      });
      fake.verify();
    });
  }
});

Deno.test("exchangeCode() explains answers that are not JSON without dumping them", async (t) => {
  const html = "<html><head><title>Oops</title></head><body>" + "x".repeat(5000) + "</body></html>";
  const cases: [string, Response, RegExp][] = [
    [
      "a 500 HTML page",
      new Response(html, { status: 500, headers: { "content-type": "text/html; charset=utf-8" } }),
      /^Token exchange failed \(HTTP 500\): something that is not JSON \(content type text\/html\)\. The server may be having trouble/,
    ],
    [
      "a 200 HTML page",
      new Response(html, { status: 200, headers: { "content-type": "text/html" } }),
      /^Token exchange failed \(HTTP 200\): something that is not JSON \(content type text\/html\)\. A proxy or captive portal/,
    ],
    [
      "truncated JSON",
      new Response('{"access_token":"AT-leak","token_ty', {
        status: 200,
        headers: { "content-type": "application/json" },
      }),
      /^Token exchange failed \(HTTP 200\): a JSON answer that is malformed or cut off\./,
    ],
    [
      "an empty 502",
      new Response(null, { status: 502 }),
      /^Token exchange failed \(HTTP 502\): an empty answer\. The server may be having trouble/,
    ],
  ];
  for (const [label, response, message] of cases) {
    await t.step(label, async () => {
      const fake = new FakeFetch().expect({ method: "POST", url: TOKEN_URL, respond: response });
      await assert.rejects(exchange(fake), (e: unknown) => {
        assert.ok(e instanceof OAuthError);
        assert.match(e.message, message);
        assert.ok(!e.message.includes("<html") && !e.message.includes("AT-leak"));
        return true;
      });
      fake.verify();
    });
  }
});

Deno.test("exchangeCode() names the host and the cause when the network fails", async (t) => {
  const cases: [string, Error, RegExp][] = [
    [
      "a refused connection",
      new TypeError("error sending request: Connection refused"),
      /^The token exchange to "api\.datadoghq\.com" failed: the connection was refused\. Check your network/,
    ],
    [
      "a timeout",
      new DOMException("Signal timed out.", "TimeoutError"),
      /^The token exchange to "api\.datadoghq\.com" failed: no answer within 30 s\./,
    ],
  ];
  for (const [label, error, message] of cases) {
    await t.step(label, async () => {
      const fake = new FakeFetch().expect({ method: "POST", url: TOKEN_URL, respond: error });
      await assert.rejects(exchange(fake), (e: unknown) => {
        assert.ok(e instanceof OAuthError && e.error === "network_error");
        assert.match(e.message, message);
        return true;
      });
      fake.verify();
    });
  }
});
