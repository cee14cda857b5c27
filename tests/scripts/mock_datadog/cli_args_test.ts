import assert from "node:assert/strict";
import { parseMockArgs } from "../../../scripts/mock_datadog/cli_args.ts";
import { parseFault } from "../../../scripts/mock_datadog/options.ts";
import { parseBasicCredentials } from "../../../scripts/mock_datadog/client_auth.ts";

Deno.test("parseMockArgs() turns every flag into its option", () => {
  const parsed = parseMockArgs([
    "--port=18081",
    "--auto-approve",
    "--auto-submit",
    "--access-ttl",
    "5",
    "--client-auth",
    "client_secret_basic",
    "--reject-scopes",
    "a, b",
    "--org-uuid",
    "u",
    "--org-name",
    "n",
    "--domain",
    "d",
    "--omit-refresh-token",
    "--token-delay-ms",
    "20",
    "--api-key",
    "k1",
    "--app-key",
    "k2",
    "--allowed-redirect-ports",
    "1234,5678",
    "--fault",
    '{"endpoint":"token","status":500,"count":1}',
  ]);
  assert.deepEqual(parsed, {
    help: false,
    options: {
      port: 18081,
      autoApprove: true,
      autoSubmit: true,
      accessTtl: 5,
      clientAuth: "client_secret_basic",
      rejectScopes: ["a", "b"],
      orgUuid: "u",
      orgName: "n",
      domain: "d",
      omitRefreshToken: true,
      tokenDelayMs: 20,
      apiKey: "k1",
      appKey: "k2",
      allowedRedirectPorts: [1234, 5678],
      faults: [{ endpoint: "token", status: 500, count: 1 }],
    },
  });
});

Deno.test("parseMockArgs() refuses unknown flags and bad values", () => {
  assert.throws(() => parseMockArgs(["--nope"]), TypeError);
  assert.throws(() => parseMockArgs(["--port", "70000"]), RangeError);
  assert.throws(() => parseMockArgs(["--access-ttl=-1"]), RangeError);
  assert.throws(() => parseMockArgs(["--client-auth", "private_key_jwt"]), TypeError);
  assert.throws(() => parseMockArgs(["--fault", "{"]), TypeError);
  assert.deepEqual(parseMockArgs(["--help"]), { help: true });
});

Deno.test("parseFault() accepts the documented shapes and names a bad field", () => {
  assert.deepEqual(parseFault({ endpoint: "api", status: 429, retryAfter: 1, count: 2 }), {
    endpoint: "api",
    status: 429,
    retryAfter: 1,
    count: 2,
  });
  assert.throws(() => parseFault({ endpoint: "token", status: 99 }), /status/);
  assert.throws(() => parseFault({ endpoint: "token", truncate: "yes" }), /truncate/);
  assert.throws(() => parseFault({ endpoint: "token", grantType: "password" }), /grantType/);
  assert.throws(() => parseFault([]), TypeError);
});

Deno.test("parseBasicCredentials() form-decodes id and secret after base64", () => {
  const header = "Basic " + btoa("my%3Aclient:s%2Bcr+t");
  assert.deepEqual(parseBasicCredentials(header), { id: "my:client", secret: "s+cr t" });
  assert.equal(parseBasicCredentials("Bearer abc"), undefined);
  assert.equal(parseBasicCredentials("Basic " + btoa("no-colon")), undefined);
  assert.equal(parseBasicCredentials("Basic !!!"), undefined);
});
