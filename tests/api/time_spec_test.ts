import assert from "node:assert/strict";
import { parseTimeRange, parseTimeSpec } from "../../lib/api/time_spec.ts";
import { UsageError } from "../../lib/errors.ts";

const NOW = Date.UTC(2026, 1, 4, 12, 0, 0);

Deno.test("parseTimeSpec() reads now, relative times, unix seconds and RFC 3339", async (t) => {
  const cases: [string, number][] = [
    ["now", NOW],
    ["15m", NOW - 15 * 60_000],
    ["1h", NOW - 3_600_000],
    ["2d", NOW - 2 * 86_400_000],
    ["1w", NOW - 7 * 86_400_000],
    ["30s", NOW - 30_000],
    ["now-15m", NOW - 15 * 60_000],
    ["1770000000", 1770000000_000],
    ["2026-01-15T10:00:00Z", Date.UTC(2026, 0, 15, 10)],
    ["2026-01-15T10:00:00.5+02:00", Date.UTC(2026, 0, 15, 8, 0, 0, 500)],
    ["2026-01-15", Date.UTC(2026, 0, 15)],
  ];
  for (const [text, want] of cases) {
    await t.step(text, () => assert.equal(parseTimeSpec(text, NOW, "--from"), want));
  }
});

Deno.test("parseTimeSpec() refuses anything else with a usage error naming the forms", () => {
  for (const text of ["yesterday", "1y", "", "2026-13-45T99:00:00Z", "10:00"]) {
    assert.throws(() => parseTimeSpec(text, NOW, "--to"), (e: Error) => {
      assert.ok(e instanceof UsageError, text);
      assert.match(e.message, /^--to ".*" is not a time: use now, a relative time/);
      return true;
    });
  }
});

Deno.test("parseTimeSpec() refuses milliseconds typed where seconds are expected", () => {
  assert.throws(() => parseTimeSpec("1770000000000", NOW, "--from"), /not milliseconds/);
});

Deno.test("parseTimeRange() refuses a start that is not before the end", () => {
  assert.deepEqual(parseTimeRange("1h", "now", NOW), { fromMs: NOW - 3_600_000, toMs: NOW });
  assert.throws(() => parseTimeRange("now", "1h", NOW), UsageError);
  assert.throws(() => parseTimeRange("now", "now", NOW), /is not before --to/);
});
