import assert from "node:assert/strict";
import { REFRESHED_NOTICE } from "../../lib/api/client.ts";
import { parseApiArgs } from "../../lib/cli/commands/api.ts";
import { runCli } from "../../lib/cli/run_cli.ts";
import { UsageError } from "../../lib/errors.ts";
import { storedTokens, withMockSession } from "../_fakes/_api_session.ts";
import { makeDeps, stripMockNotice, withTempDir } from "../_fakes/fake_deps.ts";

const base = { org: undefined, output: undefined, trustSite: false };

Deno.test("parseApiArgs() sends -f fields as query parameters for GET and DELETE", () => {
  assert.deepEqual(parseApiArgs({ field: ["a=1", "b=x=y"] }, "/api/v1/monitor"), {
    ...base,
    path: "/api/v1/monitor",
    method: "GET",
    query: [["a", "1"], ["b", "x=y"]],
    headers: {},
  });
  assert.deepEqual(parseApiArgs({ method: "delete", field: ["a=1"] }, "/api/v1/x").query, [[
    "a",
    "1",
  ]]);
});

Deno.test("parseApiArgs() sends -f fields as a JSON body for POST, PUT and PATCH", () => {
  assert.deepEqual(
    parseApiArgs({ method: "post", field: ["name=cpu", "n=3"], trustSite: true }, "/api/v2/echo"),
    {
      ...base,
      trustSite: true,
      path: "/api/v2/echo",
      method: "POST",
      query: [],
      fieldsBody: { name: "cpu", n: "3" },
      headers: {},
    },
  );
});

Deno.test("parseApiArgs() defaults to POST with --input, and then -f fields go to the query", () => {
  const opts = parseApiArgs({ input: "-", field: ["dry=1"] }, "/api/v2/echo");
  assert.equal(opts.method, "POST");
  assert.equal(opts.input, "-");
  assert.deepEqual(opts.query, [["dry", "1"]]);
  assert.equal(opts.fieldsBody, undefined);
});

Deno.test("parseApiArgs() refuses bad paths, methods, fields, GET bodies and credential headers", async (t) => {
  const bad: [string, Parameters<typeof parseApiArgs>[0], string, RegExp][] = [
    ["a path outside /api/", {}, "/oauth2/v1/token", /must start with \/api\//],
    ["a full URL", {}, "https://evil.example/api/v1", /must start with \/api\//],
    ["a path with a space", {}, "/api/v1/a b", /no spaces/],
    ["an unknown method", { method: "TRACE" }, "/api/v1/x", /Unknown method "TRACE"/],
    ["a field without =", { field: ["oops"] }, "/api/v1/x", /key=value/],
    ["a GET with --input", { method: "GET", input: "-" }, "/api/v1/x", /has no body/],
    [
      "an Authorization header",
      { header: ["Authorization: Bearer x"] },
      "/api/v1/x",
      /"Authorization"/,
    ],
    ["a DD-API-KEY header", { header: ["dd-api-key: k"] }, "/api/v1/x", /"dd-api-key"/],
    ["a malformed header", { header: ["no colon"] }, "/api/v1/x", /'Name: value'/],
  ];
  for (const [name, flags, path, re] of bad) {
    await t.step(name, () => {
      assert.throws(
        () => parseApiArgs(flags, path),
        (e: Error) => e instanceof UsageError && re.test(e.message),
      );
    });
  }
  assert.deepEqual(parseApiArgs({ header: ["X-Trace:  abc "] }, "/api/v1/x").headers, {
    "X-Trace": "abc",
  });
});

Deno.test("pup api GET with -f calls the mock with the stored session and prints the JSON", async () => {
  await withMockSession({}, async ({ deps }) => {
    const d = deps();
    assert.equal(await runCli(["api", "/api/v2/echo", "-f", "a=1", "-f", "b=two words"], d), 0);
    assert.deepEqual(JSON.parse(d.out.text), {
      method: "GET",
      path: "/api/v2/echo",
      query: { a: "1", b: "two words" },
      body: null,
    });
    assert.equal(stripMockNotice(d.err.text), "");
  });
});

Deno.test("pup api -X POST -f builds a JSON body; --input reads it from stdin or a file", async () => {
  await withMockSession({}, async ({ deps, dir }) => {
    const a = deps();
    assert.equal(await runCli(["api", "/api/v2/echo", "-X", "POST", "-f", "name=cpu"], a), 0);
    assert.deepEqual(JSON.parse(a.out.text).body, { name: "cpu" });

    const b = deps({}, { stdinLines: ['{"n": 3,', '"deep": {"x": [1]}}'] });
    assert.equal(await runCli(["api", "/api/v2/echo", "--input", "-"], b), 0);
    assert.deepEqual(JSON.parse(b.out.text), {
      method: "POST",
      path: "/api/v2/echo",
      query: {},
      body: { n: 3, deep: { x: [1] } },
    });

    await Deno.writeTextFile(`${dir}/body.json`, '{"from":"file"}');
    const c = deps();
    assert.equal(
      await runCli(["api", "/api/v2/echo", "-X", "PUT", "--input", `${dir}/body.json`], c),
      0,
    );
    assert.deepEqual(JSON.parse(c.out.text).body, { from: "file" });
    assert.equal(JSON.parse(c.out.text).method, "PUT");

    const d = deps({}, { stdinLines: ["not json"] });
    assert.equal(await runCli(["api", "/api/v2/echo", "--input", "-"], d), 2);
    assert.match(stripMockNotice(d.err.text), /^Error: --input \(stdin\) is not valid JSON/);
  });
});

Deno.test("pup api refreshes an expired session first and says so on stderr", async () => {
  await withMockSession({ expiredSession: true }, async ({ mock, deps, dir, tokens }) => {
    const d = deps();
    assert.equal(await runCli(["api", "/api/v1/validate"], d), 0);
    assert.deepEqual(JSON.parse(d.out.text), { valid: true });
    assert.equal(stripMockNotice(d.err.text), `${REFRESHED_NOTICE}\n`);
    assert.equal(mock.stats().tokenRequests.refresh_token, 1);
    const stored = await storedTokens(dir);
    assert.notEqual(stored?.access_token, tokens.access_token);
    assert.notEqual(stored?.refresh_token, tokens.refresh_token);
  });
});

Deno.test("pup api recovers from a server-side expiry with one refresh and one retry", async () => {
  await withMockSession({}, async ({ mock, deps }) => {
    mock.expireAll();
    const d = deps();
    assert.equal(await runCli(["api", "/api/v1/validate"], d), 0);
    assert.equal(stripMockNotice(d.err.text), `${REFRESHED_NOTICE}\n`);
    assert.equal(mock.stats().tokenRequests.refresh_token, 1);
    assert.equal(mock.stats().apiRequests, 2);
  });
});

Deno.test("pup api exits 3 when the refresh token was already spent elsewhere", async () => {
  await withMockSession({ expiredSession: true }, async ({ mock, deps, tokens, client }) => {
    // Someone else used (and so rotated away) our refresh token.
    const res = await fetch(`${mock.url}/oauth2/v1/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "refresh_token",
        client_id: client.client_id,
        refresh_token: tokens.refresh_token,
      }),
    });
    await res.body?.cancel();
    const d = deps();
    assert.equal(await runCli(["api", "/api/v1/validate"], d), 3);
    assert.match(stripMockNotice(d.err.text), /^Error: .*invalid_grant.*pup auth login/);
    assert.ok(!stripMockNotice(d.err.text).includes(tokens.refresh_token));
  });
});

Deno.test("pup api waits out a 429 and retries", async () => {
  await withMockSession({}, async ({ mock, deps }) => {
    mock.setFault({ endpoint: "api", status: 429, retryAfter: 2, count: 1 });
    const d = deps();
    const before = d.fakeClock.ms;
    assert.equal(await runCli(["api", "/api/v1/validate"], d), 0);
    assert.equal(d.fakeClock.ms - before, 2000);
    assert.equal(mock.stats().apiRequests, 2);
  });
});

Deno.test("pup api reports an HTML error page and a truncated body without dumping them (exit 1)", async () => {
  await withMockSession({}, async ({ mock, deps }) => {
    mock.setFault({
      endpoint: "api",
      status: 502,
      body: "<html><h1>Bad gateway</h1></html>",
      contentType: "text/html",
      count: 4,
    });
    const a = deps();
    assert.equal(await runCli(["api", "-X", "POST", "/api/v2/echo"], a), 1);
    assert.match(
      stripMockNotice(a.err.text),
      /the server answered with text\/html, not JSON \(HTTP 502\)/,
    );
    assert.ok(!stripMockNotice(a.err.text).includes("Bad gateway"));
    mock.clearFaults();
    mock.setFault({ endpoint: "api", truncate: true, count: 1 });
    const b = deps();
    assert.equal(await runCli(["api", "/api/v1/monitor"], b), 1);
    assert.match(stripMockNotice(b.err.text), /invalid JSON \(HTTP 200\)/);
  });
});

Deno.test("pup api prints a table on a terminal", async () => {
  await withMockSession({}, async ({ deps }) => {
    const d = deps({}, { isTerminal: true });
    assert.equal(await runCli(["api", "/api/v1/monitor"], d), 0);
    assert.match(
      d.out.text,
      /^ID\s+NAME\s+TYPE\s+QUERY\s+OVERALL_STATE\n1001\s+CPU high on web hosts/,
    );
  });
});

Deno.test("pup api exits 3 naming the three ways to authenticate when there is nothing", async () => {
  await withMockSession({ noSession: true }, async ({ deps, mock }) => {
    const d = deps();
    assert.equal(await runCli(["api", "/api/v1/validate"], d), 3);
    assert.match(
      stripMockNotice(d.err.text),
      /^Error: Not authenticated for "datadoghq\.com": run 'pup auth login --site datadoghq\.com'/,
    );
    assert.equal(mock.stats().apiRequests, 0);
  });
});

Deno.test("pup api refuses to send credentials to an untrusted host before any request", async () => {
  await withTempDir(async (dir) => {
    // makeDeps' fetch fails the test if anything is sent.
    const d = makeDeps({
      configDir: dir,
      env: { DD_SITE: "gateway.example.com", DD_ACCESS_TOKEN: "t" },
    });
    assert.equal(await runCli(["api", "/api/v1/validate"], d), 1);
    assert.match(
      stripMockNotice(d.err.text),
      /'gateway\.example\.com' is not a Datadog-owned host/,
    );
    assert.ok(!stripMockNotice(d.err.text).includes("Bearer"));
  });
});

Deno.test("pup api refuses a credential header as a usage error (exit 2)", async () => {
  await withTempDir(async (dir) => {
    const d = makeDeps({ configDir: dir });
    assert.equal(
      await runCli(["api", "/api/v1/validate", "--header", "Authorization: Bearer stolen"], d),
      2,
    );
    assert.match(stripMockNotice(d.err.text), /Cannot set the header "Authorization"/);
  });
});

Deno.test("parseApiArgs() takes a path without its leading slash (api/v1/monitor)", () => {
  assert.equal(parseApiArgs({}, "api/v1/monitor").path, "/api/v1/monitor");
  assert.throws(() => parseApiArgs({}, "v1/monitor"), /must start with \/api\//);
});
