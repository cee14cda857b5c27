/**
 * Concurrent logins, logouts and refreshes of different orgs on one site (SPEC §8; ref §12
 * item 4): 50 real `pup` processes (20 logins in four lanes, one per callback port; 15
 * logouts and 15 refreshes all at once) against the mock, then no session lost from tokens,
 * client credentials or `sessions.json`, none left behind by a logout, and files the strict
 * Rust reader accepts. Uses the fixed callback ports, so it runs as a file of its own.
 */
import assert from "node:assert/strict";
import { runConcurrency } from "../../scripts/soak/concurrency.ts";
import { runSameOrgMixes } from "../../scripts/soak/same_org.ts";

Deno.test("50 concurrent logins, logouts and refreshes of different orgs lose no session", async () => {
  const f = await runConcurrency({ logins: 20, logouts: 15, refreshes: 15, bystanders: 3 });
  assert.deepEqual(f.problems, []);
  assert.equal(f.processes, 50);
  assert.equal(f.failedProcesses, 0);
  assert.equal(f.sessionsLost, 0);
  assert.equal(f.sessionsNotRemoved, 0);
  assert.equal(f.clientLost, false);
  assert.equal(f.refreshRequests, 15, "one refresh request per refreshed org");
});

Deno.test("same-org mixes (logout racing refresh, auth token and api on one org, racing first logins) lose and resurrect no session", async () => {
  const f = await runSameOrgMixes({ races: 10, shared: 20, firstLogins: 10 });
  assert.deepEqual(f.problems, []);
  assert.equal(f.processes, 50);
  assert.equal(f.sessionsLost, 0);
  assert.equal(f.sessionsResurrected, 0);
  assert.equal(f.sharedRefreshes, 1, "one refresh for the org shared by 20 processes");
  assert.equal(f.registrations, 1, "one client registration for 10 racing first logins");
});
