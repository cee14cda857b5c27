/**
 * The Linux Secret Service backend through `secret-tool` (libsecret), writing exactly the item
 * keyring-rs 3.6.3 writes, so this pup and the Rust `pup` update one item (SPEC §6.2 Linux;
 * ref §0.1; facts: secure-store-tools.md, Linux table; env-recipe.md §4).
 *
 * - New items get keyring-rs's attributes `service pup username <acct> target default
 *   application rust-keyring` and label `<acct>@pup:default (keyring v3.6.3)`.
 * - Reads follow keyring-rs: by `target`+`service`+`username`, else by `service`+`username`
 *   (a legacy item). One process in the common case: `secret-tool search --all service pup
 *   username <acct>` finds every candidate with its secret; only two or more candidates need a
 *   second, targeted search. Two matches for keyring-rs are "ambiguous": we fail, naming them,
 *   and write nothing (`lookup` would silently pick one).
 * - Writes update the one matching item in place by storing with that item's own attributes
 *   (gnome-keyring replaces an item whose attributes include all the given ones), so a legacy
 *   or foreign-attribute item stays one item, as keyring-rs's `set_password` would leave it.
 *   Values of 8192 bytes or more are refused: `secret-tool store` keeps 8192 bytes and exits 0.
 *   Every write is read back.
 * - "No Secret Service" (no bus, no provider) is a `StoreAbsentError`, so auto-detection falls
 *   back; "locked" and "ambiguous" are reported, never skipped.
 * Limits: `search` output does not say which collection an item is in, so an update stores into
 * the default collection (where keyring-rs creates items); the secret is parsed from `search`
 * output, exact for any value that does not contain a line starting with `created = `.
 *
 * @module
 */

import type { CommandResult, CommandRunner } from "../deps.ts";
import { StorageUnavailableError } from "../errors.ts";
import {
  DEFAULT_TOOL_TIMEOUT_MS,
  firstLine,
  runTool,
  StoreAbsentError,
  type ToolSpec,
  utf8Length,
} from "./run_tool.ts";
import { type SecretStore, SERVICE } from "./secret_store.ts";

/** The program looked up on PATH when `PUP_SECRET_TOOL_BIN` is not set. */
export const DEFAULT_SECRET_TOOL = "secret-tool";

/** `secret-tool store` reads at most this many bytes of stdin; a value must stay below it. */
export const SECRET_TOOL_MAX_BYTES = 8192;

const ABSENT_PATTERNS = [
  "Cannot autolaunch D-Bus",
  "Could not connect",
  "The given address is empty",
  "org.freedesktop.secrets",
  "Object does not exist at path",
];

/** The attributes keyring-rs 3.6.3 gives a new item, in `secret-tool` argument order. */
export function keyringRsAttributes(account: string): Array<[string, string]> {
  return [["service", SERVICE], ["username", account], ["target", "default"], [
    "application",
    "rust-keyring",
  ]];
}

/** The label keyring-rs 3.6.3 gives a new item. */
export function keyringRsLabel(account: string): string {
  return `${account}@${SERVICE}:default (keyring v3.6.3)`;
}

/** One item as `secret-tool search --all` prints it. */
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
export function parseSearchOutput(stdout: string): SearchItem[] | undefined {
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
export function parseSearchAttributes(stderr: string): Array<[string, string]> {
  const attrs: Array<[string, string]> = [];
  for (const line of stderr.split("\n")) {
    const m = /^attribute\.(\S+) = (.*)$/.exec(line);
    if (m) attrs.push([m[1], m[2]]);
  }
  return attrs;
}

/** Options of `SecretService`. */
export interface SecretServiceOptions {
  /** Runs the tool (`deps.runner`). */
  runner: CommandRunner;
  /** `PUP_SECRET_TOOL_BIN`, else `secret-tool` on PATH. */
  secretTool?: string;
  /** Per-call timeout; 10 s by default. */
  timeoutMs?: number;
}

interface Match {
  item: SearchItem;
  /** The item's attributes, known when it was the only result of its search. */
  attributes: Array<[string, string]>;
  /** What `search` said on stderr besides attributes (e.g. why a secret is missing). */
  complaint: string;
}

/** A `SecretStore` over the freedesktop Secret Service. */
export class SecretService implements SecretStore {
  /** Backend name reported by `auth status`. */
  readonly name = "secret-service";
  /** Where the values live, for humans. */
  readonly location = "OS keychain (Secret Service)";
  readonly #tool: ToolSpec;

  /**
   * Builds the backend; runs nothing until the first call.
   *
   * @param opts the runner, tool path and timeout
   */
  constructor(opts: SecretServiceOptions) {
    this.#tool = {
      runner: opts.runner,
      tool: opts.secretTool ?? DEFAULT_SECRET_TOOL,
      timeoutMs: opts.timeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS,
      installHint: "install it ('apt-get install libsecret-tools') or set PUP_SECRET_TOOL_BIN",
      hangHint: "the Secret Service (e.g. gnome-keyring) may be waiting for an unlock prompt",
    };
  }

  /**
   * Reads the value stored for `account`.
   *
   * @param account e.g. `state_datadoghq_com`
   * @returns the value, or `undefined` when no item matches
   */
  async get(account: string): Promise<string | undefined> {
    const match = await this.#find(account);
    if (!match) return undefined;
    if (match.item.secret === undefined) {
      if (/locked/i.test(match.complaint)) throw this.#locked(account);
      throw new StorageUnavailableError(
        `Reading ${
          this.describe(account)
        } failed: the Secret Service listed it without its secret (${
          firstLine(match.complaint) || "no reason given"
        }); check your keyring, or use DD_TOKEN_STORAGE=file`,
      );
    }
    return match.item.secret;
  }

  /**
   * Updates the one matching item in place, or creates keyring-rs's item; then reads it back.
   *
   * @param account e.g. `state_datadoghq_com`
   * @param value text below 8192 UTF-8 bytes
   */
  async set(account: string, value: string): Promise<void> {
    const bytes = utf8Length(value);
    if (bytes >= SECRET_TOOL_MAX_BYTES) {
      throw new StorageUnavailableError(
        `The value for ${
          this.describe(account)
        } is ${bytes} bytes; 'secret-tool store' keeps only the first ${SECRET_TOOL_MAX_BYTES} (8 KiB), so nothing was written. Use DD_TOKEN_STORAGE=file`,
      );
    }
    const match = await this.#find(account);
    const attrs = match ? match.attributes : keyringRsAttributes(account);
    const label = match ? match.item.label : keyringRsLabel(account);
    const out = await runTool(
      this.#tool,
      "store",
      ["store", `--label=${label}`, ...attrs.flat()],
      value,
    );
    if (out.code !== 0 || out.stderr.includes("password is too long")) {
      throw this.#failure("Writing", account, out);
    }
    const back = await this.get(account);
    if (back !== value) {
      throw new StorageUnavailableError(
        `Writing ${this.describe(account)} could not be verified: the value read back ${
          back === undefined ? "is missing" : "differs"
        }; run the command again, or use DD_TOKEN_STORAGE=file`,
      );
    }
  }

  /**
   * Removes the one matching item (never several: two matches are an error).
   *
   * @param account e.g. `state_datadoghq_com`
   * @returns `false` when no item matched
   */
  async delete(account: string): Promise<boolean> {
    const match = await this.#find(account);
    if (!match) return false;
    const out = await runTool(this.#tool, "clear", ["clear", ...match.attributes.flat()]);
    if (out.code !== 0) {
      if (/locked/i.test(match.complaint)) throw this.#locked(account);
      throw this.#failure("Deleting", account, out);
    }
    if (await this.#find(account)) {
      throw new StorageUnavailableError(
        `${this.describe(account)} is still there after 'secret-tool clear'; remove it by hand (${
          this.removalHint(account)
        })`,
      );
    }
    return true;
  }

  /** How messages name the item of `account`. */
  describe(account: string): string {
    return `Secret Service item "${SERVICE}/${account}"`;
  }

  /** How a user removes the item by hand. */
  removalHint(account: string): string {
    return `secret-tool clear service ${SERVICE} username ${account}`;
  }

  /** The one item keyring-rs would use for `account`, or `undefined`; throws when ambiguous. */
  async #find(account: string): Promise<Match | undefined> {
    const all = await this.#search(account, ["service", SERVICE, "username", account]);
    if (all.items.length <= 1) {
      return all.items[0] &&
        { item: all.items[0], attributes: all.attributes, complaint: all.complaint };
    }
    const targeted = await this.#search(account, [
      "target",
      "default",
      "service",
      SERVICE,
      "username",
      account,
    ]);
    if (targeted.items.length === 1) {
      return {
        item: targeted.items[0],
        attributes: targeted.attributes,
        complaint: targeted.complaint,
      };
    }
    const names = all.items.map((it) => `[${it.path}] "${it.label}"`).join(", ");
    throw new StorageUnavailableError(
      `Found ${all.items.length} Secret Service items for "${SERVICE}/${account}" (${names}); pup cannot tell which one holds your session and changed none of them. List them with 'secret-tool search --all service ${SERVICE} username ${account}', remove the extra ones, or use DD_TOKEN_STORAGE=file`,
    );
  }

  async #search(account: string, attrs: string[]) {
    const out = await runTool(this.#tool, "search", ["search", "--all", ...attrs]);
    if (out.code !== 0) throw this.#failure("Reading", account, out);
    const items = parseSearchOutput(out.stdout);
    if (items === undefined) {
      throw new StorageUnavailableError(
        `Cannot understand what 'secret-tool search' printed for ${
          this.describe(account)
        }; inspect it with 'secret-tool search --all service ${SERVICE} username ${account}', or use DD_TOKEN_STORAGE=file`,
      );
    }
    const attributes = items.length === 1 ? parseSearchAttributes(out.stderr) : [];
    if (items.length === 1 && attributes.length === 0) {
      throw new StorageUnavailableError(
        `'secret-tool search' did not list the attributes of ${
          this.describe(account)
        }; check the installed libsecret-tools, or use DD_TOKEN_STORAGE=file`,
      );
    }
    const complaint = out.stderr.split("\n").filter((l) => l !== "" && !l.startsWith("attribute."))
      .join("\n");
    return { items, attributes, complaint };
  }

  #locked(account: string): StorageUnavailableError {
    return new StorageUnavailableError(
      `The Secret Service collection holding ${
        this.describe(account)
      } is locked: unlock it (log in to your desktop session, or run 'gnome-keyring-daemon --unlock' and type the keyring password), or use DD_TOKEN_STORAGE=file`,
    );
  }

  #failure(what: string, account: string, out: CommandResult): StorageUnavailableError {
    const detail = firstLine(out.stderr);
    if (ABSENT_PATTERNS.some((p) => out.stderr.includes(p))) {
      return new StoreAbsentError(
        `No Secret Service is available ("${this.#tool.tool}" exit code ${out.code}: ${detail}); start one (e.g. gnome-keyring in your desktop session), or use DD_TOKEN_STORAGE=file`,
      );
    }
    if (/locked/i.test(out.stderr)) return this.#locked(account);
    return new StorageUnavailableError(
      `${what} ${this.describe(account)} failed: "${this.#tool.tool}" exited with code ${out.code}${
        detail ? ` (${detail})` : ""
      }; check your keyring, or use DD_TOKEN_STORAGE=file`,
    );
  }
}
