/**
 * Property tests (fast-check, fixed seed, bounded runs) for site normalization and validation
 * (ref §10.3, SPEC §3): what reaches a file name, a keychain entry or a URL host must be a
 * plain host, whatever the user typed.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { KNOWN_SITES, normalizeSite, parseSite, validateSite } from "../../lib/config/site.ts";

/** `deno task soak` raises the run count (PUP_PROPERTY_SCALE=10); the seed stays fixed. */
const SCALE = Number(Deno.env.get("PUP_PROPERTY_SCALE") ?? "1") || 1;
const params = { seed: 20261122, numRuns: 400 * SCALE };

/** Pieces users and tampered files really produce, so the search reaches the interesting cases. */
const piece = fc.oneof(
  fc.constantFrom(
    "https://",
    "http://",
    "HTTPS://",
    "app.",
    "api.",
    "www.",
    "APP.",
    "oncall.",
    "datadoghq.com",
    "datadoghq.eu",
    "us3.datadoghq.com",
    "DatadogHQ.EU",
    "/",
    "//",
    ".",
    "..",
    ":",
    ":8443",
    ":0",
    ":65536",
    " ",
    "\t",
    "_",
    "@",
    "#",
    "?",
    "-",
    "é",
    "😀",
  ),
  fc.stringMatching(/^[A-Za-z0-9-]{1,8}$/),
  fc.string({ unit: "binary", maxLength: 4 }),
);
const siteInput = fc.array(piece, { maxLength: 8 }).map((parts) => parts.join(""));

const label = fc.stringMatching(/^[A-Za-z0-9-]{1,12}$/);
/** A valid normalized site: labels, an optional port, no leading app./api./www., no "oncall". */
const validSite = fc.tuple(
  fc.array(label, { minLength: 1, maxLength: 4 }),
  fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
).map(([labels, port]) => `${labels.join(".")}${port === undefined ? "" : `:${port}`}`)
  .filter((s) => !/^(www|api|app)\./i.test(s) && !s.toLowerCase().includes("oncall"));

const SHAPE = /^[A-Za-z0-9.-]+(:[0-9]{1,5})?$/;
const REPEATED_PREFIX = /^(www|api|app)\./i;

Deno.test("site normalization and validation hold for generated input (fast-check, fixed seed)", async (t) => {
  await t.step("parseSite() either throws a TypeError or returns a bare host[:port]", () => {
    fc.assert(
      fc.property(siteInput, (input) => {
        let site: string;
        try {
          site = parseSite(input);
        } catch (e) {
          assert.ok(e instanceof TypeError, `only TypeError, got ${e}`);
          return;
        }
        assert.match(site, SHAPE);
        assert.ok(!/[/@#?_\s]/.test(site));
        assert.ok(!site.startsWith(".") && !site.endsWith(".") && !site.includes(".."));
      }),
      params,
    );
  });

  await t.step("nothing containing / @ # ? _ or whitespace validates", () => {
    const forbidden = fc.constantFrom("/", "@", "#", "?", "_", " ", "\t", "\n", "\u00a0");
    fc.assert(
      fc.property(siteInput, forbidden, fc.nat(), (base, bad, at) => {
        const i = base.length === 0 ? 0 : at % (base.length + 1);
        const site = base.slice(0, i) + bad + base.slice(i);
        assert.throws(() => validateSite(site), TypeError);
      }),
      params,
    );
  });

  await t.step("normalizeSite() is idempotent on every site it lets through", () => {
    // The Rust pup strips exactly one app./api./www. label (ref §10.3), so "app.api.x" ->
    // "api.x" -> "x" is by design; every other output must be a fixed point.
    fc.assert(
      fc.property(siteInput, (input) => {
        const once = normalizeSite(input);
        try {
          validateSite(once);
        } catch {
          return;
        }
        if (REPEATED_PREFIX.test(once) && !once.toLowerCase().includes("oncall")) return;
        assert.equal(normalizeSite(once), once, JSON.stringify(input));
      }),
      params,
    );
  });

  await t.step("the one deliberate exception: a second app./api./www. label is kept", () => {
    assert.equal(normalizeSite("app.api.datadoghq.com"), "api.datadoghq.com");
    assert.equal(normalizeSite("api.datadoghq.com"), "datadoghq.com");
  });

  await t.step(
    "every valid site round-trips, also with a scheme, a trailing / and one prefix",
    () => {
      fc.assert(
        fc.property(
          validSite,
          fc.constantFrom("", "https://", "http://", "HTTPS://"),
          fc.constantFrom("", "app.", "api.", "www.", "App."),
          fc.constantFrom("", "/", "//", " "),
          (site, scheme, prefix, tail) => {
            const known = (KNOWN_SITES as readonly string[]).includes(site.toLowerCase());
            const expected = known ? site.toLowerCase() : site;
            assert.equal(parseSite(site), expected);
            assert.equal(parseSite(`${scheme}${prefix}${site}${tail}`), expected);
          },
        ),
        params,
      );
    },
  );
});
