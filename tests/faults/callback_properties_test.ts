/**
 * Property tests (fast-check, fixed seed, bounded runs) for callback query parsing
 * (SPEC §4.3, ref §12 item 13): no request, however hostile, throws outside the documented
 * errors, decides a login without this flow's exact `state`, or gets reflected unescaped.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { handleCallbackRequest, validateCallbackParams } from "../../lib/auth/callback_handler.ts";
import { parsePastedCallback } from "../../lib/auth/paste.ts";
import { StateMismatchError } from "../../lib/errors.ts";

/** `deno task soak` raises the run count (PUP_PROPERTY_SCALE=10); the seed stays fixed. */
const SCALE = Number(Deno.env.get("PUP_PROPERTY_SCALE") ?? "1") || 1;
const params = { seed: 424242, numRuns: 300 * SCALE };
const PORT = 8000;

/** State as pup makes it: 32 characters of the PKCE alphabet. */
const stateArb = fc.stringMatching(/^[A-Za-z0-9_-]{32}$/);

/** Strings that reach the parser's edges: markup, CRLF, percent junk, astral, long runs. */
const hostileText = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.constantFrom(
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "' onmouseover='x",
    "%0d%0aSet-Cookie:%20x=1",
    "\r\nLocation: http://evil/",
    "%ff%fe%c0%af",
    "%",
    "%2",
    "&&&===",
    "javascript:alert(1)",
    'https://x" onclick="alert(1)',
    "\u0000\u001b[31m",
    "😀".repeat(50),
  ),
);

const keyArb = fc.oneof(
  fc.constantFrom(
    "code",
    "state",
    "error",
    "error_description",
    "dd_oid",
    "dd_org_name",
    "domain",
    "site",
    "STATE",
    "state ",
  ),
  fc.string({ maxLength: 8 }),
);
const pairsArb = fc.array(fc.tuple(keyArb, hostileText), { maxLength: 10 });

/** Tags the page templates themselves emit; anything else in a page came from input. */
const TEMPLATE_TAG =
  /<!DOCTYPE html>|<\/?(html|head|meta|title|style|body|main|h1|p|strong|small|code)( [^<>]*)?>|<a href="[^"<>]*">|<\/a>/g;

async function assertNothingReflectedRaw(res: Response): Promise<void> {
  const body = await res.text();
  const rest = body.replace(TEMPLATE_TAG, "");
  assert.ok(!/[<>]/.test(rest), `markup that is not the template's: ${rest.slice(0, 200)}`);
}

function stateOf(pairs: readonly (readonly [string, string])[]): string[] {
  return new URLSearchParams(pairs.map(([k, v]) => [k, v])).getAll("state");
}

Deno.test("callback parsing holds for generated hostile input (fast-check, fixed seed)", async (t) => {
  await t.step("validateCallbackParams() never throws and decides only on the exact state", () => {
    fc.assert(
      fc.property(stateArb, pairsArb, fc.boolean(), (state, pairs, addState) => {
        const all = addState ? [...pairs, ["state", state] as [string, string]] : pairs;
        const search = new URLSearchParams(all);
        const verdict = validateCallbackParams(search, state);
        if (verdict.kind !== "rejected") {
          assert.deepEqual(search.getAll("state"), [state]);
        }
        if (verdict.kind === "code") assert.equal(verdict.callback.state, state);
        const states = search.getAll("state");
        if (states.length !== 1 || states[0] !== state) assert.equal(verdict.kind, "rejected");
      }),
      params,
    );
  });

  await t.step("a state that differs from the flow's in any way is rejected as a bad state", () => {
    const variant = fc.oneof(
      fc.string({ unit: "binary", maxLength: 40 }),
      fc.tuple(stateArb, fc.string({ minLength: 1, maxLength: 3 })).map(([s, x]) => s + x),
    );
    fc.assert(
      fc.property(stateArb, variant, fc.nat(31), fc.boolean(), (state, other, cut, mode) => {
        const candidates = [
          other,
          state.slice(0, cut),
          state.slice(1),
          state.toUpperCase() === state ? state.toLowerCase() : state.toUpperCase(),
          mode ? `${state} ` : ` ${state}`,
        ].filter((c) => c !== state);
        for (const c of candidates) {
          const verdict = validateCallbackParams(
            new URLSearchParams([["code", "abc"], ["state", c]]),
            state,
          );
          assert.equal(verdict.kind, "rejected");
          assert.ok(verdict.kind === "rejected" && verdict.badState);
        }
        const doubled = validateCallbackParams(
          new URLSearchParams([["code", "abc"], ["state", state], ["state", state]]),
          state,
        );
        assert.equal(doubled.kind, "rejected");
      }),
      params,
    );
  });

  await t.step(
    "handleCallbackRequest() answers any request without throwing or reflecting markup",
    async () => {
      // Weighted towards the one shape that can decide a login, so deciding paths are exercised.
      const method = fc.oneof(
        { arbitrary: fc.constant("GET"), weight: 6 },
        { arbitrary: fc.constantFrom("POST", "HEAD", "PUT", "OPTIONS"), weight: 2 },
      );
      const host = fc.constantFrom(
        `127.0.0.1:${PORT}`,
        `127.0.0.1:${PORT}`,
        `127.0.0.1:${PORT}`,
        `localhost:${PORT}`,
        `LOCALHOST:${PORT}`,
        "127.0.0.1",
        `evil.example:${PORT}`,
        `127.0.0.1:${PORT + 1}`,
        "",
      );
      const path = fc.constantFrom(
        "/oauth/callback",
        "/oauth/callback",
        "/oauth/callback",
        "/oauth/callback",
        "/oauth/callback",
        "/oauth/callback/",
        "/oauth/callbackX",
        "/OAUTH/CALLBACK",
        "/favicon.ico",
        "//oauth/callback",
        "/oauth/../oauth/callback",
        "/oauth/%63allback",
      );
      let decided = 0;
      await fc.assert(
        fc.asyncProperty(
          stateArb,
          pairsArb,
          fc.boolean(),
          method,
          host,
          path,
          async (state, pairs, addState, m, h, p) => {
            const all = addState ? [...pairs, ["state", state] as [string, string]] : pairs;
            const query = new URLSearchParams(all).toString();
            const req = new Request(`http://127.0.0.1:${PORT}${p}${query ? `?${query}` : ""}`, {
              method: m,
              headers: h === "" ? {} : { host: h },
            });
            const { response, outcome } = handleCallbackRequest(req, { port: PORT, state });
            assert.ok(response.status >= 200 && response.status < 500, `status ${response.status}`);
            if (outcome) {
              assert.equal(m, "GET");
              assert.equal(new URL(req.url).pathname, "/oauth/callback");
              assert.deepEqual(stateOf(all), [state]);
            }
            if (response.status === 200) assert.ok(outcome?.kind === "code");
            if (outcome) decided++;
            await assertNothingReflectedRaw(response);
          },
        ),
        params,
      );
      assert.ok(decided > 10, `only ${decided} generated requests decided a login`);
    },
  );

  await t.step(
    "parsePastedCallback() throws only StateMismatchError and needs the exact state",
    () => {
      const line = fc.oneof(
        hostileText,
        fc.tuple(
          pairsArb,
          fc.constantFrom("http://127.0.0.1:8000/oauth/callback", "x:", "https://h/p"),
        )
          .map(([pairs, base]) => `${base}?${new URLSearchParams(pairs)}`),
      );
      fc.assert(
        fc.property(stateArb, line, (state, text) => {
          let result;
          try {
            result = parsePastedCallback(text, state);
          } catch (e) {
            assert.ok(e instanceof StateMismatchError, `unexpected ${e}`);
            return;
          }
          if (result.kind === "invalid") return;
          let url: URL;
          try {
            url = new URL(text.trim());
          } catch {
            assert.fail("a line that is not a URL was accepted");
          }
          assert.deepEqual(url.searchParams.getAll("state"), [state]);
        }),
        params,
      );
    },
  );
});
