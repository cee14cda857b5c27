import assert from "node:assert/strict";
import { httpTimeoutMs, jsonTable, parseDataFlags } from "../../lib/cli/data_call.ts";
import { UsageError } from "../../lib/errors.ts";

Deno.test("parseDataFlags() keeps --org, -o and --trust-site", () => {
  assert.deepEqual(parseDataFlags({ org: "p", output: "table", trustSite: true }), {
    org: "p",
    output: "table",
    trustSite: true,
  });
  assert.equal(parseDataFlags({}).trustSite, false);
});

Deno.test("httpTimeoutMs() is 30 s unless PUP_HTTP_TIMEOUT_MS names a positive integer", () => {
  assert.equal(httpTimeoutMs({}), 30_000);
  assert.equal(httpTimeoutMs({ PUP_HTTP_TIMEOUT_MS: "250" }), 250);
  for (const bad of ["0", "-1", "1.5", "soon"]) {
    assert.throws(() => httpTimeoutMs({ PUP_HTTP_TIMEOUT_MS: bad }), UsageError, bad);
  }
});

Deno.test("jsonTable() renders lists of objects and JSON:API data, and leaves other shapes to JSON", () => {
  assert.equal(
    jsonTable([{ id: 1, name: "a", nested: { x: 1 } }, { id: 2, name: "b\nc" }]),
    "ID  NAME\n1   a\n2   b c\n",
  );
  assert.equal(
    jsonTable({ data: [{ id: "x", type: "t", attributes: { status: "ok" } }] }),
    "ID  STATUS\nx   ok\n",
  );
  assert.equal(jsonTable({ valid: true }), undefined);
  assert.equal(jsonTable([]), undefined);
  assert.equal(jsonTable([1, 2]), undefined);
  assert.equal(jsonTable(null), undefined);
});
