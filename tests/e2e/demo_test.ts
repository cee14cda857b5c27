/**
 * `scripts/demo` from end to end with the fetch stand-in as the browser: the real mock process,
 * the real pup processes, a throwaway config dir. The login binds one of the fixed callback
 * ports (8000, 8080, 8888, 9000) because the product requires them (SPEC §4.3).
 */
import assert from "node:assert/strict";

const repo = new URL("../../", import.meta.url).pathname;

const STEPS = [
  "start a mock Datadog on 127.0.0.1",
  "log in: pup auth login",
  "see the session: pup auth status",
  "list every stored session: pup auth list",
  "call the API with the stored token: pup monitors list",
  "expire every access token at the server",
  "call the API again: pup refreshes the token by itself",
  "log out: pup auth logout",
];

Deno.test("scripts/demo runs every step against the mock and never prints a token", async () => {
  const child = new Deno.Command("bash", {
    args: [`${repo}/scripts/demo`],
    cwd: repo,
    env: { PUP_DEMO_BROWSER: "fast", NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGTERM"), 120_000);
  let out;
  try {
    out = await child.output();
  } finally {
    clearTimeout(timer);
  }
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  const all = stdout + stderr;
  assert.equal(out.code, 0, `the demo failed:\n${all.slice(-3000)}`);
  const headers = [...stdout.matchAll(/^== Step (\d+): (.*)$/gm)];
  const withoutSetup = headers.filter(([, , text]) => !text.startsWith("install Deno"));
  assert.equal(
    withoutSetup.length,
    STEPS.length,
    `headers:\n${headers.map((h) => h[0]).join("\n")}`,
  );
  STEPS.forEach((text, i) => {
    assert.ok(
      withoutSetup[i][2].startsWith(text),
      `step ${i + 1} is "${text}…": ${withoutSetup[i][0]}`,
    );
  });
  assert.deepEqual(
    headers.map(([, n]) => Number(n)),
    headers.map((_, i) => i + 1),
    "steps are numbered in order",
  );
  assert.match(stdout, /fast_browser\.sh/, "the fetch stand-in was the browser");
  assert.match(stdout, /Access token refreshed automatically/);
  assert.match(stdout, /Demo complete/);
  // The mock's tokens and codes carry these prefixes: none may reach the terminal.
  assert.doesNotMatch(all, /mock_(at|rt|code)_/);
  assert.doesNotMatch(all, /"(access|refresh)_token"\s*:\s*"/);
});
