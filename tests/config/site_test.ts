import assert from "node:assert/strict";
import {
  apiHost,
  authorizeHost,
  isDatadogSite,
  normalizeSite,
  parseSite,
  suggestSite,
  validateSite,
} from "../../lib/config/site.ts";
import { endpointsFor, parseMockServer } from "../../lib/config/endpoints.ts";
import { UsageError } from "../../lib/errors.ts";

Deno.test("normalizeSite() strips a scheme, a trailing slash and one app./api./www. label", () => {
  assert.equal(normalizeSite("https://app.datadoghq.eu/"), "datadoghq.eu");
  assert.equal(normalizeSite("  api.us3.datadoghq.com "), "us3.datadoghq.com");
  assert.equal(normalizeSite("www.app.acme.datadoghq.com"), "app.acme.datadoghq.com");
  assert.equal(normalizeSite("http://gw.example.com:8443"), "gw.example.com:8443");
});

Deno.test("normalizeSite() maps empty input to the default site and lower-cases known sites", () => {
  assert.equal(normalizeSite(""), "datadoghq.com");
  assert.equal(normalizeSite("DatadogHQ.EU"), "datadoghq.eu");
});

Deno.test("normalizeSite() keeps on-call hosts as they are", () => {
  assert.equal(normalizeSite("app.oncall.datadoghq.com"), "app.oncall.datadoghq.com");
});

Deno.test("validateSite() rejects paths, @, #, ?, _, whitespace, empty labels and bad ports", () => {
  for (
    const bad of [
      "datadoghq.com/x",
      "a@b.com",
      "a#b",
      "a?b",
      "a_b.com",
      "a b.com",
      ".a.com",
      "a..b",
      "a.com.",
      "a.com:0",
      "a.com:65536",
      "a.com:x",
      "",
    ]
  ) {
    assert.throws(() => validateSite(bad), TypeError, bad);
  }
  validateSite("gw.example.com:8443");
  validateSite("127.0.0.1:9000");
});

Deno.test("parseSite() names the problem in its error", () => {
  assert.throws(() => parseSite("datadoghq.com/evil"), /may contain only letters, digits/);
  assert.throws(() => parseSite("x.com:70000"), /port must be a number from 1 to 65535/);
});

Deno.test("isDatadogSite() accepts the four roots and their subdomains only", () => {
  assert.ok(isDatadogSite("datadoghq.com"));
  assert.ok(isDatadogSite("acme.datadoghq.com"));
  assert.ok(isDatadogSite("ddog-gov.com"));
  assert.ok(!isDatadogSite("datadoghq.com.evil.com"));
  assert.ok(!isDatadogSite("evildatadoghq.com"));
  assert.ok(!isDatadogSite("datadoghq.com:443"));
});

Deno.test("authorizeHost() uses app. for the APP_PREFIX_SITES and the bare host for us3, us5, ap1, ap2", () => {
  assert.equal(authorizeHost("datadoghq.com"), "app.datadoghq.com");
  assert.equal(authorizeHost("datadoghq.eu"), "app.datadoghq.eu");
  assert.equal(authorizeHost("ddog-gov.com"), "app.ddog-gov.com");
  assert.equal(authorizeHost("datad0g.com"), "app.datad0g.com");
  for (const s of ["us3", "us5", "ap1", "ap2"]) {
    assert.equal(authorizeHost(`${s}.datadoghq.com`), `${s}.datadoghq.com`);
  }
  assert.equal(authorizeHost("datadoghq.com", "acme"), "acme.datadoghq.com");
});

Deno.test("apiHost() prefixes api. for known sites and uses other hosts literally", () => {
  assert.equal(apiHost("us5.datadoghq.com"), "api.us5.datadoghq.com");
  assert.equal(apiHost("acme.datadoghq.com"), "acme.datadoghq.com");
  assert.equal(apiHost("gw.example.com:8443"), "gw.example.com:8443");
});

Deno.test("endpointsFor() builds every OAuth endpoint and PUP_MOCK_SERVER replaces every host", () => {
  const e = endpointsFor("datadoghq.eu");
  assert.deepEqual(e, {
    apiBase: "https://api.datadoghq.eu",
    registerUrl: "https://api.datadoghq.eu/api/v2/oauth2/register",
    authorizeUrl: "https://app.datadoghq.eu/oauth2/v1/authorize",
    tokenUrl: "https://api.datadoghq.eu/oauth2/v1/token",
    revokeUrl: "https://api.datadoghq.eu/oauth2/v1/revoke",
    insecure: false,
  });
  const m = endpointsFor("datadoghq.eu", "http://127.0.0.1:4567", "acme");
  assert.equal(m.authorizeUrl, "http://127.0.0.1:4567/oauth2/v1/authorize");
  assert.equal(m.tokenUrl, "http://127.0.0.1:4567/oauth2/v1/token");
  assert.equal(m.insecure, true);
});

Deno.test("endpointsFor() refuses a PUP_MOCK_SERVER off loopback, over http or https", () => {
  assert.throws(() => endpointsFor("datadoghq.com", "http://example.com"), /only loopback/);
  assert.throws(() => endpointsFor("datadoghq.com", "https://example.com"), /only loopback/);
  assert.throws(() => endpointsFor("datadoghq.com", "ftp://127.0.0.1"), /only http and https/);
});

Deno.test("parseMockServer() accepts loopback origins only, as a usage error naming the variable", () => {
  for (
    const ok of [
      "http://127.0.0.1:8765",
      "https://127.3.4.5",
      "http://[::1]:9",
      "http://localhost:1/",
    ]
  ) {
    assert.equal(parseMockServer(ok), new URL(ok).origin, ok);
  }
  for (
    const bad of [
      "https://evil.example",
      "http://127.0.0.1.evil.example",
      "http://128.0.0.1",
      "http://127.0.0.1:8765/api",
      "http://user:pw@127.0.0.1",
      "http://127.0.0.1/?x=1",
      "not a url",
    ]
  ) {
    assert.throws(
      () => parseMockServer(bad),
      (e: unknown) => e instanceof UsageError && /PUP_MOCK_SERVER/.test(e.message),
      bad,
    );
  }
});

Deno.test("a mistyped site or a bare region is a usage error that names the site meant", () => {
  for (
    const [typed, meant] of [
      ["datadog.eu", "datadoghq.eu"],
      ["datadoghq.con", "datadoghq.com"],
      ["eu", "datadoghq.eu"],
      ["us5", "us5.datadoghq.com"],
      ["AP1", "ap1.datadoghq.com"],
      ["gov", "ddog-gov.com"],
    ]
  ) {
    assert.equal(suggestSite(typed), meant, typed);
    assert.throws(
      () => parseSite(typed),
      new RegExp(`did you mean ${meant.replaceAll(".", "\\.")}\\?`),
    );
  }
});

Deno.test("a clearly different host gets no suggestion: it goes to the trust gate", () => {
  for (
    const host of ["gw.example.com", "datadog.example.com", "localhost:8443", "app.datadoghq.eu"]
  ) {
    assert.equal(suggestSite(normalizeSite(host)), undefined, host);
  }
});
