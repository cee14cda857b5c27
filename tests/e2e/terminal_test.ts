// deno-lint-ignore-file no-control-regex -- these tests look for ANSI escapes on purpose
/**
 * What a person at a terminal sees (issue 15), through the real CLI under a pseudo-terminal
 * (`script -qc`): colour on a terminal, none with `NO_COLOR` or when piped.
 *
 * @module
 */

import assert from "node:assert/strict";
import { PUP, withConfigDir } from "./_helpers.ts";

async function inTerminal(command: string, env: Record<string, string>): Promise<string> {
  const out = await new Deno.Command("script", {
    args: ["-qec", command, "/dev/null"],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return new TextDecoder().decode(out.stdout);
}

Deno.test("on a terminal errors and marks are coloured; NO_COLOR and a pipe turn it off", async () => {
  await withConfigDir(async (dir) => {
    const env = { PUP_CONFIG_DIR: dir, DD_TOKEN_STORAGE: "file", NO_COLOR: "" };
    const tty = await inTerminal(`${PUP} auth status --bogus`, env);
    assert.match(tty, /\u001b\[31m\u001b\[1mError:/);
    const status = await inTerminal(`${PUP} auth status`, env);
    assert.match(status, /\u001b\[31m❌\u001b\[0m Not authenticated/);
    const noColor = await inTerminal(`${PUP} auth status --bogus`, { ...env, NO_COLOR: "1" });
    assert.match(noColor, /Error: No flag registered/);
    assert.doesNotMatch(noColor, /\u001b\[/);
    const piped = await inTerminal(`${PUP} auth status --bogus 2>&1 | cat`, env);
    assert.doesNotMatch(piped, /\u001b\[/);
  });
});

Deno.test("help on an 80-column terminal fits it, with placeholders and examples", async () => {
  const help = await inTerminal(`stty cols 80; ${PUP} help auth login`, { NO_COLOR: "1" });
  const lines = help.replace(/\r/g, "").split("\n");
  for (const line of lines) assert.ok(line.length <= 80, `${line.length}: ${line}`);
  assert.match(help, /--org <name>/);
  assert.match(help, /EXAMPLES/);
});
