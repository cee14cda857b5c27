/**
 * Builds the stand-in OS libraries of `tests/_fakes/native/*.c` with the system `cc`, so the
 * macOS and Windows backends run their real `Deno.dlopen` code on Linux against a library that
 * exports the same functions, return codes and limits as the OS (SPEC §7). Only the OS is
 * stood in for: the product code above the C functions is the code users run.
 *
 * Each library is built once per source content into `tests/_fakes/native/.build/` (ignored by
 * git), written to a temp name and renamed, so parallel test files never see a half-written
 * library. `scripts/test` builds them all first (`deno run -P=test tests/_fakes/native/standin.ts`).
 *
 * @module
 */

const HERE = new URL(".", import.meta.url).pathname;

/** The stand-ins there are: the C file `<name>.c` beside this module. */
export type StandinName = "security_framework" | "advapi32";

/**
 * Returns the path of the stand-in library `name`, building it when its source changed.
 *
 * @param name which stand-in
 * @returns an absolute path to a `.so` for `PUP_*_LIB`
 * @throws Error with cc's output when the build fails
 */
export async function standinLibrary(name: StandinName): Promise<string> {
  const source = `${HERE}${name}.c`;
  const text = await Deno.readFile(source);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", text)).toHex().slice(0, 16);
  const dir = `${HERE}.build`;
  const out = `${dir}/lib${name}-${digest}.so`;
  try {
    await Deno.stat(out);
    return out;
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  await Deno.mkdir(dir, { recursive: true });
  const tmp = `${out}.${crypto.randomUUID()}.tmp`;
  const cc = Deno.env.get("CC") || "cc";
  const res = await new Deno.Command(cc, {
    args: [
      "-std=c11",
      "-Wall",
      "-Wextra",
      "-Werror",
      "-O1",
      "-g",
      "-shared",
      "-fPIC",
      "-o",
      tmp,
      source,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!res.success) {
    await Deno.remove(tmp).catch(() => {});
    throw new Error(`Building ${source} failed:\n${new TextDecoder().decode(res.stderr)}`);
  }
  await Deno.rename(tmp, out);
  return out;
}

if (import.meta.main) {
  for (const name of ["security_framework", "advapi32"] as const) {
    try {
      await Deno.stat(`${HERE}${name}.c`);
    } catch {
      continue;
    }
    // deno-lint-ignore no-console
    console.log(await standinLibrary(name));
  }
}
