import assert from "node:assert/strict";
import { tokenClient } from "../../lib/auth/token_client.ts";
import type { ClientCredentials, TokenSet } from "../../lib/storage/types.ts";

const tokens = (client_id: string): TokenSet => ({
  access_token: "a",
  refresh_token: "r",
  token_type: "Bearer",
  expires_in: 3600,
  issued_at: 1,
  scope: "x",
  client_id,
});
const site: ClientCredentials = {
  client_id: "new",
  client_name: "datadog-pup-cli",
  redirect_uris: [],
  registered_at: 1,
  site: "datadoghq.com",
  client_secret: "s",
  token_endpoint_auth_method: "client_secret_post",
};

Deno.test("tokenClient() uses the site's client, secret included, only when it issued the tokens", () => {
  assert.equal(tokenClient(tokens("new"), site, "datadoghq.com"), site);
  assert.equal(tokenClient(tokens(""), site, "datadoghq.com"), site);
});

Deno.test("tokenClient() refreshes as the public client of the token set when the site's client is another or gone", () => {
  for (const stored of [site, null]) {
    const c = tokenClient(tokens("old"), stored, "datadoghq.com")!;
    assert.equal(c.client_id, "old");
    assert.equal(c.client_secret, undefined, "never another client's secret");
    assert.equal(c.token_endpoint_auth_method, "none");
  }
  assert.equal(tokenClient(tokens(""), null, "datadoghq.com"), undefined);
});
