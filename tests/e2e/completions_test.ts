/**
 * The completion scripts, loaded into the real shells (issue 15): bash offers the values a flag
 * takes (`pup auth login --site <TAB>`), the stored org names (`pup --org <TAB>`, asked of
 * `pup completions orgs`), commands after global flags; zsh and fish parse their scripts.
 *
 * @module
 */

import assert from "node:assert/strict";
import { KNOWN_SITES } from "../../lib/config/site.ts";
import { PUP, runPup, withConfigDir } from "./_helpers.ts";

async function shellExists(name: string): Promise<boolean> {
  try {
    return (await new Deno.Command(name, { args: ["-c", "true"] }).output()).success;
  } catch {
    return false;
  }
}

/** COMPREPLY of the bash script for the words typed so far (the last one being completed). */
async function bashComplete(script: string, words: string[], env: Record<string, string>) {
  const dir = await Deno.makeTempDir({ prefix: "pup-compl-" });
  try {
    await Deno.writeTextFile(`${dir}/pup.bash`, script);
    // `pup` on PATH, as it is for the user, so the script can ask it for org names.
    await Deno.mkdir(`${dir}/bin`);
    await Deno.writeTextFile(`${dir}/bin/pup`, `#!/bin/sh\nexec ${PUP} "$@"\n`, { mode: 0o755 });
    const line = words.map((w) => `'${w}'`).join(" ");
    const out = await new Deno.Command("bash", {
      args: [
        "-c",
        `source ${dir}/pup.bash; COMP_WORDS=(${line}); COMP_CWORD=${
          words.length - 1
        }; _pup_complete; printf '%s\\n' "\${COMPREPLY[@]}"`,
      ],
      env: { ...env, PATH: `${dir}/bin:${Deno.env.get("PATH")}` },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    return new TextDecoder().decode(out.stdout).split("\n").filter((l) => l !== "").sort();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("bash completes flag values, stored org names and commands after global flags", async () => {
  await withConfigDir(async (dir) => {
    await Deno.writeTextFile(
      `${dir}/sessions.json`,
      JSON.stringify([
        { site: "datadoghq.com", org: "prod-child" },
        { site: "datadoghq.eu", org: "eu-team" },
        { site: "datadoghq.com", org: null },
      ]),
    );
    const env = { PUP_CONFIG_DIR: dir, DD_TOKEN_STORAGE: "file" };
    const script = (await runPup(["completions", "bash"], env)).stdout;
    assert.deepEqual(
      await bashComplete(script, ["pup", "auth", "login", "--site", ""], env),
      [...KNOWN_SITES].sort(),
    );
    assert.deepEqual(await bashComplete(script, ["pup", "--org", ""], env), [
      "eu-team",
      "prod-child",
    ]);
    assert.deepEqual(await bashComplete(script, ["pup", "--org", "prod-child", "au"], env), [
      "auth",
    ]);
    assert.deepEqual(await bashComplete(script, ["pup", "auth", "status", "-o", "y"], env), [
      "yaml",
    ]);
    assert.deepEqual(await bashComplete(script, ["pup", "completions", "z"], env), ["zsh"]);
    const login = await bashComplete(script, ["pup", "auth", "login", "--callback-port", ""], env);
    assert.deepEqual(login, ["8000", "8080", "8888", "9000"]);
    assert.ok((await bashComplete(script, ["pup", "auth", ""], env)).includes("switch"));
  });
});

Deno.test("the zsh and fish scripts are native and parse in their shells, with descriptions", async (t) => {
  for (const shell of ["zsh", "fish"]) {
    await t.step({
      name: shell,
      ignore: !(await shellExists(shell)),
      fn: async () => {
        const script = (await runPup(["completions", shell], { DD_TOKEN_STORAGE: "file" })).stdout;
        assert.doesNotMatch(script, /bashcompinit/, "not bash's script under zsh");
        assert.match(script, /Log in, inspect and manage sessions/, "commands have descriptions");
        const path = await Deno.makeTempFile({ suffix: `.${shell}` });
        try {
          await Deno.writeTextFile(path, script);
          const out = await new Deno.Command(shell, { args: ["-n", path], stderr: "piped" })
            .output();
          assert.ok(out.success, new TextDecoder().decode(out.stderr));
        } finally {
          await Deno.remove(path);
        }
      },
    });
  }
});
