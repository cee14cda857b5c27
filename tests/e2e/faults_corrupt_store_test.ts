/**
 * The corrupt-store corpus through the real CLI (SPEC §6.3, §8 "hostile input"; ref §12
 * item 2): for every broken file, special file, foreign permission and broken keychain value,
 * `pup auth status`, `pup auth list` and `pup auth logout` exit 1 within 10 s with an error
 * naming the store, print no piece of a stored secret, and change no byte. Secret Service
 * cases need scripts/with_secret_service.sh (scripts/test runs the suite inside it); the
 * nobody cases need root and `setpriv`.
 */
import assert from "node:assert/strict";
import { startMockDatadog } from "../../scripts/mock_datadog.ts";
import { FILE_CASES } from "../../scripts/soak/corrupt_cases.ts";
import {
  type CaseOutcome,
  makeNobodyDenoDir,
  runCorruptCase,
} from "../../scripts/soak/corrupt_runner.ts";
import { KEYCHAIN_CASES } from "../../scripts/soak/keychain_cases.ts";
import { mapPool } from "../../scripts/soak/pool.ts";

const CASES = [...FILE_CASES, ...KEYCHAIN_CASES];

Deno.test("every corrupt store gives a clear error, exit 1 and no change through the real CLI", async (t) => {
  assert.ok(CASES.length >= 20, "the corpus has at least 20 cases");
  const mock = await startMockDatadog({ autoApprove: true });
  const nobodyDenoDir = await makeNobodyDenoDir();
  let outcomes: CaseOutcome[];
  try {
    outcomes = await mapPool(
      CASES,
      4,
      (c) => runCorruptCase(c, { mockUrl: mock.url, nobodyDenoDir, timeoutMs: 10_000 }),
    );
  } finally {
    await mock.close();
    if (nobodyDenoDir) await Deno.remove(nobodyDenoDir, { recursive: true });
  }
  for (const o of outcomes) {
    await t.step({
      name: `${o.name}${o.skipped ? ` (skipped: ${o.skipped})` : ""}`,
      ignore: o.skipped !== undefined,
      fn: () => {
        assert.deepEqual(o.problems, []);
        assert.equal(o.commands.length, 3);
      },
    });
  }
  assert.equal(mock.stats().revocations.length, 0, "no token of a corrupt store was revoked");
});
