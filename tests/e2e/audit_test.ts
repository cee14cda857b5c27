/**
 * The secret audit (SPEC §6.3, §2; ref §12 item 15): login → status → list → api → refresh →
 * token → logout as real processes under `strace -f -v -e trace=execve`, against the file
 * store, the real Secret Service, and the macOS and Windows emulators. No access token,
 * refresh token or client secret the mock issued may appear in any child's argv or
 * environment, or in any output but `pup auth token`'s stdout, which must be exactly the token.
 * Needs `strace` (Debian package); without it the emulators' argv logs are checked instead.
 */
import assert from "node:assert/strict";
import {
  type AuditBackend,
  execRecords,
  findSecrets,
  hasStrace,
  runAudit,
} from "../../scripts/soak/audit.ts";

// CI sets PUP_TEST_REQUIRE_SECRET_SERVICE=1: then a missing Secret Service fails, not skips.
const hasBus = Deno.env.get("DBUS_SESSION_BUS_ADDRESS") !== undefined ||
  Deno.env.get("PUP_TEST_REQUIRE_SECRET_SERVICE") === "1";
const strace = await hasStrace();

Deno.test("no secret reaches a child's argv or environment or any output but auth token's", async (t) => {
  await t.step({
    name: "the audit sees a secret on a grandchild's argv and inside -EncodedCommand",
    ignore: !strace,
    fn: async () => {
      const secret = "ddat_AuditCanary7Qz";
      const dir = await Deno.makeTempDir({ prefix: "pup-audit-canary-" });
      try {
        const log = `${dir}/strace.log`;
        const out = await new Deno.Command("strace", {
          args: [
            "-f",
            "-qq",
            "-v",
            "-e",
            "trace=execve",
            "-s",
            "65535",
            "-o",
            log,
            "sh",
            "-c",
            `env true ${secret}`,
          ],
        }).output();
        assert.ok(out.success, "strace runs");
        const lines = execRecords(await Deno.readTextFile(log));
        const labels = new Map([[secret, "canary"]]);
        assert.ok(
          lines.some((r) =>
            r.program.endsWith("/true") && findSecrets(r.line, labels).length === 1
          ),
        );
        const utf16 = new Uint8Array([...`$x = '${secret}'`].flatMap((c) => [c.charCodeAt(0), 0]));
        assert.deepEqual(findSecrets(`-EncodedCommand ${utf16.toBase64()}`, labels), ["canary"]);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  });

  for (const backend of ["file", "secret-service", "macos", "windows"] as AuditBackend[]) {
    await t.step({
      name: `${backend}: login, status, list, api, refresh, token, logout leak nothing`,
      ignore: backend === "secret-service" && !hasBus,
      fn: async () => {
        const f = await runAudit(backend);
        assert.deepEqual(f.problems, []);
        assert.deepEqual(f.hits, []);
        assert.equal(f.steps, 7);
        assert.ok(f.tokenOutputExact);
        assert.ok(f.secrets >= 5, `${f.secrets} secrets checked`);
        if (f.argvSource === "strace" && backend !== "file") {
          // The OS stores are reached in-process: no store program may run (the browser
          // stand-in, which is deno, and keyctl for the kernel keyring are the only children).
          const stores = ["secret-tool", "security", "powershell", "powershell.exe", "keyctl"];
          assert.deepEqual(f.programs.filter((p) => stores.includes(p)), [], `${f.programs}`);
        }
      },
    });
  }
});

Deno.test("a refresh error_description quoting the current access and refresh tokens shows neither", async () => {
  const { withMockSession } = await import("../_fakes/_api_session.ts");
  const { runPup } = await import("./_helpers.ts");
  await withMockSession({ expiredSession: true }, async ({ mock, dir, tokens }) => {
    mock.setFault({
      endpoint: "token",
      status: 400,
      body: JSON.stringify({
        error: "invalid_grant",
        error_description:
          `token ${tokens.access_token} and ${tokens.refresh_token} \u001b[31mare bad`,
      }),
    });
    const env = { PUP_CONFIG_DIR: dir, PUP_MOCK_SERVER: mock.url, DD_TOKEN_STORAGE: "file" };
    for (const args of [["auth", "refresh"], ["monitors", "list"]]) {
      const r = await runPup(args, env);
      assert.notEqual(r.code, 0, args.join(" "));
      const all = r.stdout + r.stderr;
      assert.ok(!all.includes(tokens.access_token), `${args.join(" ")}: ${all}`);
      assert.ok(!all.includes(tokens.refresh_token), `${args.join(" ")}: ${all}`);
      assert.ok(!all.includes("\u001b"), all);
    }
  });
});

Deno.test("DD_* secrets with CR/LF never reach a message, and prototype org names leak no token", async () => {
  const { withMockSession } = await import("../_fakes/_api_session.ts");
  const { runPup } = await import("./_helpers.ts");
  await withMockSession({}, async ({ mock, dir, tokens }) => {
    const env = { PUP_CONFIG_DIR: dir, PUP_MOCK_SERVER: mock.url, DD_TOKEN_STORAGE: "file" };
    const crlf = await runPup(["api", "/api/v1/validate"], {
      ...env,
      DD_ACCESS_TOKEN: "ddat_AuditCanary\r\nX: y",
    });
    assert.equal(crlf.code, 2);
    assert.ok(!crlf.stderr.includes("AuditCanary"), crlf.stderr);
    for (const org of ["constructor", "__proto__", "toString"]) {
      const r = await runPup(["auth", "token", "--org", org], env);
      assert.equal(r.code, 3, r.stderr);
      assert.ok(!(r.stdout + r.stderr).includes(tokens.access_token));
    }
  });
});
