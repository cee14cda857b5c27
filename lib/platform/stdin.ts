/**
 * Reading standard input line by line, started only when a command asks for a line (the paste
 * fallback of login), so other commands never touch stdin.
 *
 * @module
 */

import type { LineReader } from "../deps.ts";

/**
 * Wraps a byte stream as a `LineReader`.
 *
 * @param open returns the stream on first use (e.g. `() => Deno.stdin.readable`)
 */
export function createLineReader(open: () => ReadableStream<Uint8Array>): LineReader {
  let reader: ReadableStreamDefaultReader<string> | undefined;
  let buffer = "";
  let done = false;
  return {
    async readLine(): Promise<string | null> {
      reader ??= open().pipeThrough(new TextDecoderStream()).getReader();
      while (true) {
        const nl = buffer.indexOf("\n");
        if (nl >= 0) {
          const line = buffer.slice(0, nl).replace(/\r$/, "");
          buffer = buffer.slice(nl + 1);
          return line;
        }
        if (done) {
          if (buffer === "") return null;
          const rest = buffer;
          buffer = "";
          return rest;
        }
        const chunk = await reader.read();
        if (chunk.done) done = true;
        else buffer += chunk.value;
      }
    },
  };
}
