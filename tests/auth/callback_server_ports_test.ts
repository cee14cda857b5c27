// The only test file that touches the real DCR ports 8000, 8080, 8888 and 9000, and only for
// the few milliseconds one test needs: every other callback server test binds port 0.
import assert from "node:assert/strict";
import { CallbackPortError, startCallbackServer } from "../../lib/auth/callback_server.ts";

Deno.test("startCallbackServer() fails naming [8000, 8080, 8888, 9000] when all four are busy", async () => {
  const held: Deno.Listener[] = [];
  for (const port of [8000, 8080, 8888, 9000]) {
    try {
      held.push(Deno.listen({ hostname: "127.0.0.1", port }));
    } catch {
      // Already busy elsewhere: that serves the test just as well.
    }
  }
  try {
    await assert.rejects(startCallbackServer({ state: "s".repeat(32) }), (e: unknown) => {
      assert.ok(e instanceof CallbackPortError);
      assert.ok(
        e.message.startsWith(
          "Could not bind to any DCR redirect port ([8000, 8080, 8888, 9000]): 8000: ",
        ),
      );
      for (const port of [8080, 8888, 9000]) assert.ok(e.message.includes(`; ${port}: `));
      return true;
    });
  } finally {
    for (const l of held) l.close();
  }
});
