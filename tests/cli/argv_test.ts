import assert from "node:assert/strict";
import { normalizeArgv } from "../../lib/cli/argv.ts";

Deno.test("normalizeArgv() moves leading global flags after the command, in order", () => {
  assert.deepEqual(normalizeArgv(["--org", "x", "auth", "status"]), [
    "auth",
    "status",
    "--org",
    "x",
  ]);
  assert.deepEqual(normalizeArgv(["-o", "json", "--org=y", "auth", "list"]), [
    "auth",
    "list",
    "-o",
    "json",
    "--org=y",
  ]);
  assert.deepEqual(normalizeArgv(["--read-only", "-v", "api", "/api/v1/x"]), [
    "api",
    "/api/v1/x",
    "--read-only",
    "--verbose",
  ]);
});

Deno.test("normalizeArgv() leaves -v alone as --version, and everything after the command as is", () => {
  assert.deepEqual(normalizeArgv(["-v"]), ["-v"]);
  assert.deepEqual(normalizeArgv(["auth", "status", "--org", "x"]), [
    "auth",
    "status",
    "--org",
    "x",
  ]);
  assert.deepEqual(
    normalizeArgv(["--org"]),
    ["--org"],
    "a flag without its value is stricli's to judge",
  );
});

Deno.test("normalizeArgv() reads help <command> and version as words", () => {
  assert.deepEqual(normalizeArgv(["help"]), ["--help"]);
  assert.deepEqual(normalizeArgv(["help", "auth", "login"]), ["auth", "login", "--help"]);
  assert.deepEqual(normalizeArgv(["version"]), ["--version"]);
  assert.deepEqual(normalizeArgv(["--org", "x", "help", "auth"]), ["auth", "--help", "--org", "x"]);
});
