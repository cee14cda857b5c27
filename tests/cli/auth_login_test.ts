import assert from "node:assert/strict";
import {
  type AuthLoginOptions,
  parseAuthLoginArgs,
  runAuthLogin,
} from "../../lib/cli/commands/auth_login.ts";
import { runCli } from "../../lib/cli/run_cli.ts";
import type { Browser, Clock } from "../../lib/deps.ts";
import { UsageError } from "../../lib/errors.ts";
import { makeDeps, withTempDir } from "../_fakes/fake_deps.ts";
import { FakeFetch, jsonResponse } from "../_fakes/fake_fetch.ts";

const ACCESS = "at-cli-secret-123";
const REFRESH = "rt-cli-secret-456";

/** Expects one registration and one code exchange on `api`. */
function datadog(api = "https://api.datadoghq.com"): FakeFetch {
  return new FakeFetch()
    .expect({
      method: "POST",
      url: `${api}/api/v2/oauth2/register`,
      respond: () =>
        jsonResponse(201, {
          client_id: "cli-client",
          client_name: "datadog-pup-cli",
          redirect_uris: ["http://127.0.0.1:8000/oauth/callback"],
        }),
    })
    .expect({
      method: "POST",
      url: `${api}/oauth2/v1/token`,
      respond: () =>
        jsonResponse(200, {
          access_token: ACCESS,
          refresh_token: REFRESH,
          token_type: "Bearer",
          expires_in: 3600,
          scope: "dashboards_read",
        }),
    });
}

/** A browser that approves at once by calling the loopback callback; it may open once. */
function approvingBrowser(seen: string[]): Browser {
  return {
    async open(url) {
      seen.push(url);
      assert.equal(seen.length, 1, "the browser was opened twice");
      const u = new URL(url);
      const cb = new URL(u.searchParams.get("redirect_uri")!);
      cb.searchParams.set("code", "c0de");
      cb.searchParams.set("state", u.searchParams.get("state")!);
      await (await fetch(cb)).body?.cancel();
      return { opened: true, via: "fake" };
    },
  };
}

/** Deps whose clock never fires a timeout on its own (makeDeps' clock sleeps instantly). */
function loginDeps(o: Parameters<typeof makeDeps>[0]) {
  const deps = makeDeps(o);
  const clock: Clock = {
    now: () => deps.fakeClock.now(),
    sleep: (_ms, signal) =>
      new Promise((_, reject) => signal?.addEventListener("abort", () => reject(signal.reason))),
  };
  return { ...deps, clock };
}

const base: AuthLoginOptions = { readOnly: false, noBrowser: false, trustSite: false };

Deno.test("parseAuthLoginArgs() keeps every flag and defaults the booleans to false", () => {
  assert.deepEqual(
    parseAuthLoginArgs({
      org: "team",
      output: "json",
      site: "datadoghq.eu",
      orgUuid: "AAAAAAAA-1111-2222-3333-444444444444",
      subdomain: "acme",
      callbackPort: "8080",
      scopes: "a,b",
      readOnly: true,
      noBrowser: true,
      trustSite: true,
    }),
    {
      org: "team",
      output: "json",
      site: "datadoghq.eu",
      orgUuid: "AAAAAAAA-1111-2222-3333-444444444444",
      subdomain: "acme",
      callbackPort: "8080",
      scopes: "a,b",
      extraScopes: undefined,
      readOnly: true,
      noBrowser: true,
      trustSite: true,
    },
  );
  assert.deepEqual(parseAuthLoginArgs({}), {
    ...base,
    org: undefined,
    output: undefined,
    site: undefined,
    orgUuid: undefined,
    subdomain: undefined,
    callbackPort: undefined,
    scopes: undefined,
    extraScopes: undefined,
  });
});

Deno.test("parseAuthLoginArgs() treats an empty --org-uuid or --subdomain as unset", () => {
  const o = parseAuthLoginArgs({ orgUuid: "", subdomain: " " });
  assert.equal(o.orgUuid, undefined);
  assert.equal(o.subdomain, undefined);
});

Deno.test("parseAuthLoginArgs() refuses an --org-uuid that is not a UUID and a --subdomain that is not one DNS label", () => {
  assert.throws(() => parseAuthLoginArgs({ orgUuid: "prod" }), UsageError);
  for (const bad of ["a.b", "-x", "x_y", "a".repeat(64), "a/b"]) {
    assert.throws(() => parseAuthLoginArgs({ subdomain: bad }), UsageError, bad);
  }
});

Deno.test("auth login usage errors exit 2 before any port is bound or request sent", async (t) => {
  const cases: [string, string[], Record<string, string>, RegExp][] = [
    ["a bad --org-uuid", ["--org-uuid", "nope"], {}, /--org-uuid "nope"/],
    ["a port outside the allowlist", ["--callback-port", "1234"], {}, /not in the DCR redirect/],
    ["a bad PUP_OAUTH_CALLBACK_PORT", [], { PUP_OAUTH_CALLBACK_PORT: "x" }, /Invalid PUP_OAUTH/],
    ["--scopes with --extra-scopes", ["--scopes", "a", "--extra-scopes", "b"], {}, /together/],
    [
      "--subdomain on a literal host",
      ["--site", "gw.example.com", "--subdomain", "acme"],
      {},
      /only to the public/,
    ],
  ];
  for (const [name, args, env, message] of cases) {
    await t.step(name, async () => {
      await withTempDir(async (dir) => {
        // makeDeps' fetch and browser fail the test if anything is sent or opened.
        const deps = makeDeps({ configDir: dir, env });
        assert.equal(await runCli(["auth", "login", ...args], deps), 2);
        assert.match(deps.err.text, message);
      });
    });
  }
});

Deno.test("auth login refuses a non-Datadog host nobody trusted (exit 1), sending nothing", async () => {
  await withTempDir(async (dir) => {
    const deps = makeDeps({ configDir: dir });
    assert.equal(await runCli(["auth", "login", "--site", "gw.example.com"], deps), 1);
    assert.match(deps.err.text, /not a Datadog-owned host.*--trust-site/);
  });
});

Deno.test("runAuthLogin() prints a JSON summary without tokens when stdout is not a terminal", async () => {
  await withTempDir(async (dir) => {
    const f = datadog();
    const seen: string[] = [];
    const deps = loginDeps({ configDir: dir, fetch: f.fetch, browser: approvingBrowser(seen) });
    assert.equal(await runAuthLogin({ ...base, callbackPorts: [0] }, deps), 0);
    f.verify();
    const out = JSON.parse(deps.out.text);
    assert.deepEqual(Object.keys(out), [
      "site",
      "org",
      "org_uuid",
      "org_name",
      "scopes",
      "expires_at",
      "storage",
    ]);
    assert.equal(out.storage, "file");
    assert.deepEqual(out.scopes, ["dashboards_read"]);
    for (const text of [deps.out.text, deps.err.text]) {
      assert.ok(!text.includes(ACCESS) && !text.includes(REFRESH));
    }
  });
});

Deno.test("runAuthLogin() prints nothing on stdout at a terminal unless -o json is given", async () => {
  await withTempDir(async (dir) => {
    const quiet = loginDeps({
      configDir: dir,
      fetch: datadog().fetch,
      browser: approvingBrowser([]),
      isTerminal: true,
    });
    await runAuthLogin({ ...base, callbackPorts: [0] }, quiet);
    assert.equal(quiet.out.text, "");
    assert.match(quiet.err.text, /✅ Login successful!/);
  });
});

Deno.test("runAuthLogin() uses config.yaml profile scopes for the org, --read-only's list, and --subdomain only for the browser", async (t) => {
  await t.step("profile scopes", async () => {
    await withTempDir(async (dir) => {
      await Deno.writeTextFile(
        `${dir}/config.yaml`,
        "scopes: dashboards_read\nprofiles:\n  team:\n    scopes: monitors_read, metrics_read\n",
      );
      const seen: string[] = [];
      const deps = loginDeps({
        configDir: dir,
        fetch: datadog().fetch,
        browser: approvingBrowser(seen),
      });
      await runAuthLogin({ ...base, org: "team", callbackPorts: [0] }, deps);
      assert.equal(new URL(seen[0]).searchParams.get("scope"), "metrics_read monitors_read");
    });
  });
  await t.step("--read-only", async () => {
    await withTempDir(async (dir) => {
      const deps = loginDeps({
        configDir: dir,
        fetch: datadog().fetch,
        browser: approvingBrowser([]),
      });
      await runAuthLogin({ ...base, readOnly: true, callbackPorts: [0] }, deps);
      assert.match(deps.err.text, /🔑 Requesting 59 scope\(s\) \(use --scopes to customize\)/);
    });
  });
  await t.step("--subdomain", async () => {
    await withTempDir(async (dir) => {
      const seen: string[] = [];
      const deps = loginDeps({
        configDir: dir,
        fetch: datadog().fetch,
        browser: approvingBrowser(seen),
      });
      await runAuthLogin({ ...base, subdomain: "acme", callbackPorts: [0] }, deps);
      assert.equal(new URL(seen[0]).host, "acme.datadoghq.com");
      assert.match(deps.err.text, /🏢 Using SAML\/SSO subdomain: acme\.datadoghq\.com\n/);
      for await (const e of Deno.readDir(dir)) {
        if (e.isFile) assert.ok(!(await Deno.readTextFile(`${dir}/${e.name}`)).includes("acme"));
      }
    });
  });
});

Deno.test("runAuthLogin() logs in to the site DD_SITE names and records the --org session", async () => {
  await withTempDir(async (dir) => {
    const deps = loginDeps({
      configDir: dir,
      env: { DD_SITE: "datadoghq.eu" },
      fetch: datadog("https://api.datadoghq.eu").fetch,
      browser: approvingBrowser([]),
    });
    await runAuthLogin({ ...base, org: "eu-team", callbackPorts: [0] }, deps);
    assert.deepEqual(JSON.parse(await Deno.readTextFile(`${dir}/sessions.json`)), [
      { site: "datadoghq.eu", org: "eu-team" },
    ]);
    assert.match(deps.err.text, /✅ Login successful \(org: eu-team\)!/);
  });
});
