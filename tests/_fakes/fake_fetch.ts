/**
 * A self-checking fake `fetch`: tests register the requests they expect, in order, with an
 * answer for each. A call that does not match the next expectation fails the test, even when
 * the code under test swallows the rejection (`verify()` reports it), and `verify()` fails on
 * expectations never used.
 *
 * @module
 */

import assert from "node:assert/strict";

/** One expected request and its answer. */
export interface FetchExpectation {
  /** HTTP method, e.g. "POST". */
  method: string;
  /** The exact URL. */
  url: string;
  /** Further checks on the request (a clone: the body can be read); throw to fail. */
  check?: (req: Request) => void | Promise<void>;
  /** A response, a function of the request that makes one, or an error to reject with. */
  respond: Response | ((req: Request) => Response | Promise<Response>) | Error;
}

/** The fake; pass `fake.fetch` where `typeof fetch` is expected. */
export class FakeFetch {
  readonly #queue: FetchExpectation[] = [];
  readonly #failures: unknown[] = [];
  /** Every request received, in order, as a real `Request`. */
  readonly requests: Request[] = [];
  /** The `init` objects passed, in order (to look at e.g. `signal`). */
  readonly inits: (RequestInit | undefined)[] = [];

  /** Adds an expectation after the ones already registered. */
  expect(e: FetchExpectation): this {
    this.#queue.push(e);
    return this;
  }

  /** The `fetch` to inject. */
  readonly fetch: typeof fetch = async (input, init) => {
    const req = new Request(input, init);
    this.requests.push(req);
    this.inits.push(init);
    const next = this.#queue.shift();
    try {
      assert.ok(next, `unexpected fetch: ${req.method} ${req.url}`);
      assert.equal(`${req.method} ${req.url}`, `${next.method} ${next.url}`, "fetch target");
      await next.check?.(req.clone());
    } catch (e) {
      this.#failures.push(e);
      throw e;
    }
    if (next.respond instanceof Error) throw next.respond;
    return typeof next.respond === "function" ? await next.respond(req) : next.respond;
  };

  /** Fails on any mismatched call seen so far and on expectations never used. */
  verify(): void {
    if (this.#failures.length > 0) throw this.#failures[0];
    assert.deepEqual(
      this.#queue.map((e) => `${e.method} ${e.url}`),
      [],
      "expected fetch calls that never happened",
    );
  }
}

/** A JSON response, as an OAuth endpoint sends it. */
export function jsonResponse(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

/** The form fields of a request body, in order. */
export async function formOf(req: Request): Promise<[string, string][]> {
  return [...new URLSearchParams(await req.text()).entries()];
}
