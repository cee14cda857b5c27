/**
 * Switching from the Rust pup loses nothing (issue 17), through the real CLI against the mock:
 * the docs' promises (siblings refresh after a default logout, `org_uuid` re-sent on every later
 * login), the Rust pup's flags and output forms (`--ro`, `-o yaml|csv|tsv`, `--jq`, `DD_OUTPUT`,
 * `--read-only`, `-v`), and the auth commands people ask for (`auth test`, `auth switch`,
 * `auth scopes`, `--extra-scopes` that keeps what a session has).
 *
 * @module
 */

import assert from "node:assert/strict";
import { type MockDatadog, startMockDatadog } from "../../scripts/mock_datadog.ts";
import { ROOT, runPup, withConfigDir } from "./_helpers.ts";

const FAST_BROWSER = `${ROOT}scripts/fast_browser.sh`;
const UUID = "11111111-2222-3333-4444-555555555555";

async function withMock(
  opts: Parameters<typeof startMockDatadog>[0],
  fn: (mock: MockDatadog, env: Record<string, string>, dir: string) => Promise<void>,
): Promise<void> {
  const mock = await startMockDatadog({ autoApprove: true, ...opts });
  try {
    await withConfigDir(async (dir) => {
      await fn(mock, {
        PUP_CONFIG_DIR: dir,
        DD_TOKEN_STORAGE: "file",
        PUP_MOCK_SERVER: mock.url,
        BROWSER: FAST_BROWSER,
      }, dir);
    });
  } finally {
    await mock.close();
  }
}

async function ok(args: string[], env: Record<string, string>) {
  const run = await runPup(args, env);
  assert.equal(run.code, 0, `pup ${args.join(" ")}: ${run.stderr}`);
  return run;
}

/** Makes a stored session look expired (its refresh token stays good). */
async function expire(dir: string, org: string): Promise<void> {
  const path = `${dir}/tokens_datadoghq_com.json`;
  const tokens = JSON.parse(await Deno.readTextFile(path));
  tokens[org].issued_at -= 7200;
  await Deno.writeTextFile(path, JSON.stringify(tokens, null, 2));
}

Deno.test("after a default logout and a login of one org, every sibling session still refreshes", async () => {
  await withMock({}, async (mock, env) => {
    await ok(["auth", "login"], env);
    for (const org of ["prod-child", "staging-child"]) {
      await ok(["auth", "login", "--org", org], env);
    }
    const logout = await ok(["auth", "logout"], env);
    assert.doesNotMatch(logout.stderr, /refresh will fail/, "no warning that is not true");
    await ok(["auth", "login", "--org", "staging-child"], env);
    assert.equal(mock.stats().registrations, 2, "the next login registered a new client");
    const refresh = await ok(["auth", "refresh", "--org", "prod-child"], env);
    assert.doesNotMatch(refresh.stderr, /issued to another client/);
    await ok(["auth", "refresh", "--org", "staging-child"], env);
  });
});

Deno.test("an org UUID given once is re-sent as dd_oid on each of three later logins", async () => {
  await withMock({ orgUuid: UUID }, async (mock, env, dir) => {
    await ok(["auth", "login", "--org", "acme-prod", "--org-uuid", UUID], env);
    for (let i = 0; i < 3; i++) {
      const login = await ok(["auth", "login", "--org", "acme-prod"], env);
      assert.equal(mock.stats().lastAuthorizeParams?.dd_oid, UUID, `login ${i + 2}`);
      assert.match(login.stderr, new RegExp(`Hinting org UUID \\(dd_oid\\): ${UUID}`));
      const rows = JSON.parse(await Deno.readTextFile(`${dir}/sessions.json`));
      assert.equal(rows.find((r: { org: string }) => r.org === "acme-prod").org_uuid, UUID);
    }
  });
});

Deno.test("the Rust pup's flags and output forms work: --ro, -o yaml|csv|tsv, --jq, DD_OUTPUT, --read-only, -v", async (t) => {
  await withMock({}, async (_mock, env) => {
    await t.step("auth login --ro asks for the read-only scopes only", async () => {
      const login = await ok(["auth", "login", "--org", "ro", "--ro"], env);
      assert.match(login.stderr, /Requesting 59 scope\(s\)/);
    });
    await ok(["auth", "login", "--org", "rw"], env);
    await t.step("-o yaml", async () => {
      const out = (await ok(["auth", "list", "-o", "yaml"], env)).stdout;
      assert.equal(out.match(/^- /gm)?.length, 2, "one YAML item per session");
      assert.match(out, /^ {2}site: datadoghq\.com$/m);
      assert.match(out, /^ {2}org: ro$/m);
    });
    await t.step("-o csv, with a header and one CRLF record per session", async () => {
      const out = (await ok(["auth", "list", "-o", "csv"], env)).stdout;
      const lines = out.split("\r\n").filter((l) => l !== "");
      assert.equal(lines.length, 3);
      assert.deepEqual(
        lines[0].split(",").sort(),
        Object.keys(JSON.parse((await ok(["auth", "list", "-o", "json"], env)).stdout)[0]).sort(),
      );
    });
    await t.step("-o tsv", async () => {
      const out = (await ok(["auth", "list", "-o", "tsv"], env)).stdout;
      assert.equal(out.split("\n").filter((l) => l !== "").length, 3);
      assert.ok(out.split("\n")[0].includes("\t"));
    });
    await t.step("--jq runs real jq over the JSON result", async () => {
      const out = (await ok(["auth", "list", "--jq", "[.[].org] | sort"], env)).stdout;
      assert.deepEqual(JSON.parse(out), ["ro", "rw"]);
      const bad = await runPup(["auth", "list", "--jq", ".[[["], env);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /^Error: --jq "\.\[\[\[" failed: jq: error/m);
    });
    await t.step("DD_OUTPUT and PUP_OUTPUT set the default format; -o wins", async () => {
      assert.match((await ok(["auth", "list"], { ...env, DD_OUTPUT: "yaml" })).stdout, /^- \w+: /);
      assert.match((await ok(["auth", "list"], { ...env, PUP_OUTPUT: "tsv" })).stdout, /^\w+\t/);
      const json = (await ok(["auth", "list", "-o", "json"], { ...env, DD_OUTPUT: "yaml" })).stdout;
      assert.ok(Array.isArray(JSON.parse(json)));
      const bad = await runPup(["auth", "list"], { ...env, DD_OUTPUT: "xml" });
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /DD_OUTPUT must be one of json, table, yaml, csv, tsv/);
    });
    await t.step(
      "--read-only refuses a call that changes data, and lets reads through",
      async () => {
        const post = await runPup(
          ["api", "/api/v2/echo", "-X", "POST", "--org", "rw", "--read-only"],
          env,
        );
        assert.equal(post.code, 2, post.stderr);
        assert.match(post.stderr, /Read-only mode refuses POST \/api\/v2\/echo/);
        await ok(["api", "/api/v2/echo", "--org", "rw", "--read-only"], env);
        await ok(["monitors", "list", "--org", "rw", "--read-only"], env);
      },
    );
    await t.step("-v prints request lines and answers on stderr, never a credential", async () => {
      const run = await ok(["monitors", "list", "--org", "rw", "-v"], env);
      assert.match(run.stderr, /^> GET http:\/\/127\.0\.0\.1:\d+\/api\/v1\/monitor/m);
      assert.match(run.stderr, /^< 200 in \d+ ms/m);
      assert.doesNotMatch(run.stderr, /Bearer|mock_at_/i);
    });
  });
});

Deno.test("auth test says whether the session works now: good, expired but refreshable, revoked", async () => {
  await withMock({}, async (mock, env, dir) => {
    await ok(["auth", "login"], env);
    const good = await ok(["auth", "test", "-o", "json"], env);
    assert.deepEqual(JSON.parse(good.stdout), {
      ok: true,
      site: "datadoghq.com",
      org: null,
      credential: "session",
    });
    await expire(dir, "__default__");
    const before = mock.stats().tokenRequests.refresh_token;
    await ok(["auth", "test"], env);
    assert.equal(mock.stats().tokenRequests.refresh_token, before + 1, "refreshed first");
    const path = `${dir}/tokens_datadoghq_com.json`;
    const tokens = JSON.parse(await Deno.readTextFile(path));
    tokens.__default__.access_token = "revoked-access";
    tokens.__default__.refresh_token = "revoked-refresh";
    await Deno.writeTextFile(path, JSON.stringify(tokens, null, 2));
    const revoked = await runPup(["auth", "test"], env);
    assert.equal(revoked.code, 3, revoked.stderr);
    assert.match(revoked.stderr, /pup auth login/);
  });
});

Deno.test("auth switch makes a stored session the default in config.yaml, and back", async () => {
  await withMock({}, async (_mock, env, dir) => {
    await ok(["auth", "login"], env);
    await ok(["auth", "login", "--org", "prod"], env);
    await Deno.writeTextFile(`${dir}/config.yaml`, "# mine\noutput: json\n");
    const sw = await ok(["auth", "switch", "--org", "prod"], env);
    assert.match(sw.stdout, /"default_org": "prod"/);
    const yaml = await Deno.readTextFile(`${dir}/config.yaml`);
    assert.match(yaml, /^# mine$/m, "comments are kept");
    assert.match(yaml, /^org: prod$/m);
    assert.equal((await Deno.stat(`${dir}/config.yaml`)).mode! & 0o777, 0o600);
    assert.equal(JSON.parse((await ok(["auth", "status"], env)).stdout).org, "prod");
    await ok(["auth", "switch", "--default"], env);
    assert.doesNotMatch(await Deno.readTextFile(`${dir}/config.yaml`), /^org:/m);
    assert.equal(JSON.parse((await ok(["auth", "status"], env)).stdout).org, null);
    const nope = await runPup(["auth", "switch", "--org", "nope"], env);
    assert.equal(nope.code, 2);
    assert.match(nope.stderr, /No stored session is named "nope" \(stored: /);
  });
});

Deno.test("auth scopes shows what a session lacks, and --extra-scopes adds it keeping the rest", async () => {
  await withMock({}, async (_mock, env) => {
    await ok(
      ["auth", "login", "--org", "narrow", "--scopes", "monitors_read,dashboards_read"],
      env,
    );
    const before = JSON.parse((await ok(["auth", "scopes", "--org", "narrow"], env)).stdout);
    assert.deepEqual(before.scopes, ["dashboards_read", "monitors_read"]);
    assert.deepEqual(
      before.commands.find((c: { command: string }) => c.command === "pup logs query").missing,
      ["logs_read_data"],
    );
    assert.match(
      before.add_missing,
      /--org narrow .*--extra-scopes logs_read_data,timeseries_query/,
    );
    await ok(["auth", "login", "--org", "narrow", "--extra-scopes", "logs_read_data"], env);
    const after = JSON.parse((await ok(["auth", "scopes", "--org", "narrow"], env)).stdout);
    assert.deepEqual(after.scopes, ["dashboards_read", "logs_read_data", "monitors_read"]);
  });
});

Deno.test("the keychain fallback warning is shown once; status still names the fallback", async () => {
  await withMock({}, async (_mock, env) => {
    const auto = {
      ...env,
      DD_TOKEN_STORAGE: "",
      PUP_KEYCHAIN_BACKEND: "windows",
      PUP_ADVAPI32_LIB: "/nonexistent/advapi32.dll",
    };
    const login = await ok(["auth", "login"], auto);
    assert.match(login.stderr, /Warning: OS keychain not available/);
    for (let i = 0; i < 2; i++) {
      const status = await ok(["auth", "status"], auto);
      assert.doesNotMatch(status.stderr, /Warning: OS keychain/);
      assert.equal(JSON.parse(status.stdout).storage, "file");
    }
  });
});
