import assert from "node:assert/strict";
import { createLineReader, MAX_LINE_LENGTH } from "../../lib/platform/stdin.ts";

function reader(text: string, chunk = 4096) {
  const bytes = new TextEncoder().encode(text);
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      for (let i = 0; i < bytes.length; i += chunk) c.enqueue(bytes.subarray(i, i + chunk));
      c.close();
    },
  });
  return createLineReader(() => stream);
}

async function lines(r: ReturnType<typeof reader>): Promise<string[]> {
  const out: string[] = [];
  while (true) {
    try {
      const l = await r.readLine();
      if (l === null) return out;
      out.push(l);
    } catch (e) {
      out.push(`! ${(e as Error).message}`);
    }
  }
}

Deno.test("readLine() splits lines, drops CR, and returns the last line without a newline", async () => {
  assert.deepEqual(await lines(reader("a\r\nb\n\nlast", 3)), ["a", "b", "", "last"]);
});

Deno.test("readLine() refuses a line over 64 KiB with a reason, then reads the next line", async () => {
  const big = "x".repeat(MAX_LINE_LENGTH + 1);
  for (const chunk of [1000, 65536, 1 << 22]) {
    const got = await lines(reader(`a\n${big}\nb\n${big}`, chunk));
    assert.equal(got.length, 4, String(chunk));
    assert.equal(got[0], "a");
    assert.match(got[1], /^! That line is over 64 KiB/);
    assert.equal(got[2], "b");
    assert.match(got[3], /^! That line is over 64 KiB/);
  }
});

Deno.test("readLine() reads a 20 MB line in linear time", async () => {
  const start = performance.now();
  const got = await lines(reader(`${"y".repeat(20_000_000)}\nz\n`, 65536));
  assert.deepEqual(got.slice(1), ["z"]);
  assert.ok(performance.now() - start < 2000, `${performance.now() - start} ms`);
});

function streamOf(...chunks: string[]): () => ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return () =>
    new ReadableStream({
      start(c) {
        for (const ch of chunks) c.enqueue(enc.encode(ch));
        c.close();
      },
    });
}

Deno.test("readAll() returns stdin byte for byte: CRs and the final newline are kept", async () => {
  const text = '{"a":\r\n 1}\n';
  const bytes = await createLineReader(streamOf('{"a":\r', "\n 1}\n")).readAll(1024);
  assert.equal(new TextDecoder().decode(bytes), text);
});

Deno.test("readAll() refuses more than its cap with INPUT_TOO_LARGE", async () => {
  await assert.rejects(
    createLineReader(streamOf("x".repeat(600), "y".repeat(600))).readAll(1000),
    (e: Error) =>
      (e as { code?: string }).code === "INPUT_TOO_LARGE" && /over 1000 bytes/.test(e.message),
  );
});
