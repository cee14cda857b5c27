import assert from "node:assert/strict";
import { logsSearchBody, parseLogsSearchArgs } from "../../lib/cli/commands/logs_search.ts";
import { runCli } from "../../lib/cli/run_cli.ts";
import { UsageError } from "../../lib/errors.ts";
import { withMockSession } from "../_fakes/_api_session.ts";

const NOW = Date.UTC(2026, 1, 4, 12);

Deno.test("parseLogsSearchArgs() defaults to the last hour and 50 events", () => {
  assert.deepEqual(parseLogsSearchArgs({ query: "service:web" }), {
    org: undefined,
    output: undefined,
    trustSite: false,
    query: "service:web",
    from: "1h",
    to: "now",
    limit: 50,
  });
  assert.throws(() => parseLogsSearchArgs({ query: " " }), UsageError);
  assert.throws(() => parseLogsSearchArgs({ query: "*", limit: 0 }), UsageError);
  assert.throws(() => parseLogsSearchArgs({ query: "*", limit: 1001 }), UsageError);
});

Deno.test("logsSearchBody() sends RFC 3339 times, newest first, and the limit", () => {
  const opts = parseLogsSearchArgs({ query: "status:error", from: "15m", limit: 10 });
  assert.deepEqual(JSON.parse(logsSearchBody(opts, NOW)), {
    filter: {
      query: "status:error",
      from: "2026-02-04T11:45:00.000Z",
      to: "2026-02-04T12:00:00.000Z",
    },
    sort: "-timestamp",
    page: { limit: 10 },
  });
  assert.throws(() => logsSearchBody({ ...opts, from: "now", to: "1h" }, NOW), UsageError);
});

Deno.test("pup logs search finds the mock's events and prints a table on a terminal", async () => {
  await withMockSession({}, async ({ deps }) => {
    const d = deps();
    assert.equal(
      await runCli(["logs", "search", "--query", "service:checkout", "--limit", "1"], d),
      0,
    );
    const out = JSON.parse(d.out.text);
    assert.equal(out.data.length, 1);
    assert.equal(out.data[0].attributes.service, "checkout");
    const t = deps({}, { isTerminal: true });
    assert.equal(await runCli(["logs", "search", "--query", "*"], t), 0);
    assert.match(
      t.out.text,
      /^TIMESTAMP\s+STATUS\s+SERVICE\s+MESSAGE\n2026-01-15T10:02:00\.000Z\s+error\s+checkout/,
    );
  });
});

Deno.test("pup logs search with a bad --from is a usage error (exit 2) and sends nothing", async () => {
  await withMockSession({}, async ({ deps, mock }) => {
    const d = deps();
    assert.equal(await runCli(["logs", "search", "--query", "*", "--from", "yesterday"], d), 2);
    assert.match(d.err.text, /--from "yesterday" is not a time/);
    assert.equal(mock.stats().apiRequests, 0);
  });
});
