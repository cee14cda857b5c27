/**
 * An independent look into the Secret Service for tests: what `secret-tool` (libsecret-tools,
 * a separate program from pup) lists for an account, and raw `secret-tool store`/`clear` to
 * make the items other programs leave behind. pup itself no longer runs `secret-tool`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { createCommandRunner } from "../../lib/platform/command_runner.ts";

export interface SearchItem {
  /** The header, e.g. `/1` (the object path below its collection). */
  path: string;
  /** The item's label. */
  label: string;
  /** Absent when the item is locked. */
  secret?: string;
}

/**
 * Parses `secret-tool search --all` stdout (libsecret's `on_retrieve_secret`): per item a
 * `[/<id>]` header, `label = `, `secret = ` and the raw value (absent when it could not be
 * retrieved, e.g. locked), `created = `, `modified = `, and `schema = ` when the item has one.
 *
 * @param stdout the tool's stdout
 * @returns the items, or `undefined` when the output has another shape
 */
function parseSearchOutput(stdout: string): SearchItem[] | undefined {
  const lines = stdout.split("\n");
  if (lines.at(-1) === "") lines.pop();
  const isHeader = (line: string | undefined) => line !== undefined && /^\[.*\]$/.test(line);
  /** Where the item ends if its dates start at line `k`, else -1. */
  const tailEnd = (k: number) => {
    if (!/^created = /.test(lines[k] ?? "") || !/^modified = /.test(lines[k + 1] ?? "")) return -1;
    const j = /^schema = /.test(lines[k + 2] ?? "") ? k + 3 : k + 2;
    return j === lines.length || isHeader(lines[j]) ? j : -1;
  };
  const items: SearchItem[] = [];
  let i = 0;
  while (i < lines.length) {
    const header = /^\[(.*)\]$/.exec(lines[i]);
    const label = /^label = (.*)$/.exec(lines[i + 1] ?? "");
    if (!header || !label) return undefined;
    const item: SearchItem = { path: header[1], label: label[1] };
    i += 2;
    if (lines[i]?.startsWith("secret = ")) {
      // The value is printed raw: it may span lines, up to the dates that close the item.
      let k = i + 1;
      while (k < lines.length && tailEnd(k) < 0) k++;
      if (k === lines.length) return undefined;
      item.secret = [lines[i].slice("secret = ".length), ...lines.slice(i + 1, k)].join("\n");
      i = k;
    }
    const end = tailEnd(i);
    if (end < 0) return undefined;
    i = end;
    items.push(item);
  }
  return items;
}

/** Parses the `attribute.<name> = <value>` lines `search` prints on stderr. */
function parseSearchAttributes(stderr: string): Array<[string, string]> {
  const attrs: Array<[string, string]> = [];
  for (const line of stderr.split("\n")) {
    const m = /^attribute\.(\S+) = (.*)$/.exec(line);
    if (m) attrs.push([m[1], m[2]]);
  }
  return attrs;
}

/** The items `secret-tool` sees for `account`: their count and, for one, its attributes. */
export async function inspectItems(account: string, env?: Record<string, string>) {
  const out = await createCommandRunner().run(
    "secret-tool",
    ["search", "--all", "service", "pup", "username", account],
    { env },
  );
  const items = parseSearchOutput(out.stdout) ?? [];
  return {
    count: items.length,
    items,
    attributes: Object.fromEntries(parseSearchAttributes(out.stderr)),
  };
}

/** Stores an item the way another program would, with `secret-tool store`. */
export async function storeItem(
  account: string,
  label: string,
  value: string,
  extra: string[] = [],
  env?: Record<string, string>,
): Promise<void> {
  const out = await createCommandRunner().run(
    "secret-tool",
    ["store", `--label=${label}`, "service", "pup", "username", account, ...extra],
    { stdin: value, env },
  );
  assert.equal(out.code, 0, out.stderr);
}

/** Removes every item of `account`. */
export async function clearItems(account: string): Promise<void> {
  await createCommandRunner().run("secret-tool", ["clear", "service", "pup", "username", account]);
}
