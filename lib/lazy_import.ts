/**
 * Loads one of pup's own modules on first use, and only then.
 *
 * `deno run` reads every module a literal `import("./x.ts")` names before the first line runs
 * (its module graph follows them), so literal dynamic imports defer evaluation but not loading:
 * with them every command paid for all of pup's ~110 modules, about 9 ms of each start-up
 * (docs/architecture.md, "Start-up"). A specifier built at run time is not followed, so the
 * start graph holds only what the command line needs. npm packages keep literal imports: the
 * compiled binary embeds the npm packages its graph names (`--exclude-unused-npm`), and
 * `deno task compile` embeds every module of lib/ with `--include lib`.
 *
 * @module
 */

/**
 * Imports `specifier`, resolved against `base` (pass `import.meta.url`). Name the same path in
 * the type argument, `lazyImport<typeof import("./x.ts")>("./x.ts", import.meta.url)`; a test
 * checks the two agree in every call.
 *
 * @param specifier a relative path to a module of pup
 * @param base the importing module's URL
 * @returns the module's namespace
 */
export function lazyImport<M>(specifier: string, base: string): Promise<M> {
  return import(new URL(specifier, base).href) as Promise<M>;
}
