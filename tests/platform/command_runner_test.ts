import assert from "node:assert/strict";
import { childEnvironment, createCommandRunner } from "../../lib/platform/command_runner.ts";

Deno.test("childEnvironment() drops DD_* secrets and pup's seams, keeps the rest and the caller's extras", () => {
  const env = childEnvironment({
    PATH: "/usr/bin",
    HOME: "/home/u",
    DD_API_KEY: "k",
    DD_APP_KEY: "a",
    DD_ACCESS_TOKEN: "t",
    DD_MY_SECRET_KEY_2: "s",
    DD_REFRESH_TOKEN_X: "r",
    DD_SITE: "datadoghq.eu",
    PUP_CONFIG_DIR: "/c",
    PUP_MOCK_SERVER: "http://127.0.0.1:1",
    PUP_KEYCHAIN_BACKEND: "linux",
    PUP_ADVAPI32_LIB: "/x.so",
    PUP_SECURITY_BIN: "/fake",
    DD_TOKEN_STORAGE: "file",
    PUP_BENCH_CHILD_LOG: "/log",
  }, { EXTRA: "1" });
  assert.deepEqual(env, {
    PATH: "/usr/bin",
    HOME: "/home/u",
    DD_SITE: "datadoghq.eu",
    PUP_BENCH_CHILD_LOG: "/log",
    EXTRA: "1",
  });
});

Deno.test("a real child started by the runner sees no DD_API_KEY, DD_APP_KEY or DD_ACCESS_TOKEN", async () => {
  const runner = createCommandRunner({
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    DD_API_KEY: "ddkey_Canary",
    DD_APP_KEY: "ddapp_Canary",
    DD_ACCESS_TOKEN: "ddat_Canary",
    PUP_MOCK_SERVER: "http://127.0.0.1:1",
  });
  const r = await runner.run("env", []);
  assert.equal(r.code, 0);
  assert.ok(!r.stdout.includes("Canary"), r.stdout);
  assert.ok(!r.stdout.includes("PUP_MOCK_SERVER"), r.stdout);
});
