/**
 * Why a request never got an answer, in a few fixed words. The runtime's own error text is never
 * shown: it can quote a header value (a token with a newline: `Invalid header value: "Bearer …"`)
 * or a URL with credentials in it.
 *
 * @module
 */

/**
 * Classifies a fetch failure.
 *
 * @param e what `fetch` threw (its `cause` chain is read too)
 * @returns a phrase such as `the connection was refused`; never text from the error itself
 */
export function networkErrorKind(e: unknown): string {
  const parts: string[] = [];
  for (let c = e, depth = 0; c !== undefined && c !== null && depth < 5; depth++) {
    parts.push(String((c as Error).message ?? c));
    c = (c as Error).cause;
  }
  const raw = parts.join(": ");
  if (/connection refused|ECONNREFUSED/i.test(raw)) return "the connection was refused";
  if (/dns error|failed to lookup|name or service not known|no such host|ENOTFOUND/i.test(raw)) {
    return "the host name could not be resolved (DNS)";
  }
  if (/certificate|tls|ssl/i.test(raw)) return "the TLS handshake failed";
  if (/reset|broken pipe|connection closed|ECONNRESET/i.test(raw)) {
    return "the connection was closed";
  }
  if (/header/i.test(raw)) return "a request header was refused (check the credentials' format)";
  if (/too many open files|os error 24/i.test(raw)) return "too many open files";
  if (/timed? ?out/i.test(raw)) return "the request timed out";
  return "a network error";
}
