/**
 * The hostile-callback corpus run (SPEC §4.3, §8 "hostile input"; ref §12 item 13): a real
 * `pup auth login` against the mock, whose `$BROWSER` (`hostile_browser.ts`) attacks the
 * callback port before completing the login. Every hostile request must be refused with a
 * 4xx (or a closed connection) without reflecting its marker, and the login must complete
 * with exactly one code exchange: the real one.
 *
 * @module
 */

import { startMockDatadog } from "../mock_datadog.ts";
import { type HostileAnswer, MARKER } from "./hostile_browser.ts";
import { type PupRun, REPO_DIR, runPup } from "./run_pup.ts";

/** Statuses each kind may get; any other 4xx is a finding too. 0: closed without answer. */
export const EXPECTED_STATUS: Record<string, readonly number[]> = {
  "wrong state": [400],
  "no state": [400],
  "error= with wrong state": [400],
  "error= with no state": [400],
  "state differing only in case": [400],
  "duplicate state params": [400],
  "wrong Host": [400],
  "no Host (HTTP/1.0)": [400],
  "POST with the right state": [405],
  "HEAD with the right state": [405],
  "other path: /favicon.ico": [404],
  "other path: prefix /oauth/callbackX": [404],
  "other path: /oauth/callback/": [404],
  // The HTTP server itself refuses oversized request lines (400/414/431) or resets.
  "a 1 MB query": [0, 400, 414, 431],
  "a 64 KB path": [0, 400, 414, 431],
  "script in error_description (wrong state)": [400],
  "header injection (%0d%0a) in the query": [400],
  "absolute-form request target": [400],
  "absolute-form target naming another host": [400],
  "non-UTF-8 percent sequences": [400],
  "CONNECT": [0, 400, 404, 405],
};

/** What the hostile login run found. */
export interface HostileFigures {
  kinds: number;
  refused: number;
  reflected: number;
  loginExit: number;
  codeExchanges: number;
  problems: string[];
}

/**
 * Runs one hostile login and judges it.
 *
 * @returns the figures; `problems` is empty when everything held
 */
export async function runHostileLogin(): Promise<HostileFigures> {
  const mock = await startMockDatadog({ autoApprove: true });
  const dir = await Deno.makeTempDir({ prefix: "pup-hostile-" });
  const report = `${dir}/report.json`;
  const problems: string[] = [];
  let login: PupRun;
  let answers: HostileAnswer[] = [];
  try {
    login = await runPup(["auth", "login"], {
      env: {
        PUP_CONFIG_DIR: dir,
        PUP_MOCK_SERVER: mock.url,
        DD_TOKEN_STORAGE: "file",
        BROWSER:
          `${Deno.execPath()} run --quiet --no-prompt --no-config --allow-net=127.0.0.1 --allow-env=HOSTILE_REPORT --allow-write=${report} ${REPO_DIR}/scripts/soak/hostile_browser.ts`,
        HOSTILE_REPORT: report,
      },
      timeoutMs: 90_000,
    });
    answers = JSON.parse(await Deno.readTextFile(report).catch(() => "[]"));
    if (login.code !== 0) {
      problems.push(`the login exited ${login.code}: ${login.stderr.slice(-500)}`);
    }
    // deno-lint-ignore no-control-regex
    if (login.stderr.includes(MARKER) || /\x1b/.test(login.stderr)) {
      problems.push("pup wrote hostile markup or an escape sequence to the terminal");
    }
    const tokens = await Deno.readTextFile(`${dir}/tokens_datadoghq_com.json`).catch(() => "");
    if (!tokens.includes("__default__")) problems.push("no session was stored");
  } finally {
    await mock.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
  const stats = mock.stats();
  if (stats.tokenRequests.authorization_code !== 1) {
    problems.push(
      `${stats.tokenRequests.authorization_code} code exchanges, not exactly the real one`,
    );
  }
  for (const kind of Object.keys(EXPECTED_STATUS)) {
    if (!answers.some((a) => a.kind === kind)) problems.push(`"${kind}" was not sent`);
  }
  for (const a of answers) {
    const allowed = EXPECTED_STATUS[a.kind] ?? [];
    if (!allowed.includes(a.status)) {
      problems.push(`"${a.kind}" got ${a.status}, expected ${allowed.join(" or ")}`);
    }
    if (a.reflected) problems.push(`"${a.kind}" was reflected unescaped`);
  }
  return {
    kinds: answers.length,
    refused: answers.filter((a) => a.status === 0 || (a.status >= 400 && a.status < 500)).length,
    reflected: answers.filter((a) => a.reflected).length,
    loginExit: login.code,
    codeExchanges: stats.tokenRequests.authorization_code,
    problems,
  };
}
