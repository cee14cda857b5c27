import assert from "node:assert/strict";
import { expiresAtMs, needsRefresh, REFRESH_MARGIN_SECONDS } from "../../lib/auth/expiry.ts";
import type { TokenSet } from "../../lib/storage/types.ts";

const issued = 1_770_000_000;
const t: TokenSet = {
  access_token: "a",
  refresh_token: "r",
  token_type: "Bearer",
  expires_in: 3600,
  issued_at: issued,
  scope: "x",
  client_id: "c",
};
const left = (seconds: number) => expiresAtMs(t) - seconds * 1000;

Deno.test("expiry is issued_at + expires_in, in milliseconds", () => {
  assert.equal(expiresAtMs(t), (issued + 3600) * 1000);
});

Deno.test("the refresh window is exactly 300 seconds: refresh at 300 s left, not at 301 s", () => {
  assert.equal(REFRESH_MARGIN_SECONDS, 300);
  assert.equal(needsRefresh(t, left(301)), false);
  assert.equal(needsRefresh(t, left(300)), true);
  assert.equal(needsRefresh(t, left(290)), true, "4m50s left is inside the 5-minute window");
  assert.equal(needsRefresh(t, left(0)), true);
  assert.equal(needsRefresh(t, left(-10)), true);
});
