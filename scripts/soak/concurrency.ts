/**
 * Concurrent logins, logouts and refreshes of different orgs on one site (SPEC §8; ref §12
 * item 4), as real `pup` processes against the mock: afterwards no session may be lost from
 * the tokens, the client credentials or `sessions.json`, none that was logged out may remain,
 * and the files must pass the strict Rust reader.
 *
 * Scheduling: the callback server has four ports (8000, 8080, 8888, 9000), so at most four
 * logins can wait at once. Logins run in four lanes, each pinned to one port with
 * `PUP_OAUTH_CALLBACK_PORT` and running its logins back to back; the lanes, every refresh and
 * every logout all start together. Before that, the sessions to refresh, log out and keep are
 * created by logins in the same four lanes.
 *
 * @module
 */

import { parseSessions } from "../../lib/storage/sessions.ts";
import { rustClient, rustSessions, rustTokenFile } from "../../tests/_fakes/rust_reader.ts";
import { startMockDatadog } from "../mock_datadog.ts";
import { mapPool } from "./pool.ts";
import { type PupRun, REPO_DIR, runPup } from "./run_pup.ts";

/** Options of {@link runConcurrency}. */
export interface ConcurrencyOptions {
  logins: number;
  logouts: number;
  refreshes: number;
  /** Sessions nobody touches during the burst. */
  bystanders: number;
}

/** What the burst did and what survived it. */
export interface ConcurrencyFigures {
  processes: number;
  logins: number;
  logouts: number;
  refreshes: number;
  /** Processes that exited non-zero. */
  failedProcesses: number;
  /** Sessions that should exist but are missing from tokens or sessions.json. */
  sessionsLost: number;
  /** Logged-out sessions still present. */
  sessionsNotRemoved: number;
  clientLost: boolean;
  /** Refresh requests the mock saw during the burst. */
  refreshRequests: number;
  /** Logins per callback port. */
  schedule: string;
  /** Logins retried because their port was briefly held by another program. */
  bindRetries: number;
  burstMs: number;
  problems: string[];
}

const PORTS = [8000, 8080, 8888, 9000];
const SCOPES = "dashboards_read,monitors_read";

/**
 * Runs the burst.
 *
 * @param opts how many processes of each kind
 * @returns the figures; `problems` is empty when nothing was lost
 */
export async function runConcurrency(opts: ConcurrencyOptions): Promise<ConcurrencyFigures> {
  const mock = await startMockDatadog({ autoApprove: true });
  const dir = await Deno.makeTempDir({ prefix: "pup-conc-" });
  const env = {
    PUP_CONFIG_DIR: dir,
    PUP_MOCK_SERVER: mock.url,
    DD_TOKEN_STORAGE: "file",
    BROWSER: `${REPO_DIR}/scripts/fast_browser.sh`,
  };
  const problems: string[] = [];
  const names = (prefix: string, n: number) =>
    Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
  const newOrgs = names("login", opts.logins);
  const outOrgs = names("logout", opts.logouts);
  const refreshOrgs = names("refresh", opts.refreshes);
  const keepOrgs = names("keep", opts.bystanders);
  let bindRetries = 0;
  /** One login on a pinned port; another program on this machine may hold it for a moment. */
  const login = async (org: string, port: number): Promise<PupRun> => {
    for (let attempt = 1;; attempt++) {
      const run = await runPup(["auth", "login", "--org", org, "--scopes", SCOPES], {
        env: { ...env, PUP_OAUTH_CALLBACK_PORT: String(port) },
        timeoutMs: 60_000,
      });
      if (run.code === 0 || !run.stderr.includes("Could not bind") || attempt === 20) return run;
      bindRetries++;
      await new Promise((r) => setTimeout(r, 250 * attempt));
    }
  };
  /** Runs logins in four lanes, one per callback port. */
  const lanes = async (orgs: string[]) => {
    const byLane = PORTS.map((_, lane) => orgs.filter((_, i) => i % PORTS.length === lane));
    const runs = await Promise.all(byLane.map(async (laneOrgs, lane) => {
      const out: [string, PupRun][] = [];
      for (const org of laneOrgs) out.push([org, await login(org, PORTS[lane])]);
      return out;
    }));
    return runs.flat();
  };
  let figures: ConcurrencyFigures | undefined;
  try {
    // The first login registers the site's client; then the sessions the burst will touch.
    const first = await login(keepOrgs[0] ?? "keep-0", PORTS[0]);
    if (first.code !== 0) throw new Error(`the setup login failed: ${first.stderr}`);
    for (const [org, run] of await lanes([...keepOrgs.slice(1), ...outOrgs, ...refreshOrgs])) {
      if (run.code !== 0) throw new Error(`the setup login of ${org} failed: ${run.stderr}`);
    }
    const before = JSON.parse(await Deno.readTextFile(`${dir}/tokens_datadoghq_com.json`));
    const refreshBefore = mock.stats().tokenRequests.refresh_token;
    const start = performance.now();
    const single = [
      ...outOrgs.map((org) => ["auth", "logout", "--org", org]),
      ...refreshOrgs.map((org) => ["auth", "refresh", "--org", org]),
    ];
    const [loginRuns, singleRuns] = await Promise.all([
      lanes(newOrgs),
      mapPool(single, single.length, (args) => runPup(args, { env, timeoutMs: 90_000 })),
    ]);
    const burstMs = performance.now() - start;
    const all: [string, PupRun][] = [
      ...loginRuns.map(([org, r]) => [`login ${org}`, r] as [string, PupRun]),
      ...singleRuns.map((r, i) => [single[i].slice(1).join(" "), r] as [string, PupRun]),
    ];
    for (const [what, r] of all) {
      if (r.code !== 0) {
        problems.push(`${what} exited ${r.code}: ${r.stderr.trim().split("\n").at(-1)}`);
      }
    }
    const tokensText = await Deno.readTextFile(`${dir}/tokens_datadoghq_com.json`);
    const clientText = await Deno.readTextFile(`${dir}/client_datadoghq_com.json`).catch(() => "");
    const sessionsText = await Deno.readTextFile(`${dir}/sessions.json`);
    for (
      const [what, check] of [
        ["tokens", () => rustTokenFile(tokensText)],
        ["client", () => rustClient(JSON.parse(clientText))],
        ["sessions", () => rustSessions(sessionsText)],
      ] as const
    ) {
      try {
        check();
      } catch (e) {
        problems.push(`the Rust reader rejects ${what}: ${(e as Error).message}`);
      }
    }
    const tokens = JSON.parse(tokensText);
    const rows = parseSessions(sessionsText, "sessions.json");
    const expected = [...keepOrgs, ...refreshOrgs, ...newOrgs];
    let lost = 0;
    for (const org of expected) {
      const inTokens = org in tokens;
      const inRows = rows.some((r) => r.org === org && r.site === "datadoghq.com");
      if (!inTokens || !inRows) {
        lost++;
        problems.push(`session "${org}" lost (tokens: ${inTokens}, sessions.json: ${inRows})`);
      }
    }
    let notRemoved = 0;
    for (const org of outOrgs) {
      if (org in tokens || rows.some((r) => r.org === org)) {
        notRemoved++;
        problems.push(`logged-out session "${org}" is still stored`);
      }
    }
    for (const org of refreshOrgs) {
      if (tokens[org]?.access_token === before[org]?.access_token) {
        problems.push(`"${org}" was not refreshed`);
      }
    }
    const clientLost = clientText === "";
    if (clientLost) problems.push("the client credentials were lost");
    const stats = mock.stats();
    if (stats.clientIds.length !== 1) {
      problems.push(`${stats.clientIds.length} client registrations`);
    }
    const perPort = PORTS.map((p, lane) =>
      `${p}: ${newOrgs.filter((_, i) => i % PORTS.length === lane).length}`
    ).join(", ");
    figures = {
      processes: all.length,
      logins: loginRuns.length,
      logouts: outOrgs.length,
      refreshes: refreshOrgs.length,
      failedProcesses: all.filter(([, r]) => r.code !== 0).length,
      sessionsLost: lost,
      sessionsNotRemoved: notRemoved,
      clientLost,
      refreshRequests: stats.tokenRequests.refresh_token - refreshBefore,
      schedule: `logins per callback port ${perPort}; refreshes and logouts all at once`,
      bindRetries,
      burstMs,
      problems,
    };
  } finally {
    await mock.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
  return figures;
}
