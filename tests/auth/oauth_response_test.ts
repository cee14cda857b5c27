import assert from "node:assert/strict";
import {
  DEFAULT_EXPIRES_IN,
  processRegistrationResponse,
  processTokenResponse,
  readBody,
} from "../../lib/auth/oauth_response.ts";
import { OAuthError } from "../../lib/errors.ts";
import { jsonResponse } from "../_fakes/fake_fetch.ts";

const NOW = 1_770_202_800_999;
const CODE_CTX = { grant: "authorization_code", clientId: "cid", now: NOW } as const;
const BASE = { access_token: "AT", token_type: "Bearer", expires_in: 3600, refresh_token: "RT" };

async function tokens(body: unknown, ctx: Parameters<typeof processTokenResponse>[1] = CODE_CTX) {
  return processTokenResponse(await readBody(jsonResponse(200, body)), ctx);
}

async function tokenError(
  res: Response,
  ctx: Parameters<typeof processTokenResponse>[1] = CODE_CTX,
) {
  try {
    await processTokenResponse(await readBody(res), ctx);
  } catch (e) {
    assert.ok(e instanceof OAuthError, String(e));
    return e;
  }
  assert.fail("expected an OAuthError");
}

Deno.test("readBody() parses a JSON body and notes its media type", async () => {
  const body = await readBody(
    new Response('{"a":1}', {
      status: 201,
      headers: { "content-type": "Application/JSON; charset=utf-8" },
    }),
  );
  assert.deepEqual(body, {
    status: 201,
    contentType: "application/json",
    json: { a: 1 },
    truncated: false,
    tooLarge: false,
    empty: false,
  });
});

Deno.test("readBody() stops reading after 1 MiB and parses nothing", async () => {
  const big = `{"pad":"${"x".repeat(2 << 20)}"}`;
  const body = await readBody(
    new Response(big, { headers: { "content-type": "application/json" } }),
  );
  assert.equal(body.truncated, true);
  assert.equal(body.json, undefined);
});

Deno.test("readBody() treats a body that breaks off as truncated", async () => {
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(new TextEncoder().encode('{"access_token":"AT"'));
      c.error(new TypeError("connection reset"));
    },
  });
  const body = await readBody(
    new Response(stream, { headers: { "content-type": "application/json" } }),
  );
  assert.equal(body.truncated, true);
  assert.equal(body.json, undefined);
});

Deno.test('processTokenResponse() stores token_type as "Bearer" whatever its case', async () => {
  for (const token_type of ["bearer", "Bearer", "BEARER"]) {
    assert.equal((await tokens({ ...BASE, token_type })).token_type, "Bearer");
  }
});

Deno.test('processTokenResponse() defaults expires_in to 3600 and scope to ""', async () => {
  const { expires_in: _, ...noExpiry } = BASE;
  const t = await tokens(noExpiry);
  assert.equal(t.expires_in, DEFAULT_EXPIRES_IN);
  assert.equal(t.scope, "");
  assert.equal(t.expires_at, "2026-02-04T12:00:00Z");
});

Deno.test("processTokenResponse() writes integers for expires_in and issued_at", async () => {
  const cases: [unknown, number][] = [[3599.9, 3599], ["7200", 7200], [0, 0], [1e20, 315_360_000]];
  for (const [expires_in, expected] of cases) {
    const t = await tokens({ ...BASE, expires_in });
    assert.equal(t.expires_in, expected, String(expires_in));
    assert.ok(Number.isInteger(t.issued_at) && t.issued_at === 1_770_202_800);
    assert.ok(JSON.stringify(t).includes(`"expires_in":${expected},`));
  }
});

Deno.test("processTokenResponse() leaves refresh_token empty after a code exchange that sent none", async () => {
  const { refresh_token: _, ...noRefresh } = BASE;
  assert.equal((await tokens(noRefresh)).refresh_token, "");
});

Deno.test("processTokenResponse() ignores an id_token it never asked for", async () => {
  assert.equal((await tokens({ ...BASE, id_token: "not.a.jwt" })).access_token, "AT");
});

Deno.test("processTokenResponse() refuses a token that is not a Bearer token", async () => {
  const e = await tokenError(jsonResponse(200, { ...BASE, token_type: "DPoP" }));
  assert.equal(e.error, "unsupported_token_type");
  const mac = await tokenError(jsonResponse(200, { ...BASE, token_type: "mac" }));
  assert.equal(mac.error, "invalid_response");
});

Deno.test("processTokenResponse() refuses a response without an access_token, showing no token", async () => {
  const e = await tokenError(
    jsonResponse(200, { token_type: "bearer", refresh_token: "RT-secret" }),
  );
  assert.equal(e.error, "invalid_response");
  assert.match(e.message, /access_token/);
  assert.ok(!e.message.includes("RT-secret"));
  assert.equal(e.cause, undefined);
});

Deno.test("processTokenResponse() reports invalid_client with how to register again", async () => {
  const e = await tokenError(
    jsonResponse(401, { error: "invalid_client" }, { "www-authenticate": 'Basic realm="x"' }),
  );
  assert.equal(e.error, "invalid_client");
  assert.equal(e.status, 401);
  assert.match(e.message, /run 'pup auth logout', then 'pup auth login'/);
});

Deno.test("processTokenResponse() reports an OAuth error that comes with HTTP 200", async () => {
  const e = await tokenError(
    jsonResponse(200, { error: "invalid_grant", error_description: "gone\u001b[2J" }),
  );
  assert.equal(e.error, "invalid_grant");
  assert.equal(e.description, "gone [2J");
  assert.match(e.message, /^Token exchange failed \(HTTP 200\): invalid_grant: gone \[2J\. /);
});

Deno.test("processTokenResponse() asks to retry later after a 429 without an OAuth error", async () => {
  const e = await tokenError(jsonResponse(429, { errors: ["Too many requests"] }));
  assert.equal(
    e.message,
    "Token exchange failed (HTTP 429): Too many requests. The server may be having trouble: try again in a few minutes",
  );
});

Deno.test("processTokenResponse() redacts the secrets it is given from server text", async () => {
  const e = await tokenError(
    jsonResponse(400, {
      error: "invalid_request",
      error_description: "bad code abc123 for verifier VVVV",
    }),
    { ...CODE_CTX, secrets: ["abc123", "VVVV", ""] },
  );
  assert.ok(!e.message.includes("abc123") && !e.message.includes("VVVV"));
  assert.equal(e.description, "bad code [redacted] for verifier [redacted]");
});

Deno.test("processTokenResponse() cuts a long error description to 300 characters", async () => {
  const e = await tokenError(
    jsonResponse(400, { error: "invalid_request", error_description: "d".repeat(5000) }),
  );
  assert.ok(e.message.length < 500);
  assert.ok(e.message.includes(`${"d".repeat(10)}…`));
});

Deno.test("processRegistrationResponse() keeps the redirect URIs the server echoes", async () => {
  const creds = processRegistrationResponse(
    await readBody(
      jsonResponse(201, {
        client_id: "c",
        client_name: "other-name",
        redirect_uris: ["http://127.0.0.1:8080/oauth/callback"],
      }),
    ),
    { site: "datadoghq.com", now: NOW },
  );
  assert.deepEqual(creds, {
    client_id: "c",
    client_name: "other-name",
    redirect_uris: ["http://127.0.0.1:8080/oauth/callback"],
    registered_at: 1_770_202_800,
    site: "datadoghq.com",
  });
});
