import assert from "node:assert/strict";
import { UsageError } from "../../lib/errors.ts";
import {
  DEFAULT_SCOPES,
  parseScopeList,
  READ_ONLY_SCOPES,
  resolveLoginScopes,
} from "../../lib/auth/scopes.ts";

Deno.test("DEFAULT_SCOPES holds the Rust pup's 110 scopes, sorted and unique", () => {
  assert.equal(DEFAULT_SCOPES.length, 110);
  assert.deepEqual([...DEFAULT_SCOPES], [...new Set(DEFAULT_SCOPES)].sort());
  assert.equal(DEFAULT_SCOPES[0], "apm_generate_metrics");
  assert.equal(DEFAULT_SCOPES[109], "workflows_write");
  assert.ok(DEFAULT_SCOPES.includes("apm_service_renaming_write"));
});

Deno.test("READ_ONLY_SCOPES holds 59 unique scopes, all of them in DEFAULT_SCOPES", () => {
  assert.equal(READ_ONLY_SCOPES.length, 59);
  assert.equal(new Set(READ_ONLY_SCOPES).size, 59);
  for (const s of READ_ONLY_SCOPES) assert.ok(DEFAULT_SCOPES.includes(s), s);
  assert.ok(!READ_ONLY_SCOPES.some((s) => s.endsWith("_write")));
});

Deno.test("neither list has the scopes the Rust pup leaves out on purpose", () => {
  for (
    const s of [
      "workload_identity_federation_read",
      "workload_identity_federation_write",
      "feature_flag_approvals_override",
      "user_access_manage",
      "connections_write",
    ]
  ) {
    assert.ok(!DEFAULT_SCOPES.includes(s) && !READ_ONLY_SCOPES.includes(s), s);
  }
});

Deno.test("the scope lists cannot be changed by a caller", () => {
  assert.throws(() => (DEFAULT_SCOPES as string[]).push("x"), TypeError);
  assert.throws(() => (READ_ONLY_SCOPES as string[]).pop(), TypeError);
});

Deno.test("resolveLoginScopes() uses the defaults when nothing is given", () => {
  assert.deepEqual(resolveLoginScopes({ readOnly: false }), [...DEFAULT_SCOPES]);
});

Deno.test("resolveLoginScopes() uses the read-only list with --read-only", () => {
  assert.deepEqual(resolveLoginScopes({ readOnly: true }), [...READ_ONLY_SCOPES]);
});

Deno.test("resolveLoginScopes() lets --scopes replace everything, unfiltered in read-only mode", () => {
  assert.deepEqual(
    resolveLoginScopes({
      scopes: " monitors_write, ,dashboards_read,monitors_write ",
      readOnly: true,
      configScopes: "logs_read_data",
      profileScopes: "metrics_read",
    }),
    ["dashboards_read", "monitors_write"],
  );
});

Deno.test("resolveLoginScopes() refuses --scopes together with --extra-scopes", () => {
  assert.throws(
    () => resolveLoginScopes({ scopes: "a_read", extraScopes: "b_read", readOnly: false }),
    (e: unknown) =>
      e instanceof UsageError && e.message.includes("--scopes and --extra-scopes together"),
  );
});

Deno.test("resolveLoginScopes() refuses an --scopes that lists nothing", () => {
  assert.throws(() => resolveLoginScopes({ scopes: " , ", readOnly: false }), UsageError);
});

Deno.test("resolveLoginScopes() prefers profiles.<org>.scopes over config scopes", () => {
  assert.deepEqual(
    resolveLoginScopes({ readOnly: false, configScopes: "b_read", profileScopes: "z_read,a_read" }),
    ["a_read", "z_read"],
  );
});

Deno.test("resolveLoginScopes() falls back to config scopes when the profile's list is empty", () => {
  assert.deepEqual(
    resolveLoginScopes({ readOnly: false, configScopes: "b_read", profileScopes: " , " }),
    ["b_read"],
  );
});

Deno.test("resolveLoginScopes() filters config scopes to the read-only list in read-only mode", () => {
  assert.deepEqual(
    resolveLoginScopes({ readOnly: true, configScopes: "monitors_write,monitors_read,x_read" }),
    ["monitors_read"],
  );
});

Deno.test("resolveLoginScopes() refuses read-only mode when no config scope is read-only", () => {
  assert.throws(
    () => resolveLoginScopes({ readOnly: true, configScopes: "monitors_write" }),
    (e: unknown) => e instanceof UsageError && e.message.includes("config scopes"),
  );
});

Deno.test("resolveLoginScopes() adds --extra-scopes to the base without duplicates", () => {
  const scopes = resolveLoginScopes({
    readOnly: true,
    extraScopes: "user_access_manage,monitors_read",
  });
  assert.equal(scopes.length, 60);
  assert.ok(scopes.includes("user_access_manage"));
  assert.deepEqual(scopes, [...scopes].sort());
});

Deno.test("parseScopeList() refuses an item that is not an RFC 6749 scope token", async (t) => {
  for (const bad of ["two words", 'quo"te', "back\\slash", "tab\there"]) {
    await t.step(`rejects ${JSON.stringify(bad)}`, () => {
      assert.throws(
        () => parseScopeList(bad, "--extra-scopes"),
        (e: unknown) => e instanceof UsageError && e.message.includes("--extra-scopes"),
      );
    });
  }
  assert.deepEqual(parseScopeList("a:b!,c~d", "--scopes"), ["a:b!", "c~d"]);
});
