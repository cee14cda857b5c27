import assert from "node:assert/strict";
import { monitorsListQuery, parseMonitorsListArgs } from "../../lib/cli/commands/monitors_list.ts";
import { runCli } from "../../lib/cli/run_cli.ts";
import { UsageError } from "../../lib/errors.ts";
import { withMockSession } from "../_fakes/_api_session.ts";

Deno.test("parseMonitorsListArgs() keeps the filters and splits the tags", () => {
  const opts = parseMonitorsListArgs({ name: "cpu", tags: "team:web, env:prod,", limit: 5 });
  assert.deepEqual(opts, {
    org: undefined,
    output: undefined,
    trustSite: false,
    name: "cpu",
    tags: ["team:web", "env:prod"],
    limit: 5,
  });
  assert.deepEqual(monitorsListQuery(opts), [
    ["name", "cpu"],
    ["monitor_tags", "team:web,env:prod"],
    ["page", "0"],
    ["page_size", "5"],
  ]);
  assert.deepEqual(monitorsListQuery(parseMonitorsListArgs({})), []);
});

Deno.test("parseMonitorsListArgs() refuses a limit outside 1-1000", () => {
  for (const limit of [0, 1001, 2.5, NaN]) {
    assert.throws(() => parseMonitorsListArgs({ limit }), UsageError);
  }
});

Deno.test("pup monitors list filters by name, tags and limit at the mock", async () => {
  await withMockSession({}, async ({ deps }) => {
    const ids = async (argv: string[]) => {
      const d = deps();
      assert.equal(await runCli(["monitors", "list", ...argv], d), 0, d.err.text);
      return (JSON.parse(d.out.text) as { id: number }[]).map((m) => m.id);
    };
    assert.deepEqual(await ids([]), [1001, 1002, 1003]);
    assert.deepEqual(await ids(["--name", "CPU"]), [1001]);
    assert.deepEqual(await ids(["--tags", "env:prod"]), [1001, 1002]);
    assert.deepEqual(await ids(["--limit", "2"]), [1001, 1002]);
  });
});

Deno.test("pup monitors list prints a table on a terminal, and JSON with -o json", async () => {
  await withMockSession({}, async ({ deps }) => {
    const t = deps({}, { isTerminal: true });
    assert.equal(await runCli(["monitors", "list"], t), 0);
    assert.match(
      t.out.text,
      /^ID\s+STATE\s+TYPE\s+NAME\s+TAGS\n1001\s+OK\s+metric alert\s+CPU high/,
    );
    const j = deps({}, { isTerminal: true });
    assert.equal(await runCli(["monitors", "list", "-o", "json"], j), 0);
    assert.equal(JSON.parse(j.out.text).length, 3);
  });
});

Deno.test("pup monitors list exits 3 without any refresh when DD_ACCESS_TOKEN is refused", async () => {
  await withMockSession({}, async ({ deps, mock }) => {
    const d = deps({ DD_ACCESS_TOKEN: "not-a-token-the-mock-knows" });
    assert.equal(await runCli(["monitors", "list"], d), 3);
    assert.match(d.err.text, /the token from DD_ACCESS_TOKEN is invalid or expired/);
    assert.ok(!d.err.text.includes("not-a-token-the-mock-knows"));
    assert.equal(mock.stats().tokenRequests.refresh_token, 0);
  });
});

Deno.test("pup monitors list exits 3 naming the scope remedy when the session lacks monitors_read", async () => {
  await withMockSession({ scope: "dashboards_read" }, async ({ deps, mock }) => {
    const d = deps();
    assert.equal(await runCli(["monitors", "list"], d), 3);
    assert.match(
      d.err.text,
      /was refused \(HTTP 403: Forbidden\): the session lacks the permission or OAuth scope/,
    );
    assert.match(d.err.text, /OAuth scope this endpoint needs \(monitors_read\)/);
    assert.match(d.err.text, /pup auth login --site datadoghq\.com --extra-scopes monitors_read/);
    assert.equal(mock.stats().tokenRequests.refresh_token, 0);
  });
});
