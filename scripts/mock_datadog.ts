/**
 * A strict stand-in for Datadog on one loopback origin: Dynamic Client Registration, authorize
 * with a consent page, token (PKCE, rotating refresh tokens), revoke, a few API routes, fault
 * injection and statistics. pup reaches it through `PUP_MOCK_SERVER` (SPEC §7).
 *
 * In-process: `const mock = await startMockDatadog({ autoApprove: true })`.
 * As a process: `deno run -P=pup scripts/mock_datadog.ts [--port N] [--auto-approve] ...`
 * prints `MOCK_URL=http://127.0.0.1:<port>` once listening and serves until SIGTERM or SIGINT.
 * Control API (no auth): `POST /__mock/faults`, `DELETE /__mock/faults`, `GET /__mock/stats`,
 * `POST /__mock/expire-all`, `POST /__mock/forget-clients`.
 *
 * @module
 */

import { parseMockArgs, USAGE } from "./mock_datadog/cli_args.ts";
import {
  type Fault,
  type MockOptions,
  type MockStats,
  parseFault,
} from "./mock_datadog/options.ts";
import { createHandler } from "./mock_datadog/router.ts";
import { addFault, createState, expireAll, forgetClients } from "./mock_datadog/state.ts";

export type {
  ClientAuthMethod,
  Fault,
  FaultEndpoint,
  GrantType,
  MockOptions,
  MockStats,
} from "./mock_datadog/options.ts";
export { DEFAULT_REDIRECT_PORTS } from "./mock_datadog/options.ts";

/** A running mock server. */
export interface MockDatadog {
  /** `http://127.0.0.1:<port>`, the value for `PUP_MOCK_SERVER`. */
  readonly url: string;
  readonly port: number;
  /** A snapshot of the counters. */
  stats(): MockStats;
  /** Adds a fault (checked like the control API's) behind those already active. */
  setFault(fault: Fault): void;
  /** Removes every active fault. */
  clearFaults(): void;
  /** Makes every access token issued so far expired. */
  expireAll(): void;
  /** Forgets every registered client: the token endpoint then answers `invalid_client`. */
  forgetClients(): void;
  /** Stops listening and waits for in-flight requests. */
  close(): Promise<void>;
}

/**
 * Starts a mock Datadog on 127.0.0.1.
 *
 * @param opts options (all optional; port 0 picks a free port)
 * @returns the running mock
 * @see RFC 6749, RFC 7591, RFC 7636, RFC 7009 (the endpoints it imitates)
 */
export function startMockDatadog(opts: MockOptions = {}): Promise<MockDatadog> {
  const state = createState(opts);
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve(
      { hostname: "127.0.0.1", port: state.opts.port, onListen() {} },
      createHandler(state),
    );
  } catch (e) {
    // A busy port throws synchronously; callers expect a rejected promise.
    return Promise.reject(e);
  }
  const port = server.addr.port;
  return Promise.resolve({
    url: `http://127.0.0.1:${port}`,
    port,
    stats: () => structuredClone(state.stats),
    setFault: (fault) => addFault(state, parseFault(fault)),
    clearFaults: () => void state.faults.splice(0),
    expireAll: () => expireAll(state),
    forgetClients: () => void forgetClients(state),
    close: () => server.shutdown(),
  });
}

async function writeText(stream: { write(p: Uint8Array): Promise<number> }, text: string) {
  const bytes = new TextEncoder().encode(text);
  for (let done = 0; done < bytes.length;) done += await stream.write(bytes.subarray(done));
}

async function main(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseMockArgs(argv);
  } catch (e) {
    await writeText(Deno.stderr, `Error: ${e instanceof Error ? e.message : e}\n\n${USAGE}`);
    return 2;
  }
  if (parsed.help) {
    await writeText(Deno.stdout, USAGE);
    return 0;
  }
  let mock: MockDatadog;
  try {
    mock = await startMockDatadog(parsed.options);
  } catch (e) {
    await writeText(
      Deno.stderr,
      `Error: cannot start the mock: ${e instanceof Error ? e.message : e}\n`,
    );
    return 1;
  }
  const { promise: stopped, resolve: stop } = Promise.withResolvers<void>();
  const signals = ["SIGTERM", "SIGINT"] as const;
  for (const signal of signals) Deno.addSignalListener(signal, stop);
  await writeText(Deno.stdout, `MOCK_URL=${mock.url}\n`);
  await stopped;
  await mock.close();
  for (const signal of signals) Deno.removeSignalListener(signal, stop);
  return 0;
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);
