/**
 * `deno task mutants`: applies a fixed list of single-point mutations to the product's code, one
 * at a time, and runs the unit tests that should catch each. A mutation the tests do not fail on
 * "survives" and is reported; the target is 0 survivors. Each mutation names the rule it breaks,
 * so a survivor says which rule has no test.
 *
 * Works on a copy of the tree in a temp dir, so the checkout is never touched. Every `find`
 * text must occur exactly once in its file (a list that no longer matches the code fails loudly,
 * rather than silently testing nothing). Only unit tests: no mutant may need a timing-dependent
 * end-to-end run to be killed.
 *
 *   deno task mutants            # all
 *   deno task mutants trust      # those whose name contains "trust"
 *
 * @module
 */

import { type Mutant, MUTANTS } from "./mutants/list.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const DENO = Deno.execPath();
const COPY = ["lib", "tests", "scripts", "main.ts", "deno.json", "deno.lock"];

async function copyTree(to: string): Promise<void> {
  for (const name of COPY) {
    const res = await new Deno.Command("cp", { args: ["-a", `${ROOT}${name}`, `${to}/`] }).output();
    if (!res.success) {
      throw new Error(`cannot copy ${name}: ${new TextDecoder().decode(res.stderr)}`);
    }
  }
}

async function runTests(dir: string, tests: readonly string[]): Promise<boolean> {
  const res = await new Deno.Command(DENO, {
    args: ["test", "-P=test", "--quiet", "--no-check", ...tests],
    cwd: dir,
    stdout: "null",
    stderr: "null",
    env: { NO_COLOR: "1" },
  }).output();
  return res.success;
}

async function applyOnce(dir: string, m: Mutant): Promise<string> {
  const path = `${dir}/${m.file}`;
  const original = await Deno.readTextFile(path);
  const count = original.split(m.find).length - 1;
  if (count !== 1) {
    throw new Error(`mutant "${m.name}": the text to change occurs ${count} times in ${m.file}`);
  }
  await Deno.writeTextFile(path, original.replace(m.find, m.replace));
  return original;
}

if (import.meta.main) {
  const filter = Deno.args[0] ?? "";
  const chosen = MUTANTS.filter((m) => m.name.includes(filter));
  const dir = await Deno.makeTempDir({ prefix: "pup-mutants-" });
  try {
    await copyTree(dir);
    const allTests = [...new Set(chosen.flatMap((m) => m.tests))];
    if (!(await runTests(dir, allTests))) {
      throw new Error(`the unmutated code fails its tests (${allTests.join(" ")}): fix them first`);
    }
    const survivors: Mutant[] = [];
    for (const m of chosen) {
      const original = await applyOnce(dir, m);
      const killed = !(await runTests(dir, m.tests));
      await Deno.writeTextFile(`${dir}/${m.file}`, original);
      const line = `${killed ? "killed  " : "SURVIVED"} ${m.name}`;
      // deno-lint-ignore no-console
      console.log(line);
      if (!killed) survivors.push(m);
    }
    // deno-lint-ignore no-console
    console.log(`${chosen.length - survivors.length} killed, ${survivors.length} survived`);
    if (survivors.length > 0) Deno.exitCode = 1;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
