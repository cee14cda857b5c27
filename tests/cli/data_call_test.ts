import assert from "node:assert/strict";
import { checkReadOnly, parseDataFlags } from "../../lib/cli/data_call.ts";
import { UsageError } from "../../lib/errors.ts";

Deno.test("read-only mode refuses every method that may change data, naming the call", () => {
  for (const method of ["POST", "PUT", "PATCH", "DELETE", "post"]) {
    assert.throws(
      () => checkReadOnly(true, { method, path: "/api/v1/monitor/1?x=1" }),
      (e: Error) =>
        e instanceof UsageError &&
        e.message.startsWith(`Read-only mode refuses ${method.toUpperCase()} /api/v1/monitor/1:`),
    );
  }
});

Deno.test("read-only mode lets reads through: GET, HEAD, OPTIONS, and a search marked as a read", () => {
  for (const method of ["GET", "HEAD", "OPTIONS"]) checkReadOnly(true, { method, path: "/x" });
  checkReadOnly(true, { method: "POST", path: "/api/v2/logs/events/search" }, true);
  checkReadOnly(false, { method: "DELETE", path: "/x" });
});

Deno.test("parseDataFlags() adds --read-only, -v and --jq only when given", () => {
  assert.deepEqual(parseDataFlags({}), { org: undefined, output: undefined, trustSite: false });
  assert.deepEqual(parseDataFlags({ readOnly: true, verbose: true, jq: ".a", output: "yaml" }), {
    org: undefined,
    output: "yaml",
    jq: ".a",
    trustSite: false,
    readOnly: true,
    verbose: true,
  });
});
