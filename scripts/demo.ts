/**
 * The mock-control half of `scripts/demo`, so the demo needs no curl: it talks to the mock
 * Datadog's unauthenticated control API on loopback.
 *
 *   deno run --allow-net=127.0.0.1 scripts/demo.ts expire-all MOCK_URL
 *     makes every access token the mock issued expire now (prints how many)
 *   deno run --allow-net=127.0.0.1 scripts/demo.ts refreshes MOCK_URL
 *     prints how many refresh-token requests the mock has seen
 *
 * @module
 */

/**
 * Checks that a mock URL is on loopback, so the demo never sends anything elsewhere.
 *
 * @param text the `MOCK_URL` value
 * @returns the origin
 * @throws {TypeError} for anything but http on 127.0.0.1 or localhost
 */
export function mockOrigin(text: string): string {
  const url = new URL(text);
  if (url.protocol !== "http:" || !/^(127\.\d+\.\d+\.\d+|localhost)$/.test(url.hostname)) {
    throw new TypeError(`The mock URL must be http on loopback, got "${text}"`);
  }
  return url.origin;
}

async function main(args: readonly string[]): Promise<number> {
  const out = (text: string) => Deno.stdout.writeSync(new TextEncoder().encode(text));
  const err = (text: string) => Deno.stderr.writeSync(new TextEncoder().encode(text));
  const [command, url] = args;
  if (args.length !== 2 || (command !== "expire-all" && command !== "refreshes")) {
    err("usage: demo.ts expire-all|refreshes MOCK_URL\n");
    return 2;
  }
  try {
    const origin = mockOrigin(url);
    const signal = AbortSignal.timeout(10_000);
    if (command === "expire-all") {
      const res = await fetch(`${origin}/__mock/expire-all`, { method: "POST", signal });
      if (!res.ok) throw new Error(`the mock answered ${res.status}`);
      const body = await res.json() as { expired?: number };
      out(`${body.expired ?? 0}\n`);
    } else {
      const res = await fetch(`${origin}/__mock/stats`, { signal });
      if (!res.ok) throw new Error(`the mock answered ${res.status}`);
      const stats = await res.json() as { tokenRequests?: { refresh_token?: number } };
      out(`${stats.tokenRequests?.refresh_token ?? 0}\n`);
    }
    return 0;
  } catch (e) {
    err(`Error: cannot reach the mock Datadog: ${e instanceof Error ? e.message : e}\n`);
    return 1;
  }
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);
