/**
 * The red-team findings of issue 14, each through the real CLI (`scripts/pup` as a process)
 * against the in-process mock: loopback-only PUP_MOCK_SERVER, secrets with CR/LF refused where
 * they enter and redacted from server text, prototype org names, org names shown after login,
 * config dir permissions, control and bidi characters kept off the terminal, file-system errors
 * that name the file. Logins use the fixed callback ports: run this file on its own.
 */
import assert from "node:assert/strict";
import { storeSession, withMockSession } from "../_fakes/_api_session.ts";
import { startMockDatadog } from "../../scripts/mock_datadog.ts";
import { rustSessions } from "../_fakes/rust_reader.ts";
import { filesIn, ROOT, runPup, withConfigDir } from "./_helpers.ts";

const fileEnv = (dir: string, mock: string) => ({
  PUP_CONFIG_DIR: dir,
  PUP_MOCK_SERVER: mock,
  DD_TOKEN_STORAGE: "file",
});

Deno.test("PUP_MOCK_SERVER off loopback is a usage error naming it, and on loopback every command says so", async () => {
  await withConfigDir(async (dir) => {
    for (const bad of ["https://evil.example", "http://10.0.0.1:80", "http://127.0.0.1:1/x"]) {
      const r = await runPup(["auth", "status"], { PUP_CONFIG_DIR: dir, PUP_MOCK_SERVER: bad });
      assert.equal(r.code, 2, bad);
      assert.match(r.stderr, /^Error: Cannot use PUP_MOCK_SERVER/, bad);
    }
    const ok = await runPup(["auth", "status"], {
      PUP_CONFIG_DIR: dir,
      PUP_MOCK_SERVER: "http://127.0.0.1:9",
      DD_TOKEN_STORAGE: "file",
    });
    assert.equal(ok.stderr.split("\n")[0].startsWith("Note: PUP_MOCK_SERVER is set"), true);
  });
});

Deno.test("secrets with CR/LF from the environment or config.yaml are refused, never quoted", async () => {
  await withMockSession({ noSession: true }, async ({ mock, dir }) => {
    const env = fileEnv(dir, mock.url);
    for (const name of ["DD_ACCESS_TOKEN", "DD_API_KEY", "DD_APP_KEY"]) {
      const secret = "ddat_Canary\r\nX-Evil: 1";
      const r = await runPup(["monitors", "list"], {
        ...env,
        [name]: secret,
        DD_API_KEY: name === "DD_API_KEY" ? secret : "k1234",
        DD_APP_KEY: name === "DD_APP_KEY" ? secret : "a1234",
      });
      assert.equal(r.code, 2, `${name}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`${name} contains control characters`));
      assert.ok(!r.stderr.includes("Canary"), r.stderr);
    }
    await Deno.writeTextFile(`${dir}/config.yaml`, 'access_token: "ddat_Canary\\r\\nX: 1"\n');
    const c = await runPup(["monitors", "list"], env);
    assert.equal(c.code, 1, c.stderr);
    assert.match(c.stderr, /config\.yaml" at line 1: "access_token" contains control characters/);
    assert.ok(!c.stderr.includes("Canary"));
  });
});

const FAST_BROWSER = `${ROOT}scripts/fast_browser.sh`;

Deno.test("token answers with CR/LF or a 1 MB access_token are refused and nothing is stored", async () => {
  for (
    const [label, access] of [
      ["CR/LF", "ddat_Canary\r\nSet-Cookie: x"],
      ["1 MB", "a".repeat(1 << 20)],
    ]
  ) {
    const mock = await startMockDatadog({ autoApprove: true });
    try {
      mock.setFault({
        endpoint: "token",
        status: 200,
        body: JSON.stringify({
          access_token: access,
          refresh_token: "ddrt_ok1234",
          token_type: "bearer",
          expires_in: 3600,
        }),
      });
      await withConfigDir(async (dir) => {
        const r = await runPup(["auth", "login"], {
          ...fileEnv(dir, mock.url),
          BROWSER: FAST_BROWSER,
        });
        assert.equal(r.code, 1, `${label}: ${r.stderr}`);
        assert.match(
          r.stderr,
          /access_token (contains control characters|is \d+ characters long)|too large/,
        );
        assert.ok(!r.stderr.includes("Canary"), r.stderr);
        // The client registered before the exchange may stay (it is the site's, and reused by
        // the next login); no token and no session row were written.
        const left = (await filesIn(dir)).filter((f) => !/^client_|^locks/.test(f));
        assert.deepEqual(left, [], label);
      });
    } finally {
      await mock.close();
    }
  }
});

Deno.test("after login, auth status and auth list, the org name and UUID the server reported are shown", async () => {
  const uuid = "3fa85f64-5717-4562-b3fc-2c963f66afa6";
  const mock = await startMockDatadog({
    autoApprove: true,
    orgName: "Acme \u202eProd",
    orgUuid: uuid,
  });
  try {
    await withConfigDir(async (dir) => {
      const env = fileEnv(dir, mock.url);
      const r = await runPup(["auth", "login"], { ...env, BROWSER: FAST_BROWSER });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, new RegExp(`Org: Acme  ?Prod \\(${uuid}\\)`));
      const status = JSON.parse((await runPup(["auth", "status"], env)).stdout);
      assert.equal(status.org_uuid, uuid);
      assert.match(status.org_name, /^Acme +Prod$/);
      const list = JSON.parse((await runPup(["auth", "list"], env)).stdout);
      assert.equal(list[0].org_uuid, uuid);
      rustSessions(await Deno.readTextFile(`${dir}/sessions.json`));
    });
  } finally {
    await mock.close();
  }
});

Deno.test("an error_description quoting the current access token is shown redacted", async () => {
  await withMockSession({}, async ({ mock, dir, tokens }) => {
    mock.setFault({
      endpoint: "api",
      status: 400,
      body: JSON.stringify({ errors: [`bad token ${tokens.access_token} \u202e\u001b[31mred`] }),
    });
    const r = await runPup(["monitors", "list"], fileEnv(dir, mock.url));
    assert.equal(r.code, 1, r.stderr);
    assert.ok(!r.stderr.includes(tokens.access_token), r.stderr);
    assert.match(r.stderr, /\[redacted\]/);
    // deno-lint-ignore no-control-regex
    assert.ok(!/[\u001b\u202e]/.test(r.stderr), JSON.stringify(r.stderr));
  });
});

/** Every Object.prototype member name, plus __proto__. */
export const PROTOTYPE_NAMES = [
  ...new Set([...Object.getOwnPropertyNames(Object.prototype), "__proto__"]),
];

Deno.test("org names that are Object.prototype members are ordinary names that are not logged in", async () => {
  await withMockSession({}, async ({ mock, dir, tokens, client }) => {
    await storeSession(dir, { org: "real", tokens, client });
    const env = fileEnv(dir, mock.url);
    const before = await Deno.readTextFile(`${dir}/sessions.json`);
    for (const name of PROTOTYPE_NAMES) {
      for (
        const args of [
          ["auth", "token", "--org", name],
          ["auth", "status", "--org", name],
          ["monitors", "list", "--org", name],
        ]
      ) {
        const r = await runPup(args, env);
        assert.equal(r.code, 3, `${args.join(" ")}: ${r.stderr}`);
        assert.equal(r.stdout.includes("undefined"), false, args.join(" "));
        assert.ok(!/TypeError|at .*\.ts:/.test(r.stderr), r.stderr);
      }
      const out = await runPup(["auth", "logout", "--org", name], env);
      assert.equal(JSON.parse(out.stdout).logged_out, false, `logout --org ${name}`);
      assert.match(out.stderr, /Nothing to log out/);
    }
    assert.equal(mock.stats().apiRequests, 0);
    assert.equal(await Deno.readTextFile(`${dir}/sessions.json`), before);
  });
});

Deno.test("--org refuses C1 controls, bidi overrides and whitespace-only names (exit 2)", async () => {
  await withConfigDir(async (dir) => {
    for (const name of ["a\u0085b", "ev\u202eil", "  ", "x\u2066y"]) {
      const r = await runPup(["auth", "status", "--org", name], {
        PUP_CONFIG_DIR: dir,
        DD_TOKEN_STORAGE: "file",
      });
      assert.equal(r.code, 2, JSON.stringify(name));
    }
  });
});

Deno.test("auth list -o table strips escape and bidi characters from sessions.json", async () => {
  await withConfigDir(async (dir) => {
    await Deno.writeTextFile(
      `${dir}/sessions.json`,
      JSON.stringify([{
        site: "datadoghq.com",
        org: "a\u001b[2Jb",
        org_uuid: "u\u202eu",
        org_name: "n\u009bn",
      }]),
    );
    const r = await runPup(["auth", "list", "-o", "table"], {
      PUP_CONFIG_DIR: dir,
      DD_TOKEN_STORAGE: "file",
    });
    assert.equal(r.code, 0, r.stderr);
    // deno-lint-ignore no-control-regex
    assert.ok(!/[\u001b\u202e\u009b]/.test(r.stdout), JSON.stringify(r.stdout));
  });
});

Deno.test("the config dir is created 0700, and an existing open one is warned about, never chmod'ed", async () => {
  await withConfigDir(async (root) => {
    const fresh = `${root}/new/pup`;
    const env = { DD_TOKEN_STORAGE: "file", DD_ACCESS_TOKEN: "ddat_x1234" };
    await runPup(["auth", "logout"], { ...env, PUP_CONFIG_DIR: fresh });
    assert.equal((await Deno.stat(fresh)).mode! & 0o777, 0o700);
    const shared = `${root}/shared`;
    await Deno.mkdir(shared);
    await Deno.chmod(shared, 0o1777);
    const r = await runPup(["auth", "logout"], { ...env, PUP_CONFIG_DIR: shared });
    assert.equal((await Deno.stat(shared)).mode! & 0o7777, 0o1777);
    assert.match(r.stderr, /writable by other users \(mode 1777\)/);
    const link = `${root}/link`;
    await Deno.symlink(shared, link);
    await runPup(["auth", "logout"], { ...env, PUP_CONFIG_DIR: link });
    assert.equal((await Deno.stat(shared)).mode! & 0o7777, 0o1777);
  });
});

Deno.test("file-system errors name the file and the next step", async (t) => {
  await t.step("a locks dir that cannot be created", async () => {
    // A file where the locks dir goes (chmod cannot stop root, which CI may be).
    await withMockSession({ expiredSession: true }, async ({ mock, dir }) => {
      await Deno.remove(`${dir}/locks`, { recursive: true });
      await Deno.writeTextFile(`${dir}/locks`, "");
      const r = await runPup(["monitors", "list"], fileEnv(dir, mock.url));
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /".*\/locks": (it is not a directory|part of the path is a file)/);
      assert.ok(!/os error/.test(r.stderr), r.stderr);
    });
  });
  await t.step("a YAML alias bomb names config.yaml", async () => {
    await withConfigDir(async (dir) => {
      const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
      for (let i = 0; i < 9; i++) {
        const prev = String.fromCharCode(97 + i);
        const cur = String.fromCharCode(98 + i);
        lines.push(`${cur}: &${cur} [${Array(9).fill(`*${prev}`).join(",")}]`);
      }
      await Deno.writeTextFile(`${dir}/config.yaml`, lines.join("\n") + "\n");
      const r = await runPup(["auth", "status"], { PUP_CONFIG_DIR: dir, DD_TOKEN_STORAGE: "file" });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /config\.yaml": it expands too many aliases/);
    });
  });
  await t.step(
    "config.yaml pointing at /proc/self/environ gets no --allow-all advice",
    async () => {
      await withConfigDir(async (dir) => {
        await Deno.symlink("/proc/self/environ", `${dir}/config.yaml`);
        const r = await runPup(["auth", "status"], {
          PUP_CONFIG_DIR: dir,
          DD_TOKEN_STORAGE: "file",
        });
        assert.equal(r.code, 1);
        assert.match(r.stderr, /config\.yaml"/);
        assert.ok(!/--allow/.test(r.stderr), r.stderr);
      });
    },
  );
  await t.step("a deeply nested API answer is a clear error, not a stack overflow", async () => {
    await withMockSession({}, async ({ mock, dir }) => {
      mock.setFault({
        endpoint: "api",
        status: 200,
        body: "[".repeat(200_000) + "]".repeat(200_000),
      });
      const r = await runPup(["monitors", "list"], fileEnv(dir, mock.url));
      assert.equal(r.code, 1);
      assert.match(r.stderr, /nested too deeply/);
      assert.ok(!/Maximum call stack/.test(r.stderr));
    });
  });
});
