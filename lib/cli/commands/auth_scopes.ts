/**
 * `pup auth scopes`: the OAuth scopes the resolved session holds (local only), set against what
 * pup's own commands need, and the one command that adds what is missing (`--extra-scopes` on
 * a login of that org keeps every scope it has). Missing-scope 403s and `invalid_scope` are the
 * Rust pup's most reported pain; this shows the gap before a call fails.
 *
 * @module
 */

import { loginCommand } from "../../api/credentials.ts";
import { scopeFor } from "../../api/endpoint_scopes.ts";
import type { Deps } from "../../deps.ts";
import { AuthRequiredError } from "../../errors.ts";
import { orgKey } from "../../storage/codec.ts";
import type { GlobalFlags, PupContext } from "../context.ts";
import { type OutputOptions, outputOptions, renderTable, wantsData, writeData } from "../output.ts";
import { loadSetup } from "../setup.ts";

/** The call each of pup's data commands makes; its scope comes from one table (endpoint_scopes). */
const COMMAND_CALLS: Readonly<Record<string, readonly [string, string]>> = {
  "monitors list": ["GET", "/api/v1/monitor"],
  "monitors get": ["GET", "/api/v1/monitor/1"],
  "logs query": ["POST", "/api/v2/logs/events/search"],
  "metrics query": ["GET", "/api/v1/query"],
};

/** The scopes each of pup's data commands needs. */
export const COMMAND_SCOPES: Readonly<Record<string, readonly string[]>> = Object.fromEntries(
  Object.entries(COMMAND_CALLS).map(([command, [method, path]]) => [
    command,
    [scopeFor(method, path)!],
  ]),
);

/** Flags of `auth scopes`. */
export interface AuthScopesFlags extends GlobalFlags {
  readonly site?: string;
}

/** Options of `auth scopes`. */
export interface AuthScopesOptions extends OutputOptions {
  org?: string;
  site?: string;
}

/** Flags → options (pure). */
export function parseAuthScopesArgs(flags: AuthScopesFlags): AuthScopesOptions {
  return { org: flags.org, site: flags.site, ...outputOptions(flags) };
}

/**
 * Prints the session's scopes and what each command needs.
 *
 * @param opts org, site and output options
 * @param deps the seams
 * @returns 0; no session throws `AuthRequiredError` (exit 3)
 */
export async function runAuthScopes(opts: AuthScopesOptions, deps: Deps): Promise<number> {
  const setup = await loadSetup(deps, { org: opts.org, site: opts.site });
  const { site, org } = setup.resolved;
  const tokens = (await (await setup.store()).read(site)).tokens[orgKey(org)];
  if (!tokens) {
    throw new AuthRequiredError(
      `No session for "${site}"${org ? ` (org "${org}")` : ""}: run '${
        loginCommand({ site, org })
      }' first`,
    );
  }
  const scopes = tokens.scope.split(/\s+/).filter((s) => s !== "").sort();
  const held = new Set(scopes);
  const commands = Object.entries(COMMAND_SCOPES).map(([command, needs]) => ({
    command: `pup ${command}`,
    needs: [...needs],
    missing: needs.filter((s) => !held.has(s)),
  }));
  const missing = [...new Set(commands.flatMap((c) => c.missing))].sort();
  const add = missing.length
    ? `${loginCommand({ site, org })} --extra-scopes ${missing.join(",")}`
    : undefined;
  const report = { site, org, scopes, commands, ...(add ? { add_missing: add } : {}) };
  if (wantsData(opts, deps.env, deps.io, setup.config.output)) {
    await writeData(deps.io, report, opts, deps.env, setup.config.output);
    return 0;
  }
  deps.io.out.write(
    `${scopes.length} scope(s) on ${site}${org ? ` (org ${org})` : ""}:\n  ${
      scopes.join("\n  ")
    }\n\n`,
  );
  deps.io.out.write(renderTable(
    ["COMMAND", "NEEDS", "OK"],
    commands.map((c) => [c.command, c.needs.join(","), c.missing.length ? "✗ missing" : "✓"]),
  ));
  if (add) deps.io.out.write(`\nAdd what is missing, keeping the rest: ${add}\n`);
  return 0;
}

/** The stricli entry point. */
export default async function authScopes(this: PupContext, flags: AuthScopesFlags) {
  this.exitCode = await runAuthScopes(parseAuthScopesArgs(flags), this.deps);
}
