/**
 * Same-org mixes (issue 13), as real `pup` processes against the mock, all started together
 * after their setup: logouts racing refreshes of the same orgs (the token answer is slowed so
 * the logout lands mid-refresh), `auth token` and `api` on one expired org, and first logins
 * racing on a fresh site in four lanes (one per callback port). Afterwards: no session lost, no
 * logged-out session resurrected, one refresh for the shared org, one client registration.
 *
 * @module
 */

import { parseSessions } from "../../lib/storage/sessions.ts";
import { rustSessions, rustTokenFile } from "../../tests/_fakes/rust_reader.ts";
import { startMockDatadog } from "../mock_datadog.ts";
import { mapPool } from "./pool.ts";
import { type PupRun, REPO_DIR, runPup } from "./run_pup.ts";

/** What the same-org burst did and what survived it. */
export interface SameOrgFigures {
  processes: number;
  /** Sessions that should exist but are missing from tokens or sessions.json. */
  sessionsLost: number;
  /** Logged-out sessions whose tokens or row came back. */
  sessionsResurrected: number;
  /** Refresh requests for the org shared by `auth token` and `api`. */
  sharedRefreshes: number;
  /** Client registrations made by the racing first logins. */
  registrations: number;
  problems: string[];
}

const PORTS = [8000, 8080, 8888, 9000];
const SCOPES = "dashboards_read,monitors_read";

/**
 * Runs the mixes.
 *
 * @param opts how many orgs race logout against refresh, processes share one org, first logins
 * @returns the figures; `problems` is empty when nothing was lost or resurrected
 */
export async function runSameOrgMixes(
  opts: { races: number; shared: number; firstLogins: number },
): Promise<SameOrgFigures> {
  const mock = await startMockDatadog({ autoApprove: true, tokenDelayMs: 300 });
  const fresh = await startMockDatadog({ autoApprove: true });
  const dir = await Deno.makeTempDir({ prefix: "pup-same-org-" });
  const freshDir = await Deno.makeTempDir({ prefix: "pup-first-" });
  const base = { DD_TOKEN_STORAGE: "file", BROWSER: `${REPO_DIR}/scripts/fast_browser.sh` };
  const env = { ...base, PUP_CONFIG_DIR: dir, PUP_MOCK_SERVER: mock.url };
  const freshEnv = { ...base, PUP_CONFIG_DIR: freshDir, PUP_MOCK_SERVER: fresh.url };
  const problems: string[] = [];
  /** One login on a pinned port; another program may hold the port for a moment. */
  const login = async (e: Record<string, string>, org: string, port: number) => {
    for (let attempt = 1;; attempt++) {
      const run = await runPup(["auth", "login", "--org", org, "--scopes", SCOPES], {
        env: { ...e, PUP_OAUTH_CALLBACK_PORT: String(port) },
        timeoutMs: 60_000,
      });
      if (run.code === 0 || !run.stderr.includes("Could not bind") || attempt === 20) return run;
      await new Promise((r) => setTimeout(r, 250 * attempt));
    }
  };
  const inLanes = async (e: Record<string, string>, orgs: string[]) =>
    (await Promise.all(PORTS.map(async (port, lane) => {
      const out: [string, PupRun][] = [];
      for (const org of orgs.filter((_, i) => i % PORTS.length === lane)) {
        out.push([org, await login(e, org, port)]);
      }
      return out;
    }))).flat();
  try {
    const raced = Array.from({ length: opts.races }, (_, i) => `race-${i}`);
    for (const [org, r] of await inLanes(env, [...raced, "shared", "keep"])) {
      if (r.code !== 0) throw new Error(`the setup login of ${org} failed: ${r.stderr}`);
    }
    // The shared org's token looks expired locally, so every `auth token` and `api` wants a refresh.
    const tokensPath = `${dir}/tokens_datadoghq_com.json`;
    const stored = JSON.parse(await Deno.readTextFile(tokensPath));
    stored.shared.issued_at -= 7200;
    await Deno.writeTextFile(tokensPath, JSON.stringify(stored, null, 2));
    const refreshBefore = mock.stats().tokenRequests.refresh_token;
    const jobs: string[][] = [
      ...raced.flatMap((
        org,
      ) => [["auth", "refresh", "--org", org], ["auth", "logout", "--org", org]]),
      ...Array.from(
        { length: opts.shared },
        (_, i) =>
          i % 2 === 0
            ? ["auth", "token", "--org", "shared"]
            : ["api", "/api/v1/validate", "--org", "shared"],
      ),
    ];
    const firstOrgs = Array.from({ length: opts.firstLogins }, (_, i) => `first-${i}`);
    const [runs, firstRuns] = await Promise.all([
      mapPool(jobs, jobs.length, (args) => runPup(args, { env, timeoutMs: 90_000 })),
      inLanes(freshEnv, firstOrgs),
    ]);
    runs.forEach((r, i) => {
      const [what, , , org] = jobs[i][0] === "api" ? ["api", "", "", "shared"] : jobs[i];
      const refreshOfRaced = jobs[i][1] === "refresh";
      // A refresh racing its logout may end either way, but only with one of these two answers.
      const fine = r.code === 0 ||
        (refreshOfRaced && r.code === 3 &&
          /logged out while its token|Not logged in/.test(r.stderr));
      if (!fine) {
        problems.push(`${what} ${org} exited ${r.code}: ${r.stderr.trim().split("\n").at(-1)}`);
      }
    });
    for (const [org, r] of firstRuns) {
      if (r.code !== 0) {
        problems.push(`first login ${org} exited ${r.code}: ${r.stderr.trim().split("\n").at(-1)}`);
      }
    }
    const tokensText = await Deno.readTextFile(tokensPath);
    const rows = parseSessions(await Deno.readTextFile(`${dir}/sessions.json`), "sessions.json");
    const tokens = JSON.parse(tokensText);
    rustTokenFile(tokensText);
    rustSessions(await Deno.readTextFile(`${dir}/sessions.json`));
    let resurrected = 0;
    for (const org of raced) {
      if (org in tokens || rows.some((r) => r.org === org)) {
        resurrected++;
        problems.push(`logged-out session "${org}" is still stored`);
      }
    }
    let lost = 0;
    for (const org of ["shared", "keep"]) {
      if (!(org in tokens) || !rows.some((r) => r.org === org)) {
        lost++;
        problems.push(`session "${org}" lost`);
      }
    }
    const freshTokens = JSON.parse(
      await Deno.readTextFile(`${freshDir}/tokens_datadoghq_com.json`),
    );
    const freshRows = parseSessions(await Deno.readTextFile(`${freshDir}/sessions.json`), "s");
    for (const org of firstOrgs) {
      if (!(org in freshTokens) || !freshRows.some((r) => r.org === org)) {
        lost++;
        problems.push(`first login "${org}" lost`);
      }
    }
    // A raced refresh sent a request unless it found the session already gone.
    const racedRequests = runs.filter((r, i) =>
      jobs[i][1] === "refresh" && (r.code === 0 || /logged out while/.test(r.stderr))
    ).length;
    const sharedRefreshes = mock.stats().tokenRequests.refresh_token - refreshBefore -
      racedRequests;
    if (sharedRefreshes !== 1) {
      problems.push(`${sharedRefreshes} refreshes of the shared org`);
    }
    const registrations = fresh.stats().registrations;
    if (registrations !== 1) {
      problems.push(`${registrations} registrations by racing first logins`);
    }
    return {
      processes: runs.length + firstRuns.length,
      sessionsLost: lost,
      sessionsResurrected: resurrected,
      sharedRefreshes,
      registrations,
      problems,
    };
  } finally {
    await mock.close();
    await fresh.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    await Deno.remove(freshDir, { recursive: true }).catch(() => {});
  }
}
