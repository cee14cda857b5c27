import assert from "node:assert/strict";
import {
  apiGet,
  authorizeCode,
  exchange,
  postForm,
  refresh,
  sendJson,
  withMock,
} from "../../_fakes/_mock_client.ts";

async function accessToken(base: string, scope?: string): Promise<string> {
  const res = await exchange(base, await authorizeCode(base, scope));
  return (res.body as { access_token: string }).access_token;
}

Deno.test("API routes need a valid bearer token or both API keys", async (t) => {
  let now = 1_800_000_000_000;
  const opts = { autoApprove: true, apiKey: "k-api", appKey: "k-app", now: () => now };
  await withMock(opts, async (mock) => {
    const token = await accessToken(mock.url);

    await t.step("a valid bearer token passes /api/v1/validate", async () => {
      const res = await apiGet(mock.url, "/api/v1/validate", token);
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { valid: true });
    });
    await t.step("no credentials is 403 Forbidden", async () => {
      const res = await sendJson(mock.url, "/api/v1/validate", "GET");
      assert.equal(res.status, 403);
      assert.deepEqual(res.body, { errors: ["Forbidden"] });
    });
    await t.step("an unknown bearer token is 401 Unauthorized", async () => {
      const res = await apiGet(mock.url, "/api/v1/validate", "mock_at_unknown");
      assert.equal(res.status, 401);
      assert.deepEqual(res.body, { errors: ["Unauthorized"] });
    });
    await t.step("both keys pass; one key or a wrong key is 403", async () => {
      const path = "/api/v1/validate";
      const both = { "dd-api-key": "k-api", "dd-application-key": "k-app" };
      assert.equal((await sendJson(mock.url, path, "GET", undefined, both)).status, 200);
      const one = { "dd-api-key": "k-api" };
      assert.equal((await sendJson(mock.url, path, "GET", undefined, one)).status, 403);
      const wrong = { ...both, "dd-application-key": "nope" };
      assert.equal((await sendJson(mock.url, path, "GET", undefined, wrong)).status, 403);
    });
    await t.step(
      "a bearer token wins over keys, so an expired one fails despite keys",
      async () => {
        now += 3600 * 1000;
        const res = await sendJson(mock.url, "/api/v1/validate", "GET", undefined, {
          authorization: `Bearer ${token}`,
          "dd-api-key": "k-api",
          "dd-application-key": "k-app",
        });
        assert.equal(res.status, 401);
      },
    );
  });
});

Deno.test("an access token is accepted until its accessTtl runs out", async () => {
  let now = 1_800_000_000_000;
  await withMock({ autoApprove: true, accessTtl: 60, now: () => now }, async (mock) => {
    const token = await accessToken(mock.url);
    now += 59_999;
    assert.equal((await apiGet(mock.url, "/api/v1/validate", token)).status, 200);
    now += 1;
    assert.equal((await apiGet(mock.url, "/api/v1/validate", token)).status, 401);
  });
});

Deno.test("expireAll expires every issued access token, in process and over HTTP", async () => {
  await withMock({ autoApprove: true }, async (mock) => {
    const first = await accessToken(mock.url);
    mock.expireAll();
    assert.equal((await apiGet(mock.url, "/api/v1/validate", first)).status, 401);
    const second = await accessToken(mock.url);
    assert.equal((await apiGet(mock.url, "/api/v1/validate", second)).status, 200);
    assert.equal((await sendJson(mock.url, "/__mock/expire-all", "POST")).status, 200);
    assert.equal((await apiGet(mock.url, "/api/v1/validate", second)).status, 401);
  });
});

Deno.test("forgetClients makes the token endpoint answer invalid_client for every known client, in process and over HTTP", async () => {
  await withMock({ autoApprove: true }, async (mock) => {
    const a = await authorizeCode(mock.url);
    const first = (await exchange(mock.url, a)).body as { refresh_token: string };
    mock.forgetClients();
    const refused = await refresh(mock.url, a.clientId, first.refresh_token);
    assert.equal(refused.status, 401);
    assert.equal((refused.body as { error: string }).error, "invalid_client");
    const b = await authorizeCode(mock.url);
    assert.equal((await sendJson(mock.url, "/__mock/forget-clients", "POST")).status, 200);
    const again = await exchange(mock.url, b);
    assert.equal((again.body as { error: string }).error, "invalid_client");
  });
});

Deno.test("a revoked access token is 401 and revocation is recorded", async () => {
  await withMock({ autoApprove: true }, async (mock) => {
    const a = await authorizeCode(mock.url);
    const token = (await exchange(mock.url, a)).body as { access_token: string };
    const revoke = (fields: Record<string, string>) =>
      postForm(mock.url, "/oauth2/v1/revoke", { client_id: a.clientId, ...fields });
    assert.equal((await revoke({ token: "mock_at_unknown" })).status, 200);
    const res = await revoke({ token: token.access_token, token_type_hint: "access_token" });
    assert.equal(res.status, 200);
    assert.equal((await apiGet(mock.url, "/api/v1/validate", token.access_token)).status, 401);
    const unknownClient = await postForm(mock.url, "/oauth2/v1/revoke", {
      client_id: "nobody",
      token: token.access_token,
    });
    assert.equal(unknownClient.status, 401);
    assert.deepEqual(mock.stats().revocations, [
      { token_type_hint: null, ok: false },
      { token_type_hint: "access_token", ok: true },
      { token_type_hint: null, ok: false },
    ]);
  });
});

Deno.test("API routes check the token's scope", async () => {
  await withMock({ autoApprove: true }, async (mock) => {
    const token = await accessToken(mock.url, "dashboards_read");
    assert.equal((await apiGet(mock.url, "/api/v1/validate", token)).status, 200);
    const res = await apiGet(mock.url, "/api/v1/monitor", token);
    assert.equal(res.status, 403);
    assert.deepEqual(res.body, { errors: ["Forbidden"] });
  });
});

Deno.test("the monitor, logs, query and echo routes answer canned data", async (t) => {
  await withMock({ autoApprove: true }, async (mock) => {
    const token = await accessToken(
      mock.url,
      "monitors_read logs_read_data timeseries_query",
    );
    const auth = { authorization: `Bearer ${token}` };
    type Monitor = { id: number; name: string; tags: string[] };

    await t.step("monitors filter by name, tags and page_size", async () => {
      const all = (await apiGet(mock.url, "/api/v1/monitor", token)).body as Monitor[];
      assert.equal(all.length, 3);
      for (const m of all) {
        assert.deepEqual(Object.keys(m).sort(), [
          "id",
          "name",
          "overall_state",
          "query",
          "tags",
          "type",
        ]);
      }
      const byName = (await apiGet(mock.url, "/api/v1/monitor?name=checkout", token)).body;
      assert.deepEqual((byName as Monitor[]).map((m) => m.id), [1002]);
      const byTag = await apiGet(mock.url, "/api/v1/monitor?monitor_tags=env:prod,team:web", token);
      assert.deepEqual((byTag.body as Monitor[]).map((m) => m.id), [1001]);
      const paged = await apiGet(mock.url, "/api/v1/monitor?page_size=2", token);
      assert.equal((paged.body as Monitor[]).length, 2);
      assert.equal((await apiGet(mock.url, "/api/v1/monitor?page_size=x", token)).status, 400);
    });
    await t.step("a monitor is found by id, else 404", async () => {
      const one = await apiGet(mock.url, "/api/v1/monitor/1003", token);
      assert.equal((one.body as Monitor).name, "Disk almost full");
      const missing = await apiGet(mock.url, "/api/v1/monitor/42", token);
      assert.equal(missing.status, 404);
      assert.deepEqual(missing.body, { errors: ["Monitor not found"] });
    });
    await t.step("logs search filters, limits and pages", async () => {
      const path = "/api/v2/logs/events/search";
      const body = {
        filter: { query: "service:checkout", from: "now-15m", to: "now" },
        page: { limit: 1 },
      };
      const res = await sendJson(mock.url, path, "POST", body, auth);
      assert.equal(res.status, 200);
      const result = res.body as {
        data: { attributes: { service: string } }[];
        meta: { page: { after?: string } };
      };
      assert.equal(result.data.length, 1);
      assert.equal(result.data[0].attributes.service, "checkout");
      assert.equal(result.meta.page.after, "1");
      const bad = await sendJson(mock.url, path, "POST", { page: { limit: 0 } }, auth);
      assert.equal(bad.status, 400);
    });
    await t.step("a metrics query needs from, to and query", async () => {
      const ok = await apiGet(
        mock.url,
        "/api/v1/query?from=1000&to=2000&query=avg:system.load.1{*}",
        token,
      );
      assert.equal((ok.body as { status: string }).status, "ok");
      assert.equal((ok.body as { series: unknown[] }).series.length, 1);
      assert.equal((await apiGet(mock.url, "/api/v1/query?from=1000&query=x", token)).status, 400);
    });
    await t.step("echo returns method, path, query and JSON body", async () => {
      const res = await sendJson(mock.url, "/api/v2/echo?a=1", "PUT", { x: [1] }, auth);
      assert.deepEqual(res.body, {
        method: "PUT",
        path: "/api/v2/echo",
        query: { a: "1" },
        body: { x: [1] },
      });
    });
    await t.step("an unknown API path is 404 and a wrong method 405", async () => {
      assert.equal((await apiGet(mock.url, "/api/v1/nothing", token)).status, 404);
      assert.equal(
        (await sendJson(mock.url, "/api/v1/validate", "DELETE", undefined, auth)).status,
        405,
      );
    });
  });
});

Deno.test("a request body over 1 MB is refused with 413", async () => {
  await withMock({}, async (mock) => {
    const res = await fetch(mock.url + "/api/v2/echo", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ pad: "x".repeat(1024 * 1024) }),
    });
    assert.equal(res.status, 413);
    await res.body?.cancel();
  });
});

Deno.test("a chunked request body over 1 MB is refused with 413 while streaming", async () => {
  await withMock({}, async (mock) => {
    const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        // Stops on its own so a mock that kept reading would not hang the test.
        if (sent++ >= 40) return controller.close();
        controller.enqueue(chunk);
      },
    });
    const res = await fetch(mock.url + "/api/v2/echo", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    assert.equal(res.status, 413);
    await res.body?.cancel();
  });
});
