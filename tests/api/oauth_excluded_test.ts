import assert from "node:assert/strict";
import { keyRequirement, OAUTH_EXCLUDED_ENDPOINTS } from "../../lib/api/oauth_excluded.ts";

Deno.test("the OAuth-excluded table has the Rust pup's 55 entries, none repeated", () => {
  assert.equal(OAUTH_EXCLUDED_ENDPOINTS.length, 55);
  const keys = OAUTH_EXCLUDED_ENDPOINTS.map((e) => `${e.method} ${e.path} ${e.under ?? false}`);
  assert.equal(new Set(keys).size, 55);
});

Deno.test("keyRequirement() sends POST /api/v1/events with the API key only", () => {
  assert.equal(keyRequirement("POST", "/api/v1/events"), "api_key_only");
  assert.equal(keyRequirement("post", "/api/v1/events/"), "api_key_only");
  assert.equal(keyRequirement("GET", "/api/v1/events"), undefined);
  assert.equal(keyRequirement("POST", "/api/v1/events/12345"), undefined);
});

Deno.test("keyRequirement() asks for both keys on the excluded areas", async (t) => {
  const excluded: [string, string][] = [
    ["GET", "/api/v2/api_keys"],
    ["POST", "/api/v2/api_keys"],
    ["DELETE", "/api/v2/api_keys/key-123"],
    ["PATCH", "/api/v2/application_keys/abc"],
    ["GET", "/api/unstable/ddsql-editor/tools/table-names"],
    ["GET", "/api/v2/fleet/agents/agent-123"],
    ["POST", "/api/v2/fleet/deployments/upgrade"],
    ["PUT", "/api/v2/obs-pipelines/pipelines/p1"],
    ["GET", "/api/v2/usage/projected_cost"],
    ["DELETE", "/api/v2/cost/gcp_uc_config/7"],
    ["GET", "/api/v2/cost/anomalies"],
    ["POST", "/profiling/api/v1/aggregate"],
    ["GET", "/api/ui/profiling/anything/deep"],
  ];
  for (const [method, path] of excluded) {
    await t.step(`${method} ${path}`, () => {
      assert.equal(keyRequirement(method, path), "api_and_app_keys");
    });
  }
});

Deno.test("keyRequirement() lets ordinary endpoints use OAuth, and the method must match", () => {
  for (
    const [method, path] of [
      ["GET", "/api/v1/monitor"],
      ["POST", "/api/v2/logs/events/search"],
      ["GET", "/api/v1/query"],
      ["PUT", "/api/v2/api_keys"],
      ["GET", "/api/v2/cost/oci_config/1"],
      ["POST", "/api/v2/events/search"],
    ]
  ) {
    assert.equal(keyRequirement(method, path), undefined, `${method} ${path}`);
  }
});

Deno.test("keyRequirement() matches a parameterized entry on path segments, not on a bare prefix", () => {
  assert.equal(keyRequirement("GET", "/api/v2/api_keys_report"), undefined);
  assert.equal(keyRequirement("GET", "/profiling/api/v10"), undefined);
});
