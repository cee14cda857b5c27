/**
 * An auto-approving stand-in for the user's browser (`$BROWSER`), for machines without Chromium
 * and for timing a login with the browser step taken out: it loads the authorize URL with
 * `fetch`, follows redirects, presses "Authorize" on a consent form if one is shown (the mock
 * Datadog's, when it runs without `--auto-approve`), and so lands on pup's loopback callback.
 *
 *   deno run --allow-net=127.0.0.1,localhost scripts/fast_browser.ts URL
 *   (or scripts/fast_browser.sh URL, which finds Deno itself)
 *
 * It only ever talks to loopback hosts: any other URL is refused before a request is sent.
 * Exit code: 0 when the last page answered 2xx, 1 otherwise, 2 for a bad command line.
 *
 * @module
 */

/** Redirects and form posts followed before giving up. */
export const MAX_HOPS = 10;
/** The whole walk is abandoned after this long. */
export const TIMEOUT_MS = 30_000;

/**
 * Whether a URL points at this machine.
 *
 * @param url any URL
 * @returns true for http(s) on 127.0.0.0/8, `localhost` or `[::1]`
 */
export function isLoopback(url: URL): boolean {
  if (url.protocol !== "http:" && url.protocol !== "https:") return false;
  const host = url.hostname.replace(/^\[|\]$/g, "");
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function attr(tag: string, name: string): string | undefined {
  const m = new RegExp(`\\s${name}\\s*=\\s*"([^"]*)"`, "i").exec(tag);
  return m ? decodeEntities(m[1]) : undefined;
}

function decodeEntities(text: string): string {
  return text.replace(
    /&(amp|lt|gt|quot|#39|#x27);/g,
    (_m, e: string) =>
      ({ amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'", "#x27": "'" })[e] ?? "",
  );
}

/**
 * Finds a consent form and what pressing its approve button would send: the form's hidden
 * inputs plus the button's `name=value`. The button is the one with `id="approve"` or
 * `value="approve"`.
 *
 * @param html a page
 * @param base the page's URL, for a relative `action`
 * @returns the form's target and body, or `undefined` when the page has no such form
 */
export function parseConsentForm(
  html: string,
  base: URL,
): { action: URL; body: URLSearchParams } | undefined {
  const form = /<form\b[^>]*>([\s\S]*?)<\/form>/i.exec(html);
  if (!form) return undefined;
  const formTag = /<form\b[^>]*>/i.exec(form[0])![0];
  if ((attr(formTag, "method") ?? "get").toLowerCase() !== "post") return undefined;
  const button = [...form[1].matchAll(/<button\b[^>]*>/gi)].map((m) => m[0])
    .find((tag) => attr(tag, "id") === "approve" || attr(tag, "value") === "approve");
  if (button === undefined) return undefined;
  const body = new URLSearchParams();
  for (const [input] of form[1].matchAll(/<input\b[^>]*>/gi)) {
    const name = attr(input, "name");
    if (name !== undefined && (attr(input, "type") ?? "text").toLowerCase() === "hidden") {
      body.append(name, attr(input, "value") ?? "");
    }
  }
  const name = attr(button, "name");
  if (name !== undefined) body.append(name, attr(button, "value") ?? "");
  return { action: new URL(attr(formTag, "action") ?? "", base), body };
}

/**
 * Walks from the authorize URL to wherever it ends, as a browser whose user approves would.
 *
 * @param start the authorize URL
 * @param fetchFn the fetch to use
 * @param signal aborts the walk
 * @returns the final URL and its status
 * @throws {RangeError} when a URL is not on loopback or there are too many hops
 * @see RFC 6749 §4.1.1-4.1.2 (the user-agent's part of the authorization code grant)
 */
export async function followAuthorize(
  start: URL,
  fetchFn: typeof fetch,
  signal?: AbortSignal,
): Promise<{ url: URL; status: number }> {
  let url = start;
  let init: RequestInit = { method: "GET" };
  for (let hop = 0; hop <= MAX_HOPS; hop++) {
    if (!isLoopback(url)) {
      throw new RangeError(`Refusing to load "${url.origin}": this stand-in only visits loopback`);
    }
    const res = await fetchFn(url, { ...init, redirect: "manual", signal });
    const location = res.headers.get("location");
    if (res.status >= 300 && res.status < 400 && location !== null) {
      await res.body?.cancel();
      url = new URL(location, url);
      init = { method: "GET" };
      continue;
    }
    const type = res.headers.get("content-type") ?? "";
    const text = type.includes("html") ? await res.text() : (await res.body?.cancel(), "");
    const consent = res.ok ? parseConsentForm(text, url) : undefined;
    if (consent === undefined) return { url, status: res.status };
    url = consent.action;
    init = {
      method: "POST",
      body: consent.body,
      headers: { "content-type": "application/x-www-form-urlencoded" },
    };
  }
  throw new RangeError(`Gave up after ${MAX_HOPS} redirects or forms`);
}

async function main(args: readonly string[]): Promise<number> {
  const write = (text: string) => Deno.stderr.writeSync(new TextEncoder().encode(text));
  if (args.length !== 1) {
    write("usage: fast_browser.ts URL\n");
    return 2;
  }
  let start: URL;
  try {
    start = new URL(args[0]);
  } catch {
    write("fast_browser: the argument is not a URL\n");
    return 2;
  }
  try {
    const end = await followAuthorize(start, fetch, AbortSignal.timeout(TIMEOUT_MS));
    if (end.status >= 200 && end.status < 300) return 0;
    // The path only: the query of a callback URL carries the authorization code.
    write(`fast_browser: ${end.url.origin}${end.url.pathname} answered ${end.status}\n`);
    return 1;
  } catch (e) {
    // fetch errors quote the URL, whose query may hold the authorization code: drop queries.
    const message = (e instanceof Error ? e.message : String(e)).replace(/\?[^\s)"]*/g, "?…");
    write(`fast_browser: ${message}\n`);
    return 1;
  }
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);
