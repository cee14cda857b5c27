// deno-lint-ignore-file no-control-regex -- these tests look for ANSI escapes on purpose
import assert from "node:assert/strict";
import { withSpinner } from "../../lib/cli/spinner.ts";
import { colorize } from "../../lib/cli/style.ts";
import { makeDeps, withTempDir } from "../_fakes/fake_deps.ts";

Deno.test("colorize() paints Error: red, Warning: yellow, the marks, and suggested commands bold", () => {
  assert.equal(
    colorize("Error: no session; run 'pup auth login --org a'\nWarning: x\n✅ ok\n❌ no"),
    "\u001b[31m\u001b[1mError:\u001b[0m\u001b[0m no session; run '\u001b[1mpup auth login --org a\u001b[0m'\n" +
      "\u001b[33mWarning:\u001b[0m x\n\u001b[32m✅\u001b[0m ok\n\u001b[31m❌\u001b[0m no",
  );
});

Deno.test("colorize() on stdout touches only lines that start with a mark: data stays data", () => {
  const json = '{\n  "status_message": "✅ run \'pup auth login\'"\n}\nError: not a mark';
  assert.equal(colorize(json, true), json);
  assert.match(colorize("✅ Authenticated", true), /\u001b\[32m✅/);
});

Deno.test("withSpinner() draws nothing off a terminal, and on one clears its line when the wait ends", async () => {
  await withTempDir(async (dir) => {
    const plain = makeDeps({ configDir: dir, stderrIsTerminal: false });
    assert.equal(await withSpinner(plain, "Waiting", Promise.resolve(1)), 1);
    assert.equal(plain.err.text, "");

    const tty = makeDeps({ configDir: dir, stderrIsTerminal: true });
    let release!: (v: number) => void;
    const work = new Promise<number>((r) => (release = r));
    const write = tty.io.err.write.bind(tty.io.err);
    let frames = 0;
    tty.io.err.write = (t: string) => {
      write(t);
      if (/^\r[⠋⠙⠹]/.test(t) && ++frames === 3) release(7);
    };
    const fast = { delayMs: 0, frameMs: 1 };
    assert.equal(await withSpinner(tty, "Waiting for api.datadoghq.com", work, fast), 7);
    assert.match(tty.err.text, /^\r⠋ Waiting for api\.datadoghq\.com\r⠙ /);
    assert.match(tty.err.text, /\r {30,}\r$/, "the line is cleared");
  });
});

Deno.test("formatHelp() shows value placeholders, adds EXAMPLES, wraps under the description, and is idempotent", async () => {
  const { formatHelp } = await import("../../lib/cli/help_format.ts");
  const raw = "USAGE\n  pup auth login [--org name] [--site site] [--no-browser]\n\nFLAGS\n" +
    "     [--org]         Named session (org label) to use; env DD_ORG, a long description here\n" +
    "     [--no-browser]  Do not open a browser\n  -h  --help         Print help information and exit\n";
  const flat = formatHelp(raw, "auth login");
  assert.match(flat, /\[--org <name>\] \[--site <site>\] \[--no-browser\]/);
  assert.match(flat, /\n {5}\[--org <name>\] {2}Named session/);
  const rows = flat.split("\n");
  const at = (word: string) => rows.find((l) => l.includes(word))!.indexOf(word);
  assert.equal(at("Print help"), at("Named session"), "rows re-aligned");
  const once = formatHelp(raw, "auth login", 60);
  assert.match(once, /\nEXAMPLES\n {2}pup auth login\n/);
  for (const line of once.split("\n")) assert.ok(line.length <= 60, line);
  const cont = once.split("\n").find((l) =>
    l.trim().startsWith("DD_ORG") || l.includes("description here")
  );
  const descAt = once.split("\n").find((l) => l.includes("Named session"))!.indexOf("Named");
  assert.ok(
    cont && cont.length - cont.trimStart().length === descAt,
    `a wrapped description continues under itself: ${cont}`,
  );
  assert.equal(formatHelp(once, "auth login", 60), once);
  assert.equal(formatHelp(raw, "auth login").includes("\n  pup auth login [--org <name>]"), true);
});
