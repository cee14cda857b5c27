import assert from "node:assert/strict";
import { metricsQueryParams, parseMetricsQueryArgs } from "../../lib/cli/commands/metrics_query.ts";
import { runCli } from "../../lib/cli/run_cli.ts";
import { UsageError } from "../../lib/errors.ts";
import { withMockSession } from "../_fakes/_api_session.ts";

const NOW = Date.UTC(2026, 1, 4, 12);

Deno.test("metricsQueryParams() sends unix seconds and the query", () => {
  const opts = parseMetricsQueryArgs({ query: "avg:system.cpu.user{*}", from: "2d" });
  assert.deepEqual(metricsQueryParams(opts, NOW), [
    ["from", String(NOW / 1000 - 2 * 86400)],
    ["to", String(NOW / 1000)],
    ["query", "avg:system.cpu.user{*}"],
  ]);
  const abs = parseMetricsQueryArgs({
    query: "q",
    from: "1770000000",
    to: "2026-02-04T11:00:00Z",
  });
  assert.deepEqual(metricsQueryParams(abs, NOW).slice(0, 2), [
    ["from", "1770000000"],
    ["to", String(NOW / 1000 - 3600)],
  ]);
  assert.throws(() => parseMetricsQueryArgs({ query: "" }), UsageError);
});

Deno.test("pup metrics query returns the mock's series, as JSON or a table", async () => {
  await withMockSession({}, async ({ deps }) => {
    const d = deps();
    assert.equal(
      await runCli(["metrics", "query", "--query", "avg:system.cpu.user{*}", "--from", "15m"], d),
      0,
    );
    const out = JSON.parse(d.out.text);
    assert.equal(out.series[0].metric, "system.cpu.user");
    assert.equal(out.to_date - out.from_date, 15 * 60_000);
    const t = deps({}, { isTerminal: true });
    assert.equal(await runCli(["metrics", "query", "--query", "avg:system.load.1{*}"], t), 0);
    assert.match(t.out.text, /^METRIC\s+SCOPE\s+POINTS\s+LAST\nsystem\.load\.1\s+\*\s+5\s+60\n$/);
  });
});

Deno.test("pup metrics query refuses --from after --to (exit 2)", async () => {
  await withMockSession({}, async ({ deps, mock }) => {
    const d = deps();
    assert.equal(
      await runCli(["metrics", "query", "--query", "q", "--from", "now", "--to", "1h"], d),
      2,
    );
    assert.equal(mock.stats().apiRequests, 0);
  });
});
