/**
 * The auto-approving `$BROWSER` stand-in: redirects, the consent form, and its loopback-only rule.
 */
import assert from "node:assert/strict";
import {
  followAuthorize,
  isLoopback,
  MAX_HOPS,
  parseConsentForm,
} from "../../scripts/fast_browser.ts";

const CONSENT = `<!doctype html><html><body><h1>Authorize datadog-pup-cli</h1>
<form id="consent" method="post" action="/oauth2/v1/authorize/decision">
<input type="hidden" name="request_id" value="mock_req_a&amp;b">
<button type="submit" id="approve" name="decision" value="approve">Authorize</button>
<button type="submit" id="deny" name="decision" value="deny">Deny</button>
</form></body></html>`;

/** A fetch that answers from a script of expected requests and fails on anything else. */
function scriptedFetch(
  steps: { url: string; method: string; body?: string; answer: () => Response }[],
) {
  const seen: string[] = [];
  const fn = ((input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input instanceof Request ? input.url : input);
    const step = steps.shift();
    if (step === undefined) throw new Error(`unexpected fetch: ${url}`);
    assert.equal(url, step.url);
    assert.equal(init?.method ?? "GET", step.method);
    assert.equal(init?.redirect, "manual", "redirects are followed by hand, to check each host");
    if (step.body !== undefined) assert.equal(String(init?.body), step.body);
    seen.push(url);
    return Promise.resolve(step.answer());
  }) as typeof fetch;
  return { fn, seen, done: () => assert.equal(steps.length, 0, "every expected request was made") };
}

const redirect = (to: string) => () =>
  new Response(null, { status: 302, headers: { location: to } });
const html = (body: string, status = 200) => () =>
  new Response(body, { status, headers: { "content-type": "text/html; charset=utf-8" } });

Deno.test("isLoopback() accepts only http(s) on this machine", () => {
  for (
    const u of [
      "http://127.0.0.1:8000/x",
      "http://localhost/",
      "https://[::1]:9/",
      "http://127.9.9.9/",
    ]
  ) {
    assert.equal(isLoopback(new URL(u)), true, u);
  }
  for (
    const u of [
      "https://app.datadoghq.com/",
      "http://10.0.0.1/",
      "file:///etc/passwd",
      "http://127.0.0.1.evil.com/",
    ]
  ) {
    assert.equal(isLoopback(new URL(u)), false, u);
  }
});

Deno.test("parseConsentForm() presses approve: hidden inputs plus the button's name and value", () => {
  const form = parseConsentForm(CONSENT, new URL("http://127.0.0.1:5000/oauth2/v1/authorize?x=1"));
  assert.ok(form);
  assert.equal(form.action.href, "http://127.0.0.1:5000/oauth2/v1/authorize/decision");
  assert.equal(form.body.toString(), "request_id=mock_req_a%26b&decision=approve");
  assert.equal(parseConsentForm("<p>Logged in</p>", new URL("http://127.0.0.1/")), undefined);
  assert.equal(
    parseConsentForm(
      CONSENT.replace(/<button[^>]*id="approve"[^>]*>/, ""),
      new URL("http://127.0.0.1/"),
    ),
    undefined,
    "no approve button, nothing to press",
  );
});

Deno.test("followAuthorize() follows redirects to the callback and reports its status", async () => {
  const f = scriptedFetch([
    {
      url: "http://127.0.0.1:5000/oauth2/v1/authorize?a=1",
      method: "GET",
      answer: redirect("http://127.0.0.1:8000/oauth/callback?code=c&state=s"),
    },
    {
      url: "http://127.0.0.1:8000/oauth/callback?code=c&state=s",
      method: "GET",
      answer: html("<p>Logged in</p>"),
    },
  ]);
  const end = await followAuthorize(new URL("http://127.0.0.1:5000/oauth2/v1/authorize?a=1"), f.fn);
  assert.equal(end.status, 200);
  assert.equal(end.url.pathname, "/oauth/callback");
  f.done();
});

Deno.test("followAuthorize() approves a consent page, then follows its redirect", async () => {
  const f = scriptedFetch([
    { url: "http://127.0.0.1:5000/oauth2/v1/authorize", method: "GET", answer: html(CONSENT) },
    {
      url: "http://127.0.0.1:5000/oauth2/v1/authorize/decision",
      method: "POST",
      body: "request_id=mock_req_a%26b&decision=approve",
      answer: redirect("http://127.0.0.1:8000/oauth/callback?code=c&state=s"),
    },
    {
      url: "http://127.0.0.1:8000/oauth/callback?code=c&state=s",
      method: "GET",
      answer: html("ok"),
    },
  ]);
  const end = await followAuthorize(new URL("http://127.0.0.1:5000/oauth2/v1/authorize"), f.fn);
  assert.equal(end.status, 200);
  f.done();
});

Deno.test("followAuthorize() refuses a host off this machine before sending anything to it", async () => {
  const f = scriptedFetch([
    {
      url: "http://127.0.0.1:5000/a",
      method: "GET",
      answer: redirect("https://app.datadoghq.com/oauth2/v1/authorize"),
    },
  ]);
  await assert.rejects(followAuthorize(new URL("http://127.0.0.1:5000/a"), f.fn), RangeError);
  f.done();
  await assert.rejects(
    followAuthorize(new URL("https://example.com/"), f.fn),
    /only visits loopback/,
  );
});

Deno.test("followAuthorize() reports an error page's status without pressing anything", async () => {
  const f = scriptedFetch([
    {
      url: "http://127.0.0.1:8000/oauth/callback?state=x",
      method: "GET",
      answer: html(CONSENT, 400),
    },
  ]);
  const end = await followAuthorize(new URL("http://127.0.0.1:8000/oauth/callback?state=x"), f.fn);
  assert.equal(end.status, 400);
  f.done();
});

Deno.test("followAuthorize() gives up on a redirect loop", async () => {
  const loop = Array.from({ length: MAX_HOPS + 1 }, () => ({
    url: "http://127.0.0.1:5000/loop",
    method: "GET",
    answer: redirect("/loop"),
  }));
  const f = scriptedFetch(loop);
  await assert.rejects(followAuthorize(new URL("http://127.0.0.1:5000/loop"), f.fn), /Gave up/);
  f.done();
});
