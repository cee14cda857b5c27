import assert from "node:assert/strict";
import { type ResolveInput, resolveSiteAndOrg } from "../../lib/config/resolve.ts";
import { StorageCorruptError, UsageError } from "../../lib/errors.ts";

const base: ResolveInput = { env: {}, config: {}, sessions: [], sessionsPath: "/c/sessions.json" };

Deno.test("resolveSiteAndOrg() defaults to datadoghq.com and the default session", () => {
  assert.deepEqual(resolveSiteAndOrg(base), {
    site: "datadoghq.com",
    org: null,
    siteSource: "default",
    warnings: [],
  });
});

Deno.test("resolveSiteAndOrg() prefers --site, then DD_SITE, then config site", () => {
  const input = {
    ...base,
    env: { DD_SITE: "datadoghq.eu" },
    config: { site: "us3.datadoghq.com" },
  };
  assert.equal(
    resolveSiteAndOrg({ ...input, siteFlag: "ap1.datadoghq.com" }).site,
    "ap1.datadoghq.com",
  );
  assert.equal(resolveSiteAndOrg(input).site, "datadoghq.eu");
  assert.equal(resolveSiteAndOrg({ ...input, env: {} }).site, "us3.datadoghq.com");
});

Deno.test("resolveSiteAndOrg() recalls a named session's site from sessions.json", () => {
  const r = resolveSiteAndOrg({
    ...base,
    orgFlag: "prod",
    sessions: [{ site: "datadoghq.eu", org: "prod" }],
  });
  assert.deepEqual(r, { site: "datadoghq.eu", org: "prod", siteSource: "session", warnings: [] });
});

Deno.test("resolveSiteAndOrg() takes the org from --org, then DD_ORG, then config", () => {
  assert.equal(
    resolveSiteAndOrg({ ...base, orgFlag: "a", env: { DD_ORG: "b" }, config: { org: "c" } }).org,
    "a",
  );
  assert.equal(resolveSiteAndOrg({ ...base, env: { DD_ORG: "b" }, config: { org: "c" } }).org, "b");
  assert.equal(resolveSiteAndOrg({ ...base, config: { org: "c" } }).org, "c");
  assert.equal(resolveSiteAndOrg({ ...base, env: { DD_ORG: "" }, config: { org: "c" } }).org, "c");
});

Deno.test("resolveSiteAndOrg() warns and falls back when an org has rows on two sites", () => {
  const r = resolveSiteAndOrg({
    ...base,
    orgFlag: "prod",
    sessions: [{ site: "datadoghq.eu", org: "prod" }, { site: "us5.datadoghq.com", org: "prod" }],
  });
  assert.equal(r.site, "datadoghq.com");
  assert.match(r.warnings[0], /several sites \(datadoghq\.eu, us5\.datadoghq\.com\).*Set DD_SITE/);
});

Deno.test("resolveSiteAndOrg() uses the one site with a default session, and warns with several", () => {
  assert.equal(
    resolveSiteAndOrg({ ...base, sessions: [{ site: "datadoghq.eu", org: null }] }).site,
    "datadoghq.eu",
  );
  const r = resolveSiteAndOrg({
    ...base,
    sessions: [{ site: "datadoghq.eu", org: null }, { site: "ap1.datadoghq.com", org: null }],
  });
  assert.equal(r.site, "datadoghq.com");
  assert.match(r.warnings[0], /multiple default \(no-org\) sessions/);
});

Deno.test("resolveSiteAndOrg() rejects an empty, whitespace, path or bad-port DD_SITE as a usage error", () => {
  for (const v of ["", "   ", "datadoghq.com/api", "x.com:99999"]) {
    assert.throws(
      () => resolveSiteAndOrg({ ...base, env: { DD_SITE: v } }),
      UsageError,
      JSON.stringify(v),
    );
  }
});

Deno.test("resolveSiteAndOrg() rejects a tampered sessions.json site naming the file and the fix", () => {
  for (const site of ["evil.com/x", "a@b.com", "a b.com"]) {
    assert.throws(
      () => resolveSiteAndOrg({ ...base, orgFlag: "prod", sessions: [{ site, org: "prod" }] }),
      (e: Error) =>
        e instanceof StorageCorruptError &&
        /sessions\.json.*pup auth login --org prod/.test(e.message),
    );
  }
});

Deno.test("resolveSiteAndOrg() refuses the reserved org name __default__", () => {
  assert.throws(
    () => resolveSiteAndOrg({ ...base, orgFlag: "__default__" }),
    /reserved for the default session/,
  );
});
