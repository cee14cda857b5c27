/**
 * `pup auth switch --org <name>` / `--default`: makes a stored named session (or the unnamed
 * one) the default for later commands, by writing `org:` in config.yaml (or removing it), as
 * GitHub CLI's `gh auth switch` changes the active account. Comments and other keys of the file
 * are kept; the file is replaced atomically with mode 0600. `DD_ORG` and `--org` still win.
 *
 * @module
 */

import { configYamlCandidates } from "../../config/config_dir.ts";
import type { Deps } from "../../deps.ts";
import { UsageError } from "../../errors.ts";
import { atomicWrite } from "../../storage/atomic_write.ts";
import { ensurePrivateDir } from "../../storage/private_dir.ts";
import type { GlobalFlags, PupContext } from "../context.ts";
import { type OutputOptions, outputOptions, wantsData, writeData } from "../output.ts";
import { loadSetup } from "../setup.ts";

/** Flags of `auth switch`. */
export interface AuthSwitchFlags extends GlobalFlags {
  readonly default?: boolean;
}

/** Options of `auth switch`: the org to make the default, or `null` for the unnamed session. */
export interface AuthSwitchOptions extends OutputOptions {
  org: string | null;
}

/**
 * Flags → options (pure).
 *
 * @throws {UsageError} without `--org` or `--default`, or with both
 */
export function parseAuthSwitchArgs(flags: AuthSwitchFlags): AuthSwitchOptions {
  if ((flags.org === undefined) === (flags.default !== true)) {
    throw new UsageError(
      "Tell pup which session to make the default: 'pup auth switch --org <name>', or 'pup auth switch --default' for the unnamed one ('pup auth list' shows them)",
    );
  }
  return { org: flags.default ? null : flags.org!, ...outputOptions(flags) };
}

/**
 * Writes the default org into config.yaml.
 *
 * @param opts the org (or `null`) and the output options
 * @param deps the seams
 * @returns 0
 * @throws {UsageError} when no stored session has that org name
 */
export async function runAuthSwitch(opts: AuthSwitchOptions, deps: Deps): Promise<number> {
  const setup = await loadSetup(deps, {});
  const rows = setup.rows.filter((r) => r.org === opts.org);
  if (rows.length === 0) {
    const names = [...new Set(setup.rows.map((r) => r.org ?? "(default)"))].join(", ");
    throw new UsageError(
      `No stored session is named ${opts.org === null ? "(default)" : `"${opts.org}"`}${
        names ? ` (stored: ${names})` : ""
      }: log in to it first with 'pup auth login${opts.org ? ` --org ${opts.org}` : ""}'`,
    );
  }
  const path = setup.config.path ?? configYamlCandidates(deps.env, deps.os, deps.configDir)[0];
  let text = "";
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  const { parseDocument } = await import("yaml");
  const doc = parseDocument(text);
  if (opts.org === null) doc.delete("org");
  else doc.set("org", opts.org);
  await ensurePrivateDir(deps.configDir);
  await atomicWrite(path, doc.contents === null ? "" : String(doc));
  const report = { default_org: opts.org, sites: rows.map((r) => r.site), config: path };
  if (wantsData(opts, deps.env, deps.io, setup.config.output)) {
    await writeData(deps.io, report, opts, deps.env, setup.config.output);
  } else {
    deps.io.out.write(
      `✓ Commands now use ${
        opts.org === null ? "the default session" : `the session "${opts.org}"`
      } unless --org or DD_ORG says otherwise (written to ${path})\n`,
    );
  }
  if (deps.env.DD_ORG) {
    deps.io.err.write(
      `Warning: DD_ORG is set to "${deps.env.DD_ORG}" and still wins in this shell; unset it to use the new default\n`,
    );
  }
  return 0;
}

/** The stricli entry point. */
export default async function authSwitch(this: PupContext, flags: AuthSwitchFlags) {
  this.exitCode = await runAuthSwitch(parseAuthSwitchArgs(flags), this.deps);
}
