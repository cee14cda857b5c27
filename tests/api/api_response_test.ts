import assert from "node:assert/strict";
import {
  apiFailure,
  describeFailure,
  processApiSuccess,
  readApiBody,
} from "../../lib/api/api_response.ts";
import { ApiError } from "../../lib/errors.ts";
import { jsonResponse } from "../_fakes/fake_fetch.ts";

const LABEL = { what: "GET /api/v1/monitor", host: "api.datadoghq.com" };

function brokenStream(first: string): ReadableStream<Uint8Array> {
  let sent = false;
  return new ReadableStream({
    pull(c) {
      if (!sent) {
        sent = true;
        c.enqueue(new TextEncoder().encode(first));
      } else c.error(new Error("connection reset"));
    },
  });
}

Deno.test("processApiSuccess() returns the JSON, and null for an empty 204", async () => {
  assert.deepEqual(processApiSuccess(await readApiBody(jsonResponse(200, [1, 2])), LABEL), [1, 2]);
  const empty = await readApiBody(new Response(null, { status: 204 }));
  assert.equal(processApiSuccess(empty, LABEL), null);
});

Deno.test("an HTML error page is described by its type and status, never dumped", async () => {
  const page = `<html><body>${"Bad gateway ".repeat(5000)}</body></html>`;
  const body = await readApiBody(
    new Response(page, { status: 502, headers: { "content-type": "text/html; charset=utf-8" } }),
  );
  const err = apiFailure(body, LABEL);
  assert.ok(err instanceof ApiError);
  assert.equal(err.status, 502);
  assert.match(err.message, /the server answered with text\/html, not JSON \(HTTP 502\)/);
  assert.ok(!err.message.includes("Bad gateway"));
  assert.match(err.message, /try again in a few minutes/);
});

Deno.test("a 2xx answer with invalid JSON is an ApiError that says so", async () => {
  const body = await readApiBody(
    new Response('{"data": [', { status: 200, headers: { "content-type": "application/json" } }),
  );
  assert.throws(() => processApiSuccess(body, LABEL), (e: Error) => {
    assert.ok(e instanceof ApiError);
    assert.match(e.message, /the server answered with invalid JSON \(HTTP 200\)/);
    return true;
  });
});

Deno.test("a body that breaks off mid-way is reported as cut off", async () => {
  const body = await readApiBody(
    new Response(brokenStream('{"data": [1,'), {
      status: 200,
      headers: { "content-type": "application/json" },
    }),
  );
  assert.equal(body.truncated, true);
  assert.throws(() => processApiSuccess(body, LABEL), /cut off \(HTTP 200\)/);
});

Deno.test("the server's errors array is the message, cleaned and capped", async () => {
  const body = await readApiBody(
    jsonResponse(400, { errors: ["Invalid query\u001b[31m", { title: "Bad", detail: "limit" }] }),
  );
  assert.equal(describeFailure(body), "HTTP 400: Invalid query [31m; Bad: limit");
  const long = await readApiBody(jsonResponse(400, { errors: ["x".repeat(5000)] }));
  assert.ok(describeFailure(long).length < 600);
  const err = apiFailure(
    await readApiBody(jsonResponse(404, { errors: ["Monitor not found"] })),
    LABEL,
  );
  assert.equal(
    err.message,
    'GET /api/v1/monitor on "api.datadoghq.com" failed: HTTP 404: Monitor not found. Check the path and any id in it',
  );
});
