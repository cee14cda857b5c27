/**
 * Reading standard input line by line, started only when a command asks for a line (the paste
 * fallback of login), so other commands never touch stdin. A line is capped at 64 KiB (a
 * callback URL is under 8 KiB): a longer one is refused with a reason, and its rest skipped.
 *
 * @module
 */

import type { LineReader } from "../deps.ts";
import { PupError } from "../errors.ts";

/** The longest line read, in UTF-16 code units (64 KiB of ASCII). */
export const MAX_LINE_LENGTH = 64 * 1024;

/** A line over {@link MAX_LINE_LENGTH} was refused; the next `readLine` reads the line after it. */
export class LineTooLongError extends PupError {
  constructor() {
    super(
      "LINE_TOO_LONG",
      `That line is over ${
        MAX_LINE_LENGTH / 1024
      } KiB, longer than any callback URL, so it was ignored`,
    );
  }
}

/**
 * Wraps a byte stream as a `LineReader`.
 *
 * @param open returns the stream on first use (e.g. `() => Deno.stdin.readable`)
 * @returns a reader whose `readLine` rejects with {@link LineTooLongError} for an overlong line
 */
export function createLineReader(open: () => ReadableStream<Uint8Array>): LineReader {
  let stream: ReadableStream<Uint8Array> | undefined;
  const source = () => (stream ??= open());
  let reader: ReadableStreamDefaultReader<string> | undefined;
  // Chunks of the current line, joined once: appending to one string per chunk and searching it
  // whole each time was quadratic in the line's length.
  let parts: string[] = [];
  let length = 0;
  let skipping = false;
  let done = false;
  const take = (): string => {
    const line = parts.join("");
    parts = [];
    length = 0;
    return line;
  };
  return {
    async readLine(): Promise<string | null> {
      reader ??= source().pipeThrough(new TextDecoderStream()).getReader();
      while (true) {
        // Whatever follows a newline in the last chunk is already in `parts[0]`.
        const pending = parts.length === 1 ? parts[0] : undefined;
        const nl = pending?.indexOf("\n") ?? -1;
        if (pending !== undefined && nl >= 0) {
          parts = [pending.slice(nl + 1)];
          length = parts[0].length;
          if (skipping) {
            skipping = false;
            continue;
          }
          if (nl > MAX_LINE_LENGTH) throw new LineTooLongError();
          return pending.slice(0, nl).replace(/\r$/, "");
        }
        if (done) {
          if (skipping || length === 0) return null;
          if (length > MAX_LINE_LENGTH) {
            take();
            throw new LineTooLongError();
          }
          return take();
        }
        const chunk = await reader.read();
        if (chunk.done) {
          done = true;
          continue;
        }
        const at = chunk.value.indexOf("\n");
        if (at < 0) {
          if (skipping) continue;
          parts.push(chunk.value);
          length += chunk.value.length;
          if (length > MAX_LINE_LENGTH) {
            parts = [];
            length = 0;
            skipping = true;
            throw new LineTooLongError();
          }
          continue;
        }
        // The line ends in this chunk: finish it, and keep the rest for the next call.
        const head = chunk.value.slice(0, at);
        const rest = chunk.value.slice(at + 1);
        if (skipping) {
          skipping = false;
          parts = [rest];
          length = rest.length;
          continue;
        }
        const over = length + head.length > MAX_LINE_LENGTH;
        parts.push(head);
        const line = take();
        parts = [rest];
        length = rest.length;
        if (over) throw new LineTooLongError();
        return line.replace(/\r$/, "");
      }
    },
    async readAll(maxBytes: number): Promise<Uint8Array> {
      if (reader) throw new TypeError("readAll() after readLine(): stdin is read one way only");
      const chunks: Uint8Array[] = [];
      let total = 0;
      for await (const chunk of source()) {
        total += chunk.length;
        if (total > maxBytes) {
          throw new PupError(
            "INPUT_TOO_LARGE",
            `Standard input is over ${maxBytes} bytes; pup reads at most that much`,
          );
        }
        chunks.push(chunk);
      }
      const out = new Uint8Array(total);
      let at = 0;
      for (const c of chunks) out.set(c, (at += c.length) - c.length);
      return out;
    },
  };
}
