/**
 * Reading an HTTP answer once, within a size cap, so callers can judge it and describe it
 * without ever dumping a raw or huge body. Shared by the OAuth endpoints and the API client.
 *
 * @module
 */

/** An answer read once. */
export interface BoundedBody {
  status: number;
  /** Media type, lower case, without parameters; `""` when absent. */
  contentType: string;
  /** The parsed body when it is complete, valid JSON. */
  json?: unknown;
  /** The body was empty (or only whitespace). */
  empty: boolean;
  /** The body was cut off: over the cap, or the connection dropped mid-way. */
  truncated: boolean;
  /** The body exceeded the cap. */
  tooLarge: boolean;
}

/**
 * Reads `res`'s body (at most `maxBytes`) and parses it when it is JSON.
 *
 * @param res the response
 * @param maxBytes the cap; the read stops and cancels the stream beyond it
 * @returns the read body; never throws for a body that breaks off
 */
export async function readBoundedBody(res: Response, maxBytes: number): Promise<BoundedBody> {
  const contentType = (res.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  let tooLarge = false;
  if (res.body) {
    const reader = res.body.getReader();
    try {
      for (let r = await reader.read(); !r.done; r = await reader.read()) {
        size += r.value.length;
        if (size > maxBytes) {
          truncated = tooLarge = true;
          await reader.cancel().catch(() => {});
          break;
        }
        chunks.push(r.value);
      }
    } catch {
      truncated = true;
    }
  }
  const text = await new Blob(chunks as BlobPart[]).text();
  let json: unknown;
  if (!truncated && text.trim() !== "") {
    try {
      json = JSON.parse(text);
    } catch { /* not JSON: described by its kind, never shown */ }
  }
  return {
    status: res.status,
    contentType,
    json,
    empty: !truncated && text.trim() === "",
    truncated,
    tooLarge,
  };
}
