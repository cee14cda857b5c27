/**
 * An emulator of macOS `/usr/bin/security`, run through `PUP_SECURITY_BIN` (the wrapper
 * `tests/_fakes/fake_security` execs this file). Each behaviour cites its row of
 * shared/reference/secure-store-tools.md, macOS table:
 * - "`security -i` input": commands read from stdin line by line; a last line without `\n` is
 *   dropped unrun; no prompt (stdin is not a tty).
 * - "line limit": lines are read as `fgets` into a 4096-byte buffer: at most 4095 bytes a
 *   read, the rest of a longer line runs as a second command.
 * - "arguments": at most 32 per line, extra ones dropped.
 * - "quoting in -i": a token may open with `"` or `'`, the same quote closes it; `\` makes the
 *   next byte literal inside and outside quotes; no `\n` translation.
 * - "results in -i": a failing command prints `<cmd>: returned <N>` (negative OSStatus) on
 *   stderr; the exit code is the last command's; command names match by prefix.
 * - "exit codes": OSStatus low 8 bits: not found −25300 → 44, interaction not allowed −25308 →
 *   36, auth failed −25293 → 51, duplicate −25299 → 45.
 * - "`add-generic-password -U -a A -s S -w P`": `-U` updates the first match or creates; without
 *   `-U` an existing item gives 45; missing `-a`/`-s` gives 2 with usage.
 * - "`-w` last with no value": would prompt on the tty; refused here so a test notices.
 * - "`find-generic-password -a A -s S -w`": value and `\n`; the whole value as lowercase hex when
 *   any byte is outside 0x20-0x7E; not found: exit 44 and the real message; a failure to read
 *   the secret prints nothing.
 * - "`delete-generic-password -a -s`": deletes the first match, `password has been deleted.` on
 *   stderr; not found: 44 with the same message.
 *
 * Environment: FAKE_SECURITY_VAULT (JSON file, required; written atomically under a lock),
 * FAKE_SECURITY_LOCKED=36|51 (every keychain access fails with that status),
 * FAKE_SECURITY_DIE_AFTER_WRITES=N (SIGKILL itself once N writes are done; 0 = before any),
 * FAKE_SECURITY_HANG=1 (never answers), FAKE_SECURITY_LOG (appends `{argv, stdin}` lines).
 *
 * @module
 */

interface Item {
  account: string;
  service: string;
  label: string;
  /** The password's bytes as hex. */
  password: string;
}

const NOT_FOUND = -25300;
const DUPLICATE = -25299;
const STATUS = { "36": -25308, "51": -25293 } as Record<string, number>;
const NOT_FOUND_MESSAGE =
  "security: SecKeychainSearchCopyNext: The specified item could not be found in the keychain.\n";
const COMMANDS = ["add-generic-password", "find-generic-password", "delete-generic-password"];

const env = Deno.env.toObject();
const vaultPath = env.FAKE_SECURITY_VAULT;
const encoder = new TextEncoder();
let writesLeft = env.FAKE_SECURITY_DIE_AFTER_WRITES === undefined
  ? Infinity
  : Number(env.FAKE_SECURITY_DIE_AFTER_WRITES);

function err(text: string): void {
  Deno.stderr.writeSync(encoder.encode(text));
}

function out(bytes: Uint8Array): void {
  let n = 0;
  while (n < bytes.length) n += Deno.stdout.writeSync(bytes.subarray(n));
}

async function withVault<T>(fn: (items: Item[]) => { items?: Item[]; value: T }): Promise<T> {
  if (!vaultPath) throw new Error("FAKE_SECURITY_VAULT is not set");
  const lock = await Deno.open(`${vaultPath}.lock`, { create: true, write: true });
  await lock.lock(true);
  try {
    let items: Item[] = [];
    try {
      items = JSON.parse(await Deno.readTextFile(vaultPath)).items;
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    const result = fn(items);
    if (result.items) {
      if (writesLeft <= 0) Deno.kill(Deno.pid, "SIGKILL");
      const tmp = `${vaultPath}.tmp-${Deno.pid}`;
      await Deno.writeTextFile(tmp, JSON.stringify({ items: result.items }, null, 1));
      await Deno.rename(tmp, vaultPath);
      writesLeft--;
      if (writesLeft <= 0) Deno.kill(Deno.pid, "SIGKILL");
    }
    return result.value;
  } finally {
    lock.close();
  }
}

/** Parses `-a A -s S -w P -U -l L`; `undefined` value for a flag given last without one. */
function flags(args: Uint8Array[]): Map<string, Uint8Array | undefined> {
  const map = new Map<string, Uint8Array | undefined>();
  const decoder = new TextDecoder();
  for (let i = 0; i < args.length; i++) {
    const a = decoder.decode(args[i]);
    if (a === "-U") map.set("-U", new Uint8Array());
    else if (/^-[aslw]$/.test(a)) map.set(a, args[++i]);
  }
  return map;
}

function hexOrText(bytes: Uint8Array): Uint8Array {
  const printable = bytes.every((b) => b >= 0x20 && b <= 0x7e);
  return printable ? bytes : encoder.encode(bytes.toHex());
}

async function command(argv: Uint8Array[]): Promise<number> {
  if (argv.length === 0) return 0;
  const name = new TextDecoder().decode(argv[0]);
  const matches = COMMANDS.filter((c) => c.startsWith(name));
  if (name === "" || matches.length !== 1) {
    err(`security: unknown command "${name}"\n`);
    return 1;
  }
  const f = flags(argv.slice(1));
  const text = (k: string) => (f.get(k) ? new TextDecoder().decode(f.get(k)) : undefined);
  const account = text("-a");
  const service = text("-s");
  const locked = STATUS[env.FAKE_SECURITY_LOCKED ?? ""];
  const same = (it: Item) =>
    (account === undefined || it.account === account) &&
    (service === undefined || it.service === service);
  switch (matches[0]) {
    case "find-generic-password":
      return await withVault((items) => {
        const item = items.find(same);
        if (!item) {
          err(NOT_FOUND_MESSAGE);
          return { value: NOT_FOUND };
        }
        if (locked) return { value: locked };
        if (f.has("-w")) {
          out(new Uint8Array([...hexOrText(Uint8Array.fromHex(item.password)), 0x0a]));
        } else out(encoder.encode(`keychain: "/Users/fake/Library/Keychains/login.keychain-db"\n`));
        return { value: 0 };
      });
    case "add-generic-password": {
      if (account === undefined || service === undefined) {
        err("usage: add-generic-password [-a account] [-s service] [-w password] [-U]\n");
        return 2;
      }
      if (f.has("-w") && f.get("-w") === undefined) {
        err("fake security: -w without a value would prompt on the terminal\n");
        return 1;
      }
      if (locked) return locked;
      const password = (f.get("-w") ?? new Uint8Array()).toHex();
      return await withVault((items) => {
        const i = items.findIndex(same);
        if (i >= 0 && !f.has("-U")) {
          err(
            "security: SecKeychainItemCreateFromContent (<default>): The specified item already exists in the keychain.\n",
          );
          return { value: DUPLICATE };
        }
        const item = { account, service, label: text("-l") ?? service, password };
        const next = i >= 0 ? items.with(i, item) : [...items, item];
        return { items: next, value: 0 };
      });
    }
    default:
      return await withVault((items) => {
        const i = items.findIndex(same);
        if (i < 0) {
          err(NOT_FOUND_MESSAGE);
          return { value: NOT_FOUND };
        }
        if (locked) return { value: locked };
        err("password has been deleted.\n");
        return { items: items.toSpliced(i, 1), value: 0 };
      });
  }
}

/** Splits one command line into tokens by the `-i` quoting rules (bytes in, bytes out). */
export function tokenize(line: Uint8Array): Uint8Array[] {
  const tokens: Uint8Array[] = [];
  let i = 0;
  const isSpace = (b: number) => b === 0x20 || b === 0x09 || b === 0x0d;
  while (i < line.length) {
    while (i < line.length && isSpace(line[i])) i++;
    if (i >= line.length) break;
    const bytes: number[] = [];
    while (i < line.length && !isSpace(line[i])) {
      const b = line[i];
      if (b === 0x22 || b === 0x27) {
        i++;
        while (i < line.length && line[i] !== b) {
          if (line[i] === 0x5c && i + 1 < line.length) i++;
          bytes.push(line[i++]);
        }
        i++;
      } else {
        if (b === 0x5c && i + 1 < line.length) i++;
        bytes.push(line[i++]);
      }
    }
    if (tokens.length < 32) tokens.push(new Uint8Array(bytes));
  }
  return tokens;
}

/** Cuts stdin as `fgets(buf, 4096)` would: pieces of at most 4095 bytes, ending at `\n`. */
export function fgetsPieces(input: Uint8Array): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  let start = 0;
  while (start < input.length) {
    const nl = input.indexOf(0x0a, start);
    const end = nl >= 0 && nl - start < 4095 ? nl + 1 : Math.min(start + 4095, input.length);
    if (end === input.length && input[end - 1] !== 0x0a && end - start < 4095) break;
    pieces.push(input.subarray(start, end));
    start = end;
  }
  return pieces;
}

async function main(): Promise<number> {
  const args = Deno.args;
  const stdin = args[0] === "-i"
    ? new Uint8Array(await new Response(Deno.stdin.readable).arrayBuffer())
    : undefined;
  if (env.FAKE_SECURITY_LOG) {
    const line = JSON.stringify({
      argv: args,
      stdin: stdin ? new TextDecoder().decode(stdin) : null,
    });
    await Deno.writeTextFile(env.FAKE_SECURITY_LOG, `${line}\n`, { append: true });
  }
  if (env.FAKE_SECURITY_HANG === "1") {
    setInterval(() => {}, 1_000_000);
    await new Promise(() => {});
  }
  const toArgv = (list: string[]) => list.map((a) => encoder.encode(a));
  if (stdin === undefined) return (await command(toArgv(args))) & 0xff;
  let last = 0;
  for (const piece of fgetsPieces(stdin)) {
    const line = piece.at(-1) === 0x0a ? piece.subarray(0, -1) : piece;
    const argv = tokenize(line);
    if (argv.length === 0) continue;
    last = await command(argv);
    if (last !== 0) err(`${new TextDecoder().decode(argv[0])}: returned ${last}\n`);
  }
  return last & 0xff;
}

if (import.meta.main) {
  Deno.exitCode = await main();
}
