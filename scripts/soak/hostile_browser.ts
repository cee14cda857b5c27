/**
 * A `$BROWSER` for the hostile-callback corpus: given the authorize URL of a real
 * `pup auth login`, it first attacks the callback port named by the URL's `redirect_uri` with
 * malformed, forged and oversized requests over raw TCP (recording each answer), then completes
 * the login the way `scripts/fast_browser.ts` does. The report (JSON) goes to $HOSTILE_REPORT.
 *
 *   BROWSER="deno run --quiet --allow-net=127.0.0.1 --allow-env --allow-write scripts/soak/hostile_browser.ts"
 *
 * Loopback only: it connects to 127.0.0.1 and nothing else.
 *
 * @module
 */

import { followAuthorize } from "../fast_browser.ts";

/** What one hostile request got back. */
export interface HostileAnswer {
  kind: string;
  /** HTTP status, or 0 when the server closed or reset the connection without one. */
  status: number;
  /** The injected marker came back unescaped (in the body or as a header). */
  reflected: boolean;
  /** Response header names, lower-case. */
  headers: string[];
}

/** The marker every hostile value carries; seeing it raw in an answer is a reflection. */
export const MARKER = "<script>pwn()</script>";
const ENC = encodeURIComponent(MARKER);

async function raw(port: number, kind: string, request: string): Promise<HostileAnswer> {
  let text = "";
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      const bytes = new TextEncoder().encode(request);
      try {
        for (let off = 0; off < bytes.length;) off += await conn.write(bytes.subarray(off));
      } catch { /* the server may stop reading an oversized request */ }
      const buf = new Uint8Array(65536);
      const deadline = AbortSignal.timeout(5_000);
      try {
        while (!deadline.aborted) {
          const n = await conn.read(buf);
          if (n === null) break;
          text += new TextDecoder().decode(buf.subarray(0, n));
          if (/\r\n\r\n/.test(text) && request.startsWith("HEAD ")) break;
        }
      } catch { /* reset after an error answer */ }
    } finally {
      try {
        conn.close();
      } catch { /* already closed */ }
    }
  } catch (e) {
    return {
      kind,
      status: -1,
      reflected: false,
      headers: [`connect failed: ${(e as Error).message}`],
    };
  }
  const [head] = text.split("\r\n\r\n");
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0);
  const headers = head.split("\r\n").slice(1).map((l) => l.split(":")[0].toLowerCase());
  const reflected = text.includes(MARKER) || headers.includes("x-injected");
  return { kind, status, reflected, headers };
}

/**
 * Fires the corpus at the callback server of `authorize`'s redirect URI.
 *
 * @param authorize the authorize URL pup opened
 * @returns one answer per kind, in order
 */
export async function attack(authorize: URL): Promise<HostileAnswer[]> {
  const redirect = new URL(authorize.searchParams.get("redirect_uri") ?? "");
  const port = Number(redirect.port);
  const state = authorize.searchParams.get("state") ?? "";
  const host = `Host: 127.0.0.1:${port}`;
  const end = "Connection: close\r\n\r\n";
  const get = (target: string, headers = host) => `GET ${target} HTTP/1.1\r\n${headers}\r\n${end}`;
  const cb = "/oauth/callback";
  // A connection that sends half a request and stays open (slowloris) while the rest runs.
  const slow = await Deno.connect({ hostname: "127.0.0.1", port });
  await slow.write(new TextEncoder().encode(`GET ${cb}?state=${state}&code=slow HTTP/1.1\r\n`));
  const answers = [
    await raw(port, "wrong state", get(`${cb}?code=forged&state=wrong`)),
    await raw(port, "no state", get(`${cb}?code=forged`)),
    await raw(port, "error= with wrong state", get(`${cb}?error=access_denied&state=wrong`)),
    await raw(
      port,
      "error= with no state",
      get(`${cb}?error=access_denied&error_description=${ENC}`),
    ),
    await raw(
      port,
      "state differing only in case",
      get(
        `${cb}?code=forged&state=${
          state.toUpperCase() === state ? state.toLowerCase() : state.toUpperCase()
        }`,
      ),
    ),
    await raw(
      port,
      "duplicate state params",
      get(`${cb}?code=forged&state=${state}&state=${state}`),
    ),
    await raw(
      port,
      "wrong Host",
      get(`${cb}?code=forged&state=${state}`, "Host: evil.example.com"),
    ),
    await raw(port, "no Host (HTTP/1.0)", `GET ${cb}?code=forged&state=${state} HTTP/1.0\r\n\r\n`),
    await raw(
      port,
      "POST with the right state",
      `POST ${cb}?code=forged&state=${state} HTTP/1.1\r\n${host}\r\nContent-Length: 0\r\n${end}`,
    ),
    await raw(
      port,
      "HEAD with the right state",
      `HEAD ${cb}?code=forged&state=${state} HTTP/1.1\r\n${host}\r\n${end}`,
    ),
    await raw(port, "other path: /favicon.ico", get("/favicon.ico")),
    await raw(
      port,
      "other path: prefix /oauth/callbackX",
      get(`${cb}X?code=forged&state=${state}`),
    ),
    await raw(port, "other path: /oauth/callback/", get(`${cb}/?code=forged&state=${state}`)),
    await raw(port, "a 1 MB query", get(`${cb}?state=${state}&code=${"A".repeat(1 << 20)}`)),
    await raw(port, "a 64 KB path", get(`/${"a".repeat(1 << 16)}`)),
    await raw(
      port,
      "script in error_description (wrong state)",
      get(`${cb}?error=${ENC}&error_description=${ENC}&state=wrong`),
    ),
    await raw(
      port,
      "header injection (%0d%0a) in the query",
      get(
        `${cb}?code=forged&state=wrong%0d%0aX-Injected:%201&error_description=a%0d%0aX-Injected:%201`,
      ),
    ),
    await raw(
      port,
      "absolute-form request target",
      get(`http://127.0.0.1:${port}${cb}?code=forged&state=wrong`),
    ),
    await raw(
      port,
      "absolute-form target naming another host",
      get(`http://evil.example${cb}?code=forged&state=wrong`),
    ),
    await raw(
      port,
      "non-UTF-8 percent sequences",
      get(`${cb}?code=%ff%fe&state=%c0%af&error_description=%80`),
    ),
    await raw(port, "CONNECT", `CONNECT 127.0.0.1:${port} HTTP/1.1\r\n${host}\r\n${end}`),
  ];
  slow.close();
  return answers;
}

if (import.meta.main) {
  const authorize = new URL(Deno.args[Deno.args.length - 1]);
  const answers = await attack(authorize);
  const report = Deno.env.get("HOSTILE_REPORT");
  if (report) await Deno.writeTextFile(report, JSON.stringify(answers));
  const done = await followAuthorize(authorize, fetch, AbortSignal.timeout(30_000));
  Deno.exitCode = done.status >= 200 && done.status < 300 ? 0 : 1;
}
