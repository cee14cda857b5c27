/**
 * The TypeScript modules below a directory, for tests that check every module of `lib/` (what
 * the compiled binary embeds, how modules are imported).
 *
 * @module
 */

/**
 * Every `.ts` file below `dir`, depth first.
 *
 * @param dir a directory URL ending in `/`
 * @returns the files' URLs
 */
export async function* tsModules(dir: URL): AsyncGenerator<URL> {
  for await (const e of Deno.readDir(dir)) {
    if (e.isDirectory) yield* tsModules(new URL(`${e.name}/`, dir));
    else if (e.name.endsWith(".ts")) yield new URL(e.name, dir);
  }
}
