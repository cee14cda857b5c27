import assert from "node:assert/strict";
import { runCli } from "../../lib/cli/run_cli.ts";
import { commandTree, renderCompletions } from "../../lib/cli/commands/completions.ts";
import { root } from "../../lib/cli/app.ts";
import { VERSION } from "../../lib/version.ts";
import { makeDeps, stripMockNotice, withTempDir } from "../_fakes/fake_deps.ts";

Deno.test("pup --version prints the version to stdout", async () => {
  await withTempDir(async (dir) => {
    const deps = makeDeps({ configDir: dir });
    assert.equal(await runCli(["--version"], deps), 0);
    assert.equal(deps.out.text.trim(), VERSION);
  });
});

Deno.test("pup --help lists the commands on stdout and exits 0", async () => {
  await withTempDir(async (dir) => {
    const deps = makeDeps({ configDir: dir });
    assert.equal(await runCli(["--help"], deps), 0);
    assert.match(deps.out.text, /auth/);
    assert.match(deps.out.text, /completions/);
    assert.equal(deps.err.text, "");
  });
});

Deno.test("a usage error (exit 2) starts with Error: and ends with that command's own help line", async () => {
  await withTempDir(async (dir) => {
    const cases: [string[], string][] = [
      [["auth", "status", "--bogus"], "pup auth status --help"],
      [["nope"], "pup --help"],
      [["auth", "status", "-o", "xml"], "pup auth status --help"],
      [["monitors", "list", "--limit", "abc"], "pup monitors list --help"],
    ];
    for (const [argv, help] of cases) {
      const deps = makeDeps({ configDir: dir });
      assert.equal(await runCli(argv, deps), 2, argv.join(" "));
      const lines = stripMockNotice(deps.err.text).trimEnd().split("\n");
      assert.match(lines[0], /^Error: /, argv.join(" "));
      assert.equal(lines.at(-1), `Run '${help}' for usage.`);
    }
  });
});

Deno.test("suggestions and help name flags in kebab-case, as the help shows them", async () => {
  await withTempDir(async (dir) => {
    const deps = makeDeps({ configDir: dir });
    assert.equal(await runCli(["auth", "login", "--readonly"], deps), 2);
    assert.match(deps.err.text, /did you mean --read-only\?/);
    assert.doesNotMatch(deps.err.text, /readOnly|trustSite|callbackPort|noBrowser/);
  });
});

Deno.test("global flags work before the command, help <command> and version are words too", async () => {
  await withTempDir(async (dir) => {
    const before = makeDeps({ configDir: dir });
    assert.equal(await runCli(["--org", "x", "-o", "json", "auth", "status"], before), 3);
    assert.equal(JSON.parse(before.out.text).org, "x");
    const help = makeDeps({ configDir: dir });
    assert.equal(await runCli(["help", "auth", "login"], help), 0);
    assert.match(help.out.text, /^USAGE\n {2}pup auth login /);
    const version = makeDeps({ configDir: dir });
    assert.equal(await runCli(["version"], version), 0);
    assert.match(version.out.text, /^\d+\.\d+\.\d+\n$/);
  });
});

Deno.test("--org __default__ is a usage error (exit 2)", async () => {
  await withTempDir(async (dir) => {
    const deps = makeDeps({ configDir: dir });
    assert.equal(await runCli(["auth", "status", "--org", "__default__"], deps), 2);
    assert.match(deps.err.text, /^Error: Cannot use the org name "__default__"/);
    assert.ok(
      deps.err.text.endsWith("\n") && !deps.err.text.endsWith("\n\n"),
      "one line ending, no blank line",
    );
  });
});

Deno.test("an empty or whitespace DD_SITE is a usage error (exit 2)", async () => {
  await withTempDir(async (dir) => {
    for (const v of ["", " "]) {
      const deps = makeDeps({ configDir: dir, env: { DD_SITE: v } });
      assert.equal(await runCli(["auth", "status"], deps), 2);
      assert.match(deps.err.text, /DD_SITE must not be empty or whitespace-only/);
    }
  });
});

Deno.test("completions for bash, zsh and fish name every route and flag", async () => {
  const nodes = commandTree(root);
  assert.ok(
    nodes.some((n) =>
      n.path.join(" ") === "auth status" && n.flags.some((f) => f.word === "--site") &&
      n.flags.some((f) => f.word === "-o")
    ),
  );
  for (const shell of ["bash", "zsh", "fish"] as const) {
    const script = renderCompletions(shell, nodes);
    assert.match(script, /status/, shell);
    assert.match(script, /datadoghq\.eu/, `${shell} offers the sites`);
  }
  await withTempDir(async (dir) => {
    const deps = makeDeps({ configDir: dir });
    assert.equal(await runCli(["completions", "bash"], deps), 0);
    assert.match(deps.out.text, /complete -F _pup_complete pup/);
    const bad = makeDeps({ configDir: dir });
    assert.equal(await runCli(["completions", "tcsh"], bad), 2);
  });
});

Deno.test("a malformed config.yaml is an error naming the file and line (exit 1)", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/config.yaml`, "site: [\n");
    const deps = makeDeps({ configDir: dir });
    assert.equal(await runCli(["auth", "status"], deps), 1);
    assert.match(deps.err.text, /config\.yaml" at line/);
  });
});
