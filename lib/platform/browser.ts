/**
 * Opens the authorize URL in the user's browser (SPEC §4.5). Launchers run through the
 * injected {@link CommandRunner} with the URL as one argv entry, never through a shell (the
 * TS original built a shell string: ref §12 item 15).
 *
 * Which launcher:
 * - `$BROWSER`, when set, and nothing else. Following the common convention (xdg-utils,
 *   Python's `webbrowser`), it may list alternatives separated by `:` (`;` on Windows), tried
 *   in order; each is split on whitespace into program and arguments, and `%s` in an argument
 *   is replaced by the URL (`%%` by `%`); without `%s` the URL is appended. A program path
 *   containing spaces is therefore not supported.
 * - macOS: `/usr/bin/open`. Linux: `xdg-open`, then `wslview`. Windows:
 *   `rundll32 url.dll,FileProtocolHandler`, then `explorer`.
 *
 * A launcher that exits 0 opened the URL; one that is missing or exits non-zero did not, and
 * the next is tried (`xdg-open` exits 3 when no browser is configured). A launcher may also
 * run a GUI browser in the foreground and not exit: after a short wait (`settleMs`) that
 * counts as opened, and the process is left running rather than killed, so the user's
 * browser window does not vanish mid-login. Only a launcher still running after
 * `hardTimeoutMs` is killed.
 *
 * @module
 */

import type { Browser, BrowserOpenResult, Clock, CommandRunner, OsName } from "../deps.ts";
import { createClock } from "./clock.ts";
import { CommandNotFoundError } from "./command_runner.ts";

/** Tuning for {@link createBrowser}; the defaults suit real use. */
export interface BrowserOptions {
  /** Wait for `$BROWSER` to exit before counting it as opened; default 5 s. */
  browserSettleMs?: number;
  /** Wait for `open`, `xdg-open` and the Windows launchers; default 10 s. */
  launcherSettleMs?: number;
  /** Kill a launcher still running after this long; default 10 min. */
  hardTimeoutMs?: number;
  /** Clock for the settle waits; default the real one. */
  clock?: Clock;
}

interface Launcher {
  cmd: string;
  args: string[];
  label: string;
  settleMs: number;
  /** explorer.exe exits 1 even when it opened the URL. */
  anyExitOpens?: boolean;
}

/**
 * Builds the browser opener.
 *
 * @param runner runs the launcher processes
 * @param env the environment snapshot (`BROWSER`, `SystemRoot`)
 * @param os the operating system
 * @param options waits and clock, for tests
 * @returns a {@link Browser} whose `open` never throws: it reports `opened: false` with the
 *   reason for a non-http(s) URL, a missing launcher or a non-zero exit
 * @see RFC 8252 §7.3 (the app opens the authorization request in an external browser)
 */
export function createBrowser(
  runner: CommandRunner,
  env: Readonly<Record<string, string | undefined>>,
  os: OsName,
  options: BrowserOptions = {},
): Browser {
  const clock = options.clock ?? createClock();
  const hardTimeoutMs = options.hardTimeoutMs ?? 600_000;
  return {
    async open(url: string): Promise<BrowserOpenResult> {
      let href: string;
      try {
        const parsed = new URL(url);
        if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new TypeError();
        href = parsed.href;
      } catch {
        return { opened: false, reason: "only http and https URLs are opened in a browser" };
      }
      const launchers = launchersFor(href, env, os, options);
      const failures: string[] = [];
      for (const launcher of launchers) {
        const result = await tryLauncher(runner, clock, launcher, hardTimeoutMs);
        if (result === undefined) return { opened: true, via: launcher.label };
        failures.push(result);
      }
      return {
        opened: false,
        reason: failures.length > 0 ? failures.join("; ") : "no launcher is known for this OS",
      };
    },
  };
}

function launchersFor(
  url: string,
  env: Readonly<Record<string, string | undefined>>,
  os: OsName,
  options: BrowserOptions,
): Launcher[] {
  const browserSettle = options.browserSettleMs ?? 5_000;
  const settleMs = options.launcherSettleMs ?? 10_000;
  const fromEnv = env.BROWSER?.trim();
  if (fromEnv) {
    return fromEnv.split(os === "windows" ? ";" : ":").map((alt) => alt.trim().split(/\s+/))
      .filter((words) => words[0] !== "")
      .map(([cmd, ...rest]) => {
        const hasPlaceholder = rest.some((a) => a.includes("%s"));
        const args = rest.map((a) => a.replace(/%s|%%/g, (m) => (m === "%s" ? url : "%")));
        return {
          cmd,
          args: hasPlaceholder ? args : [...args, url],
          label: `$BROWSER (${cmd})`,
          settleMs: browserSettle,
        };
      });
  }
  switch (os) {
    case "darwin":
      return [{ cmd: "/usr/bin/open", args: [url], label: "open", settleMs }];
    case "linux":
      return [
        { cmd: "xdg-open", args: [url], label: "xdg-open", settleMs },
        { cmd: "wslview", args: [url], label: "wslview", settleMs },
      ];
    case "windows": {
      const root = env.SystemRoot ?? env.SYSTEMROOT;
      return [
        {
          cmd: root ? `${root}\\System32\\rundll32.exe` : "rundll32.exe",
          args: ["url.dll,FileProtocolHandler", url],
          label: "rundll32",
          settleMs,
        },
        {
          cmd: root ? `${root}\\explorer.exe` : "explorer.exe",
          args: [url],
          label: "explorer",
          settleMs,
          anyExitOpens: true,
        },
      ];
    }
  }
}

/** Resolves `undefined` when the launcher opened the URL, else why it did not. */
async function tryLauncher(
  runner: CommandRunner,
  clock: Clock,
  launcher: Launcher,
  hardTimeoutMs: number,
): Promise<string | undefined> {
  const run = runner.run(launcher.cmd, launcher.args, { timeoutMs: hardTimeoutMs });
  // When we stop waiting, the launcher runs on; its end must not be an unhandled rejection.
  run.catch(() => {});
  const stopWaiting = new AbortController();
  // Cancelled only once the race is over: a promise that never settles keeps it out.
  const settled = clock.sleep(launcher.settleMs, stopWaiting.signal).then(
    () => "still running" as const,
    () => new Promise<never>(() => {}),
  );
  try {
    const first = await Promise.race([
      run.then((r) => ({ code: r.code, stderr: r.stderr }), (e: unknown) => ({ error: e })),
      settled,
    ]);
    if (first === "still running") return undefined;
    if ("error" in first) {
      return first.error instanceof CommandNotFoundError
        ? `${launcher.cmd} was not found`
        : `${launcher.cmd} could not run: ${(first.error as Error)?.message ?? first.error}`;
    }
    if (first.code === 0 || launcher.anyExitOpens) return undefined;
    const detail = first.stderr.trim().split("\n")[0]?.slice(0, 160);
    return `${launcher.cmd} exited with code ${first.code}${detail ? ` (${detail})` : ""}`;
  } finally {
    stopWaiting.abort();
  }
}
