/**
 * Crash safety of the file store (SPEC §6.3, §8 "crash safety"; ref §12 items 1 and 4): a
 * writer SIGKILLed at seeded random moments while it rewrites `tokens_<site>.json`,
 * `client_<site>.json` and `sessions.json` leaves each file old or new, never torn, empty or
 * unparsable. The long form (100+ runs) is in `deno task soak`.
 */
import assert from "node:assert/strict";
import { runFileCrashRuns } from "../../scripts/soak/crash_runs.ts";

Deno.test("a file-store writer killed at random points leaves every file old or new", async (t) => {
  await t.step("20 kills of pup's writer: no file torn, empty, unparsable or missing", async () => {
    const f = await runFileCrashRuns({ runs: 20, seed: 0x5eed });
    assert.deepEqual(f.failures, []);
    assert.ok(f.killed > 0, "no kill landed before the writer finished: the test proved nothing");
    for (const [name, counts] of Object.entries(f.stores)) {
      assert.equal(counts.old + counts.new, 20, `${name}: ${JSON.stringify(counts)}`);
    }
  });

  await t.step(
    "the harness catches a truncate-and-write writer (the Rust pup's pattern)",
    async () => {
      const f = await runFileCrashRuns({ runs: 10, seed: 0x5eed, writer: "naive" });
      assert.ok(f.failures.length > 0, `no torn file seen: ${JSON.stringify(f.stores)}`);
    },
  );
});
