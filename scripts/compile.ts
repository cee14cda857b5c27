/**
 * `deno task compile [target...]`: builds the self-contained `pup` executables into dist/ with
 * exactly the "pup" permission set of deno.json. Needs the network once per target to download
 * Deno's `denort` runtime (or DENORT_BIN pointing at one).
 *
 * Targets: linux-x64, linux-arm64, macos-x64, macos-arm64, windows-x64 (default: all).
 *
 * @module
 */

/** Our target names → Deno's target triples. */
export const TARGETS: Record<string, string> = {
  "linux-x64": "x86_64-unknown-linux-gnu",
  "linux-arm64": "aarch64-unknown-linux-gnu",
  "macos-x64": "x86_64-apple-darwin",
  "macos-arm64": "aarch64-apple-darwin",
  "windows-x64": "x86_64-pc-windows-msvc",
};

/**
 * The `deno compile` arguments for one target.
 *
 * @param name a key of TARGETS
 * @param output the executable path to write
 */
export function compileArgs(name: string, output: string): string[] {
  const triple = TARGETS[name];
  if (!triple) {
    throw new RangeError(
      `Unknown target "${name}": choose one of ${Object.keys(TARGETS).join(", ")}`,
    );
  }
  return [
    "compile",
    "--quiet",
    "--no-prompt",
    "-P=pup",
    // fast-check and @napi-rs/keyring are test-only imports: keep them out of the binary.
    "--exclude-unused-npm",
    // Modules loaded on first use (lib/lazy_import.ts) are not in main.ts's static graph: embed
    // every module of lib/ (Deno analyzes an included directory's modules and their imports).
    "--include",
    "lib",
    "--target",
    triple,
    "--output",
    output,
    "main.ts",
  ];
}

if (import.meta.main) {
  const root = new URL("..", import.meta.url).pathname;
  const names = Deno.args.length > 0 ? Deno.args : Object.keys(TARGETS);
  let failed = 0;
  for (const name of names) {
    const output = `dist/pup-${name}${name.startsWith("windows") ? ".exe" : ""}`;
    const out = await new Deno.Command(Deno.execPath(), {
      args: compileArgs(name, output),
      cwd: root,
    }).output();
    const line = out.success ? `built ${output}\n` : `failed ${name} (exit ${out.code})\n`;
    await Deno.stderr.write(new TextEncoder().encode(line));
    if (!out.success) failed++;
  }
  Deno.exit(failed === 0 ? 0 : 1);
}
