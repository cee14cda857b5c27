import assert from "node:assert/strict";
import {
  BACKOFF_MS,
  MAX_RETRY_WAIT_MS,
  parseRetryAfter,
  sendWithRetries,
} from "../../lib/api/http.ts";
import { ApiError, InterruptedError } from "../../lib/errors.ts";
import { FakeClock } from "../_fakes/fake_deps.ts";
import { FakeFetch, jsonResponse } from "../_fakes/fake_fetch.ts";

const URL_ = "https://api.datadoghq.com/api/v1/monitor";
const T0 = Date.UTC(2026, 1, 4, 12);

function setup() {
  const fake = new FakeFetch();
  const clock = new FakeClock(T0);
  const interrupt = new AbortController();
  return {
    fake,
    clock,
    interrupt,
    deps: { fetch: fake.fetch, clock, interrupt: interrupt.signal },
  };
}

const get = { method: "GET", url: URL_, headers: { authorization: "Bearer t" } };
const post = { method: "POST", url: URL_, headers: {}, body: "{}" };

/** A fetch answer that never comes: it rejects only when the request is aborted. */
function hang(req: Request): Promise<Response> {
  return new Promise((_, reject) => {
    req.signal.addEventListener("abort", () => reject(req.signal.reason), { once: true });
  });
}

Deno.test("parseRetryAfter() reads delay seconds and HTTP dates", () => {
  assert.equal(parseRetryAfter("7", T0), 7000);
  assert.equal(parseRetryAfter(new Date(T0 + 5000).toUTCString(), T0), 5000);
  assert.equal(parseRetryAfter(new Date(T0 - 5000).toUTCString(), T0), 0);
  assert.equal(parseRetryAfter(null, T0), undefined);
  assert.equal(parseRetryAfter("soon", T0), undefined);
  assert.equal(parseRetryAfter("-3", T0), undefined);
});

Deno.test("sendWithRetries() waits as long as Retry-After says on 429, then retries", async (t) => {
  await t.step("delay seconds", async () => {
    const { fake, clock, deps } = setup();
    fake.expect({
      method: "GET",
      url: URL_,
      respond: jsonResponse(429, { errors: ["slow down"] }, { "retry-after": "7" }),
    })
      .expect({ method: "GET", url: URL_, respond: jsonResponse(200, []) });
    const body = await sendWithRetries(deps, get);
    assert.equal(body.status, 200);
    assert.equal(clock.ms - T0, 7000);
    fake.verify();
  });
  await t.step("an HTTP date", async () => {
    const { fake, clock, deps } = setup();
    const at = new Date(T0 + 12_000).toUTCString();
    fake.expect({
      method: "POST",
      url: URL_,
      respond: jsonResponse(429, {}, { "retry-after": at }),
    })
      .expect({ method: "POST", url: URL_, respond: jsonResponse(200, {}) });
    assert.equal((await sendWithRetries(deps, post)).status, 200);
    assert.equal(clock.ms - T0, 12_000);
    fake.verify();
  });
});

Deno.test("sendWithRetries() stops after 3 retries on 429 and returns the last answer", async () => {
  const { fake, deps } = setup();
  for (let i = 0; i < 4; i++) {
    fake.expect({
      method: "GET",
      url: URL_,
      respond: jsonResponse(429, {}, { "retry-after": "1" }),
    });
  }
  assert.equal((await sendWithRetries(deps, get)).status, 429);
  fake.verify();
});

Deno.test("sendWithRetries() does not wait when Retry-After is over the cap", async () => {
  const { fake, clock, deps } = setup();
  const tooLong = String(MAX_RETRY_WAIT_MS / 1000 + 1);
  fake.expect({
    method: "GET",
    url: URL_,
    respond: jsonResponse(429, {}, { "retry-after": tooLong }),
  });
  assert.equal((await sendWithRetries(deps, get)).status, 429);
  assert.equal(clock.ms, T0);
  fake.verify();
});

Deno.test("sendWithRetries() retries a 5xx GET with back-off", async () => {
  const { fake, clock, deps } = setup();
  fake.expect({ method: "GET", url: URL_, respond: jsonResponse(503, { errors: ["down"] }) })
    .expect({ method: "GET", url: URL_, respond: jsonResponse(500, { errors: ["down"] }) })
    .expect({ method: "GET", url: URL_, respond: jsonResponse(200, [1]) });
  assert.equal((await sendWithRetries(deps, get)).status, 200);
  assert.equal(clock.ms - T0, BACKOFF_MS[0] + BACKOFF_MS[1]);
  fake.verify();
});

Deno.test("sendWithRetries() never retries a 5xx POST", async () => {
  const { fake, clock, deps } = setup();
  fake.expect({ method: "POST", url: URL_, respond: jsonResponse(502, { errors: ["bad"] }) });
  assert.equal((await sendWithRetries(deps, post)).status, 502);
  assert.equal(clock.ms, T0);
  fake.verify();
});

Deno.test("a redirect to another host is an error naming it, and nothing is sent there", async () => {
  const { fake, deps } = setup();
  fake.expect({
    method: "GET",
    url: URL_,
    check: (req) => assert.equal(req.redirect, "manual"),
    respond: new Response(null, {
      status: 302,
      headers: { location: "https://evil.example/steal" },
    }),
  });
  await assert.rejects(sendWithRetries(deps, get), (e: Error) => {
    assert.ok(e instanceof ApiError);
    assert.equal(e.status, 302);
    assert.match(e.message, /redirected to "evil\.example" \(HTTP 302\)/);
    assert.match(e.message, /no credentials were sent there/);
    return true;
  });
  assert.equal(fake.requests.length, 1);
  fake.verify();
});

Deno.test("a refused connection is an error naming the host", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const deps = { fetch, clock: new FakeClock(T0), interrupt: new AbortController().signal };
  const url = `http://127.0.0.1:${port}/api/v1/validate`;
  await assert.rejects(sendWithRetries(deps, { method: "GET", url, headers: {} }), (e: Error) => {
    assert.ok(e instanceof ApiError);
    assert.equal(
      e.message,
      `Cannot reach "127.0.0.1:${port}" for GET /api/v1/validate: the connection was refused. Check your network connection, proxy settings and the site (DD_SITE), then try again`,
    );
    return true;
  });
});

Deno.test("a DNS failure is an error naming the host", async () => {
  const { fake, deps } = setup();
  fake.expect({
    method: "GET",
    url: URL_,
    respond: new TypeError(
      "error sending request for url (https://api.datadoghq.com/api/v1/monitor): client error (Connect): dns error: failed to lookup address information: Name or service not known",
    ),
  });
  await assert.rejects(
    sendWithRetries(deps, get),
    /^ApiError: Cannot reach "api\.datadoghq\.com" for GET \/api\/v1\/monitor: the host name could not be resolved \(DNS\)/,
  );
  fake.verify();
});

Deno.test("a request with no answer times out with an error naming the host", async () => {
  const { fake, deps } = setup();
  fake.expect({ method: "GET", url: URL_, respond: hang });
  await assert.rejects(sendWithRetries(deps, get, { timeoutMs: 20 }), (e: Error) => {
    assert.ok(e instanceof ApiError);
    assert.equal(
      e.message.split(". ")[0],
      'GET /api/v1/monitor to "api.datadoghq.com" timed out: no complete answer within 20 ms',
    );
    return true;
  });
  fake.verify();
});

Deno.test("Ctrl-C during a request ends it with InterruptedError", async () => {
  const { fake, deps, interrupt } = setup();
  fake.expect({
    method: "GET",
    url: URL_,
    respond: (req) => {
      queueMicrotask(() => interrupt.abort(new InterruptedError()));
      return hang(req);
    },
  });
  await assert.rejects(sendWithRetries(deps, get), InterruptedError);
  fake.verify();
});
