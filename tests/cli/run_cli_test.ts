import assert from "node:assert/strict";
import { runCli } from "../../lib/cli/run_cli.ts";
import { commandTree, renderCompletions } from "../../lib/cli/commands/completions.ts";
import { root } from "../../lib/cli/app.ts";
import { VERSION } from "../../lib/version.ts";
import { makeDeps, withTempDir } from "../_fakes/fake_deps.ts";

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

Deno.test("an unknown flag or command is a usage error (exit 2) that points at --help", async () => {
  await withTempDir(async (dir) => {
    for (
      const argv of [["auth", "status", "--bogus"], ["nope"], ["auth", "status", "-o", "xml"]]
    ) {
      const deps = makeDeps({ configDir: dir });
      assert.equal(await runCli(argv, deps), 2, argv.join(" "));
      assert.match(deps.err.text, /pup --help/);
    }
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
      n.path.join(" ") === "auth status" && n.flags.includes("--site") && n.flags.includes("-o")
    ),
  );
  for (const shell of ["bash", "zsh", "fish"] as const) {
    const script = renderCompletions(shell, nodes);
    assert.match(script, /status/, shell);
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
