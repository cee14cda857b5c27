/**
 * Reads and writes the store file of the advapi32 stand-in (`advapi32.c`, `PUP_STANDIN_STORE`),
 * so tests can inspect the records pup wrote and plant records as the Rust `pup` would.
 * Format: one record a line, `target type user comment alias persist lastwritten blob`, all
 * hex, strings as UTF-16LE bytes, `-` for empty.
 *
 * @module
 */

/** One generic credential as the stand-in keeps it. */
export interface StandinRecord {
  /** TargetName. */
  target: string;
  /** Type (1 = CRED_TYPE_GENERIC). */
  type: number;
  /** UserName. */
  userName: string;
  /** Comment. */
  comment: string;
  /** TargetAlias. */
  alias: string;
  /** Persist (3 = CRED_PERSIST_ENTERPRISE). */
  persist: number;
  /** LastWritten FILETIME. */
  lastWritten: bigint;
  /** CredentialBlob bytes. */
  blob: Uint8Array;
}

function utf16Bytes(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length * 2);
  for (let i = 0; i < text.length; i++) {
    bytes[2 * i] = text.charCodeAt(i) & 0xff;
    bytes[2 * i + 1] = text.charCodeAt(i) >> 8;
  }
  return bytes;
}

function utf16Hex(text: string): string {
  return text === "" ? "-" : utf16Bytes(text).toHex();
}

function bytesOf(field: string): Uint8Array {
  return field === "-" ? new Uint8Array() : Uint8Array.fromHex(field);
}

function textOf(field: string): string {
  return new TextDecoder("utf-16le").decode(bytesOf(field));
}

/**
 * Every record of the store file, in file order.
 *
 * @param path the `PUP_STANDIN_STORE` file; missing = empty
 */
export async function readStandinStore(path: string): Promise<StandinRecord[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
  return text.split("\n").filter((l) => l !== "").map((line) => {
    const [target, type, user, comment, alias, persist, written, blob] = line.split(" ");
    return {
      target: textOf(target),
      type: parseInt(type, 16),
      userName: textOf(user),
      comment: textOf(comment),
      alias: textOf(alias),
      persist: parseInt(persist, 16),
      lastWritten: BigInt(`0x${written}`),
      blob: bytesOf(blob),
    };
  });
}

/**
 * Replaces the store file with `records` (tests run it while no stand-in call is in flight).
 *
 * @param path the `PUP_STANDIN_STORE` file
 * @param records what it should hold
 */
export async function writeStandinStore(path: string, records: StandinRecord[]): Promise<void> {
  const lines = records.map((r) =>
    [
      utf16Hex(r.target),
      r.type.toString(16),
      utf16Hex(r.userName),
      utf16Hex(r.comment),
      utf16Hex(r.alias),
      r.persist.toString(16),
      r.lastWritten.toString(16),
      r.blob.length ? r.blob.toHex() : "-",
    ].join(" ")
  );
  await Deno.writeTextFile(path, lines.map((l) => `${l}\n`).join(""));
}

/**
 * A record exactly as keyring-rs 3.6.3 writes `name` holding `text` (UTF-16LE blob, no NUL).
 *
 * @param name the record name, e.g. `state_x_0`
 * @param text its value
 * @param lastWritten its FILETIME
 */
export function keyringRecord(name: string, text: string, lastWritten = 133_000_000_000_000_000n) {
  return {
    target: `${name}.pup`,
    type: 1,
    userName: name,
    comment: "keyring v3.6.3",
    alias: "",
    persist: 3,
    lastWritten,
    blob: utf16Bytes(text),
  } satisfies StandinRecord;
}
