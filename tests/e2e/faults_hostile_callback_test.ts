/**
 * The hostile-callback corpus against a real `pup auth login` (SPEC §4.3, §8; ref §12
 * item 13): 21 kinds of forged, malformed and oversized requests hit the callback port while
 * the login waits (wrong, missing, repeated and case-changed state; error= without the state;
 * wrong or missing Host; POST, HEAD, CONNECT; other paths; a 1 MB query and a 64 KB path;
 * markup in error_description; %0d%0a header injection; absolute-form targets; non-UTF-8
 * percent sequences; a half-sent request held open). Uses the fixed callback ports, so it runs
 * as a file of its own.
 */
import assert from "node:assert/strict";
import { runHostileLogin } from "../../scripts/soak/hostile_run.ts";

Deno.test("hostile callback requests are refused unreflected and the real login still completes", async () => {
  const f = await runHostileLogin();
  assert.deepEqual(f.problems, []);
  assert.ok(f.kinds >= 10, `${f.kinds} kinds`);
  assert.equal(f.refused, f.kinds);
  assert.equal(f.reflected, 0);
  assert.equal(f.loginExit, 0);
  assert.equal(f.codeExchanges, 1);
});
