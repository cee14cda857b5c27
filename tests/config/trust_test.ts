import assert from "node:assert/strict";
import { ensureSiteTrusted } from "../../lib/config/trust.ts";

const refused = (site: string, inputs: Parameters<typeof ensureSiteTrusted>[1]) =>
  assert.throws(() => ensureSiteTrusted(site, inputs), /is not a Datadog-owned host/, site);

Deno.test("Datadog-owned sites need nothing to be trusted", () => {
  for (const site of ["datadoghq.com", "datadoghq.eu", "us5.datadoghq.com", "ddog-gov.com"]) {
    assert.equal(ensureSiteTrusted(site, { flag: false }), undefined);
  }
});

Deno.test("a trusted_sites entry trusts exactly that host, never a suffix, prefix or subdomain of it", () => {
  const trustedSites = ["gw.example.com"];
  assert.equal(ensureSiteTrusted("gw.example.com", { flag: false, trustedSites }), undefined);
  for (
    const site of [
      "evil-gw.example.com",
      "sub.gw.example.com",
      "gw.example.com.evil",
      "example.com",
    ]
  ) {
    refused(site, { flag: false, trustedSites });
  }
});

Deno.test("PUP_TRUST_SITE trusts only for 1 or true (any case, spaces trimmed) and says so", () => {
  for (const envValue of ["1", "true", "TRUE", " True "]) {
    assert.match(
      ensureSiteTrusted("gw.example.com", { flag: false, envValue })!,
      /trusted via PUP_TRUST_SITE/,
      envValue,
    );
  }
  for (const envValue of ["0", "false", "FALSE", "no", "yes", "", "2", "truee"]) {
    refused("gw.example.com", { flag: false, envValue });
  }
});

Deno.test("--trust-site trusts any host for this invocation", () => {
  assert.equal(ensureSiteTrusted("gw.example.com:8443", { flag: true }), undefined);
});
