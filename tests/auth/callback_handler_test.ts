import assert from "node:assert/strict";
import {
  type CallbackOutcome,
  DCR_REDIRECT_PORTS,
  handleCallbackRequest,
  isValidatedCallback,
  MAX_QUERY_LENGTH,
  redirectUriFor,
  validateCallbackParams,
} from "../../lib/auth/callback_handler.ts";

const PORT = 8765;
const STATE = "s".repeat(16) + "T".repeat(16);
const UUID = "3fa85f64-5717-4562-b3fc-2c963f66afa6";
const EXPECT = { port: PORT, state: STATE };

/** A GET to the callback server as a browser sends it. */
function get(query: string, opts: { path?: string; host?: string | null; method?: string } = {}) {
  const headers = new Headers();
  const host = opts.host === undefined ? `127.0.0.1:${PORT}` : opts.host;
  if (host !== null) headers.set("host", host);
  return new Request(`http://127.0.0.1:${PORT}${opts.path ?? "/oauth/callback"}${query}`, {
    method: opts.method ?? "GET",
    headers,
  });
}

function handle(req: Request) {
  return handleCallbackRequest(req, EXPECT);
}

function assertSecurityHeaders(res: Response): void {
  assert.equal(
    res.headers.get("content-security-policy"),
    "default-src 'none'; style-src 'unsafe-inline'",
  );
  assert.equal(res.headers.get("cache-control"), "no-store");
  assert.equal(res.headers.get("referrer-policy"), "no-referrer");
}

function codeOf(outcome: CallbackOutcome | undefined) {
  assert.equal(outcome?.kind, "code");
  return (outcome as Extract<CallbackOutcome, { kind: "code" }>).callback;
}

Deno.test("redirectUriFor() gives the loopback redirect URI of a port", () => {
  assert.equal(redirectUriFor(8080), "http://127.0.0.1:8080/oauth/callback");
  assert.deepEqual([...DCR_REDIRECT_PORTS], [8000, 8080, 8888, 9000]);
});

Deno.test("handleCallbackRequest() accepts a code with the right state", async () => {
  const { response, outcome } = handle(get(`?code=abc&state=${STATE}`));
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), "text/html; charset=utf-8");
  assertSecurityHeaders(response);
  const body = await response.text();
  assert.ok(body.includes("<title>Pup - Authentication Successful</title>"));
  assert.ok(body.includes("<h1>Authentication Successful</h1>"));
  assert.ok(body.includes("#632ca6"));
  assert.ok(body.includes("You can close this window and return to pup."));
  const cb = codeOf(outcome);
  assert.equal(cb.code, "abc");
  assert.equal(cb.state, STATE);
  assert.ok(isValidatedCallback(cb));
});

Deno.test("handleCallbackRequest() keeps dd_oid only when it is UUID-shaped", async (t) => {
  await t.step("a UUID is kept and shown", async () => {
    const { response, outcome } = handle(get(`?code=c&state=${STATE}&dd_oid=${UUID}`));
    assert.equal(codeOf(outcome).dd_oid, UUID);
    assert.ok((await response.text()).includes(UUID));
  });
  for (
    const bad of ["not-a-uuid", `${UUID}0`, UUID.replaceAll("-", "_"), `${UUID.slice(0, 35)}g`]
  ) {
    await t.step(`${JSON.stringify(bad)} is dropped`, () => {
      const { outcome } = handle(get(`?code=c&state=${STATE}&dd_oid=${bad}`));
      assert.equal(codeOf(outcome).dd_oid, undefined);
    });
  }
});

Deno.test("handleCallbackRequest() carries dd_org_name, domain and site to the callback", async () => {
  const { response, outcome } = handle(
    get(
      `?code=c&state=${STATE}&dd_org_name=Acme+Corp&domain=us3.datadoghq.com` +
        "&site=https%3A%2F%2Fus3.datadoghq.com",
    ),
  );
  const cb = codeOf(outcome);
  assert.equal(cb.dd_org_name, "Acme Corp");
  assert.equal(cb.domain, "us3.datadoghq.com");
  assert.equal(cb.site, "https://us3.datadoghq.com");
  const body = await response.text();
  assert.ok(
    body.includes(
      'Connected to Datadog (<a href="https://us3.datadoghq.com">us3.datadoghq.com</a>) ' +
        "in org <strong>Acme Corp</strong>",
    ),
  );
});

Deno.test("handleCallbackRequest() links the site only when it is https", async () => {
  const { response } = handle(get(`?code=c&state=${STATE}&site=javascript:alert(1)`));
  const body = await response.text();
  assert.ok(!body.includes("<a "));
  assert.ok(body.includes("Connected to Datadog."));
});

Deno.test("handleCallbackRequest() keeps waiting after a wrong state", async () => {
  for (const state of [STATE.slice(0, -1) + "x", STATE.slice(0, -1), `${STATE}x`, ""]) {
    const { response, outcome } = handle(get(`?code=abc&state=${state}`));
    assert.equal(response.status, 400, state);
    assert.equal(outcome, undefined);
    assertSecurityHeaders(response);
    const body = await response.text();
    assert.ok(body.includes("does not match this login"));
    assert.ok(body.includes("pup is still waiting"));
  }
});

Deno.test("handleCallbackRequest() keeps waiting when the state is missing", async () => {
  const { response, outcome } = handle(get("?code=abc"));
  assert.equal(response.status, 400);
  assert.equal(outcome, undefined);
  assert.ok((await response.text()).includes("it has no state parameter"));
});

Deno.test("handleCallbackRequest() keeps waiting when state, code or error is repeated", () => {
  for (
    const query of [
      `?code=a&state=${STATE}&state=${STATE}`,
      `?code=a&code=b&state=${STATE}`,
      `?error=a&error=b&state=${STATE}`,
    ]
  ) {
    const { response, outcome } = handle(get(query));
    assert.equal(response.status, 400, query);
    assert.equal(outcome, undefined, query);
  }
});

Deno.test("handleCallbackRequest() ends the flow with the server's error when the state is right", async () => {
  const { response, outcome } = handle(
    get(`?error=access_denied&error_description=User+said+no&state=${STATE}`),
  );
  assert.deepEqual(outcome, { kind: "error", error: "access_denied", description: "User said no" });
  assert.equal(response.status, 400);
  assertSecurityHeaders(response);
  const body = await response.text();
  assert.ok(body.includes("<title>Pup - Authentication Failed</title>"));
  assert.ok(body.includes("<strong>access_denied</strong>"));
  assert.ok(body.includes("User said no"));
  assert.ok(body.includes("Please close this window and try again."));
});

Deno.test("handleCallbackRequest() ignores an error that comes with a wrong state", () => {
  const { response, outcome } = handle(get("?error=access_denied&state=forged"));
  assert.equal(response.status, 400);
  assert.equal(outcome, undefined);
});

Deno.test("handleCallbackRequest() ends the flow when the right state comes with no code or error", () => {
  const { outcome } = handle(get(`?state=${STATE}`));
  assert.equal(outcome?.kind, "error");
  assert.equal((outcome as { error: string }).error, "invalid_request");
});

Deno.test("handleCallbackRequest() escapes every dynamic value in the pages", async (t) => {
  const script = "<script>alert('x')</script>&\"";
  const q = encodeURIComponent(script);
  await t.step("the error page escapes error and error_description", async () => {
    const { response, outcome } = handle(
      get(`?error=${q}&error_description=${q}&state=${STATE}`),
    );
    const body = await response.text();
    assert.ok(!body.includes("<script>"));
    assert.ok(body.includes("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"));
    assert.equal((outcome as { description: string }).description, script);
  });
  await t.step("the success page escapes org name, domain, site and its link", async () => {
    const { response } = handle(
      get(`?code=c&state=${STATE}&dd_org_name=${q}&domain=${q}&site=${
        encodeURIComponent(
          `https://x/"><script>`,
        )
      }`),
    );
    const body = await response.text();
    assert.ok(!body.includes("<script>"));
    assert.ok(body.includes('href="https://x/&quot;&gt;&lt;script&gt;"'));
  });
});

Deno.test("handleCallbackRequest() strips control characters from the server's text", () => {
  const { outcome } = handle(
    get(`?error=bad%1B%5B31m&error_description=line1%0Aline2%07&state=${STATE}`),
  );
  assert.deepEqual(outcome, { kind: "error", error: "bad [31m", description: "line1 line2" });
});

Deno.test("handleCallbackRequest() answers 404 to any other path, such as the favicon", async () => {
  for (
    const path of ["/favicon.ico", "/", "/oauth/callbackXYZ", "/oauth/callback/", "/OAUTH/CALLBACK"]
  ) {
    const { response, outcome } = handle(get(`?code=c&state=${STATE}`, { path }));
    assert.equal(response.status, 404, path);
    assert.equal(outcome, undefined);
    assertSecurityHeaders(response);
    await response.body?.cancel();
  }
});

Deno.test("handleCallbackRequest() answers 405 to anything but GET", async () => {
  for (const method of ["POST", "PUT", "HEAD", "OPTIONS", "DELETE"]) {
    const { response, outcome } = handle(get(`?code=c&state=${STATE}`, { method }));
    assert.equal(response.status, 405, method);
    assert.equal(response.headers.get("allow"), "GET");
    assert.equal(outcome, undefined);
    await response.body?.cancel();
  }
});

Deno.test("handleCallbackRequest() rejects a Host other than 127.0.0.1 or localhost on its port", async () => {
  for (
    const host of ["evil.example", `evil.example:${PORT}`, "127.0.0.1:1", `[::1]:${PORT}`, null]
  ) {
    const { response, outcome } = handle(get(`?code=c&state=${STATE}`, { host }));
    assert.equal(response.status, 400, String(host));
    assert.equal(outcome, undefined);
    assert.ok((await response.text()).startsWith("Misdirected request"));
  }
  const { outcome } = handle(get(`?code=c&state=${STATE}`, { host: `LocalHost:${PORT}` }));
  assert.equal(outcome?.kind, "code");
});

Deno.test("handleCallbackRequest() answers 414 to a query over 8 KB", async () => {
  const pad = "x".repeat(MAX_QUERY_LENGTH);
  const { response, outcome } = handle(get(`?code=c&state=${STATE}&pad=${pad}`));
  assert.equal(response.status, 414);
  assert.equal(outcome, undefined);
  await response.body?.cancel();
});

Deno.test("isValidatedCallback() refuses a look-alike object", () => {
  assert.equal(isValidatedCallback({ code: "c", state: STATE }), false);
  assert.equal(isValidatedCallback(null), false);
  const verdict = validateCallbackParams(new URLSearchParams({ code: "c", state: STATE }), STATE);
  assert.equal(verdict.kind, "code");
  const cb = (verdict as { callback: object }).callback;
  assert.ok(isValidatedCallback(cb));
  assert.equal(isValidatedCallback({ ...cb }), false);
  assert.ok(Object.isFrozen(cb));
});
