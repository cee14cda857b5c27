import assert from "node:assert/strict";
import { createCommandRunner } from "../../lib/platform/command_runner.ts";
import { startMockDatadog } from "../../scripts/mock_datadog.ts";
import {
  apiGet,
  authorizeCode,
  authorizeUrl,
  exchange,
  getNoRedirect,
  pkcePair,
  redirectUriFor,
  refresh,
  register,
  sendJson,
  withMock,
} from "../_fakes/_mock_client.ts";

const SCRIPTS = new URL("../../scripts/", import.meta.url);

Deno.test("a fault fires count times, then the endpoint works again", async () => {
  await withMock({ autoApprove: true }, async (mock) => {
    mock.setFault({ endpoint: "token", status: 500, count: 1 });
    const a = await authorizeCode(mock.url);
    const failed = await exchange(mock.url, a);
    assert.equal(failed.status, 500);
    assert.deepEqual(failed.body, { error: "server_error", error_description: "Injected fault" });
    const b = await authorizeCode(mock.url);
    assert.equal((await exchange(mock.url, b)).status, 200);
    assert.equal(mock.stats().faultsFired, 1);
  });
});

Deno.test("an api fault with retryAfter answers 429 twice with Retry-After", async () => {
  await withMock({ autoApprove: true }, async (mock) => {
    const token = (await exchange(mock.url, await authorizeCode(mock.url))).body as {
      access_token: string;
    };
    mock.setFault({ endpoint: "api", status: 429, retryAfter: 1, count: 2 });
    for (let i = 0; i < 2; i++) {
      const res = await apiGet(mock.url, "/api/v1/validate", token.access_token);
      assert.equal(res.status, 429);
      assert.equal(res.headers.get("retry-after"), "1");
    }
    assert.equal((await apiGet(mock.url, "/api/v1/validate", token.access_token)).status, 200);
    assert.equal(mock.stats().apiRequests, 3);
  });
});

Deno.test("a truncate fault does the work but cuts the JSON body short", async () => {
  await withMock(
    { autoApprove: true, faults: [{ endpoint: "token", truncate: true }] },
    async (mock) => {
      const res = await exchange(mock.url, await authorizeCode(mock.url));
      assert.equal(res.status, 200);
      assert.throws(() => JSON.parse(res.text), SyntaxError);
      assert.ok(res.text.startsWith('{"access_token":"mock_at_'));
    },
  );
});

Deno.test("a grantType fault hits only that grant", async () => {
  await withMock({ autoApprove: true }, async (mock) => {
    mock.setFault({ endpoint: "token", grantType: "refresh_token", status: 503 });
    const a = await authorizeCode(mock.url);
    const tokens = (await exchange(mock.url, a)).body as { refresh_token: string };
    assert.ok(tokens.refresh_token);
    assert.equal((await refresh(mock.url, a.clientId, tokens.refresh_token)).status, 503);
    assert.equal((await refresh(mock.url, a.clientId, tokens.refresh_token)).status, 503);
    mock.clearFaults();
    assert.equal((await refresh(mock.url, a.clientId, tokens.refresh_token)).status, 200);
  });
});

Deno.test("the control API sets, lists and clears faults for other processes", async (t) => {
  await withMock({}, async (mock) => {
    await t.step("an HTML body on register keeps the success status", async () => {
      const set = await sendJson(mock.url, "/__mock/faults", "POST", {
        endpoint: "register",
        body: "<html>oops</html>",
        contentType: "text/html",
      });
      assert.deepEqual(set.body, { faults: 1 });
      for (let i = 0; i < 2; i++) {
        const res = await register(mock.url);
        assert.equal(res.status, 201);
        assert.equal(res.text, "<html>oops</html>");
        assert.equal(res.headers.get("content-type"), "text/html");
      }
    });
    await t.step("GET lists the pending faults and DELETE removes them", async () => {
      const list = await sendJson(mock.url, "/__mock/faults", "GET");
      assert.deepEqual(list.body, [{
        endpoint: "register",
        body: "<html>oops</html>",
        contentType: "text/html",
        remaining: null,
      }]);
      assert.deepEqual((await sendJson(mock.url, "/__mock/faults", "DELETE")).body, { faults: 0 });
      assert.equal((await register(mock.url)).headers.get("content-type"), "application/json");
    });
    await t.step("an array sets several faults; a bad one is refused with 400", async () => {
      const set = await sendJson(mock.url, "/__mock/faults", "POST", [
        { endpoint: "token", status: 500, count: 1 },
        { endpoint: "revoke", delayMs: 1, count: 3 },
      ]);
      assert.deepEqual(set.body, { faults: 2 });
      const bad = await sendJson(mock.url, "/__mock/faults", "POST", { endpoint: "nowhere" });
      assert.equal(bad.status, 400);
      const typo = await sendJson(mock.url, "/__mock/faults", "POST", {
        endpoint: "token",
        stauts: 500,
      });
      assert.equal(typo.status, 400);
      assert.equal(
        ((await sendJson(mock.url, "/__mock/faults", "GET")).body as unknown[]).length,
        2,
      );
    });
    assert.throws(() => mock.setFault({ endpoint: "api", count: 0 }), TypeError);
  });
});

Deno.test("stats count a whole login, refresh and API call", async () => {
  await withMock({ autoApprove: true }, async (mock) => {
    const a = await authorizeCode(mock.url);
    const tokens = (await exchange(mock.url, a)).body as {
      access_token: string;
      refresh_token: string;
    };
    await refresh(mock.url, a.clientId, tokens.refresh_token);
    await refresh(mock.url, a.clientId, tokens.refresh_token);
    await apiGet(mock.url, "/api/v1/validate", tokens.access_token);
    const over = await sendJson(mock.url, "/__mock/stats", "GET");
    assert.deepEqual(over.body, mock.stats());
    assert.deepEqual(mock.stats(), {
      registrations: 1,
      authorizeRequests: 1,
      consentDecisions: { approved: 0, denied: 0 },
      tokenRequests: { authorization_code: 1, refresh_token: 2, other: 0 },
      pkceVerified: 1,
      revocations: [],
      apiRequests: 1,
      faultsFired: 0,
      clientIds: [a.clientId],
      lastAuthorizeParams: Object.fromEntries(
        new URL(authorizeUrl(mock.url, a.clientId, a.pkce.challenge)).searchParams,
      ),
    });
  });
});

Deno.test("two mocks started together keep separate state", async () => {
  const one = await startMockDatadog({ autoApprove: true });
  const two = await startMockDatadog({ autoApprove: true });
  try {
    assert.notEqual(one.port, two.port);
    const a = await authorizeCode(one.url);
    assert.equal((await exchange(two.url, a)).status, 401, "client unknown to the second mock");
    assert.equal(two.stats().clientIds.length, 0);
  } finally {
    await one.close();
    await two.close();
  }
});

Deno.test("run as a process, the mock prints one MOCK_URL line and stops on SIGTERM", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-P=pup", new URL("mock_datadog.ts", SCRIPTS).pathname, "--auto-approve"],
    stdout: "piped",
    stderr: "null",
    stdin: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  try {
    let out = "";
    const deadline = setTimeout(() => child.kill("SIGKILL"), 30_000);
    while (!out.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      out += value;
    }
    clearTimeout(deadline);
    const match = /^MOCK_URL=(http:\/\/127\.0\.0\.1:(\d+))\n$/.exec(out);
    assert.ok(match, `unexpected stdout ${JSON.stringify(out)}`);
    const a = await authorizeCode(match[1]);
    assert.equal((await exchange(match[1], a)).status, 200);
    child.kill("SIGTERM");
    const rest = await reader.read();
    assert.ok(rest.done, "nothing else is printed on stdout");
    assert.equal((await child.status).code, 0);
  } finally {
    reader.releaseLock();
    try {
      child.kill("SIGKILL");
    } catch { /* already exited */ }
    await child.status;
  }
});

Deno.test("run as a process, the mock refuses an unknown flag with exit code 2", async () => {
  const script = new URL("mock_datadog.ts", SCRIPTS).pathname;
  const res = await createCommandRunner().run(
    Deno.execPath(),
    ["run", "-P=pup", script, "--no-such-flag"],
    { timeoutMs: 30_000 },
  );
  assert.equal(res.code, 2);
  assert.equal(res.stdout, "");
  assert.match(res.stderr, /no-such-flag/);
});

Deno.test("headless Chromium submits the consent form and lands on the callback", async () => {
  const { promise: callback, resolve } = Promise.withResolvers<URLSearchParams>();
  const listener = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const url = new URL(req.url);
    if (url.pathname !== "/oauth/callback") return new Response(null, { status: 404 });
    resolve(url.searchParams);
    return new Response("<p>done</p>", { headers: { "content-type": "text/html" } });
  });
  const redirectUri = redirectUriFor(listener.addr.port);
  const mock = await startMockDatadog({
    autoSubmit: true,
    allowedRedirectPorts: [listener.addr.port],
    orgUuid: "0b3ba3f6-1f7c-11ef-9a7c-da7ad0900002",
  });
  try {
    const clientId = ((await register(mock.url, [redirectUri])).body as { client_id: string })
      .client_id;
    const pkce = await pkcePair();
    const url = authorizeUrl(mock.url, clientId, pkce.challenge, { redirect_uri: redirectUri });
    assert.equal((await getNoRedirect(url)).status, 200, "the consent page is shown, not skipped");
    const browser = await createCommandRunner().run(
      new URL("headless_browser.sh", SCRIPTS).pathname,
      [url],
      { timeoutMs: 90_000 },
    );
    assert.equal(browser.code, 0);
    const timeout = new Promise<never>((_, reject) => {
      const id = setTimeout(() => reject(new Error("no callback after the browser exited")), 5_000);
      callback.finally(() => clearTimeout(id));
    });
    const params = await Promise.race([callback, timeout]);
    assert.equal(params.get("state"), "state-1234567890");
    assert.equal(params.get("dd_oid"), "0b3ba3f6-1f7c-11ef-9a7c-da7ad0900002");
    assert.equal(mock.stats().consentDecisions.approved, 1, "the form was really POSTed");
    const tokens = await exchange(mock.url, {
      clientId,
      code: params.get("code")!,
      pkce,
      redirectUri,
    });
    assert.equal(tokens.status, 200);
  } finally {
    await mock.close();
    await listener.shutdown();
  }
});
