import assert from "node:assert/strict";
import { parseMonitorsGetArgs } from "../../lib/cli/commands/monitors_get.ts";
import { runCli } from "../../lib/cli/run_cli.ts";
import { UsageError } from "../../lib/errors.ts";
import { withMockSession } from "../_fakes/_api_session.ts";
import { stripMockNotice } from "../_fakes/fake_deps.ts";

Deno.test("parseMonitorsGetArgs() accepts a numeric id only", () => {
  assert.deepEqual(parseMonitorsGetArgs({ org: "p" }, "1001"), {
    org: "p",
    output: undefined,
    trustSite: false,
    id: "1001",
  });
  for (const id of ["abc", "0", "-1", "1/../2", ""]) {
    assert.throws(() => parseMonitorsGetArgs({}, id), UsageError, id);
  }
});

Deno.test("pup monitors get prints the monitor", async () => {
  await withMockSession({}, async ({ deps }) => {
    const d = deps();
    assert.equal(await runCli(["monitors", "get", "1002"], d), 0);
    assert.equal(JSON.parse(d.out.text).name, "Checkout errors");
    const t = deps({}, { isTerminal: true });
    assert.equal(await runCli(["monitors", "get", "1002"], t), 0);
    assert.match(t.out.text, /^FIELD\s+VALUE\nid\s+1002\n/);
    assert.match(t.out.text, /\ntags\s+team:payments,env:prod\n/);
  });
});

Deno.test("pup monitors get of an unknown id exits 1 with the server's message", async () => {
  await withMockSession({}, async ({ deps }) => {
    const d = deps();
    assert.equal(await runCli(["monitors", "get", "9"], d), 1);
    assert.match(
      stripMockNotice(d.err.text),
      /^Error: GET \/api\/v1\/monitor\/9 on "127\.0\.0\.1:\d+" failed: HTTP 404: Monitor not found\. Check the path/,
    );
  });
});

Deno.test("pup monitors get of a non-numeric id is a usage error (exit 2)", async () => {
  await withMockSession({}, async ({ deps, mock }) => {
    const d = deps();
    assert.equal(await runCli(["monitors", "get", "abc"], d), 2);
    assert.equal(mock.stats().apiRequests, 0);
  });
});
