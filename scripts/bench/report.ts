/**
 * The machine a bench ran on, and `docs/bench.md`, which keeps the latest table with it.
 *
 * @module
 */

/** What identifies the machine and toolchain of a run. */
export interface MachineInfo {
  /** ISO 8601 UTC, to the second. */
  date: string;
  /** `uname -srm`. */
  uname: string;
  cpu: string;
  cores: number;
  deno: string;
}

/**
 * The CPU model named in `/proc/cpuinfo` text.
 *
 * @param cpuinfo the file's content
 * @returns the first `model name` (or `Model`, on ARM), or "unknown"
 */
export function cpuModel(cpuinfo: string): string {
  const m = /^(?:model name|Model|Hardware)\s*:\s*(.+)$/m.exec(cpuinfo);
  return m ? m[1].trim() : "unknown";
}

/**
 * Collects the machine's description.
 *
 * @param now the date of the run
 * @returns the description; parts that cannot be read say "unknown"
 */
export async function machineInfo(now: Date): Promise<MachineInfo> {
  let uname = "unknown";
  try {
    const out = await new Deno.Command("uname", { args: ["-srm"], stderr: "null" }).output();
    if (out.success) uname = new TextDecoder().decode(out.stdout).trim();
  } catch {
    // No uname (not a Unix): keep "unknown".
  }
  let cpu = "unknown";
  try {
    // Deno reads /proc only with --allow-all; `cat` needs just the run permission.
    const out = await new Deno.Command("cat", { args: ["/proc/cpuinfo"], stderr: "null" }).output();
    if (out.success) cpu = cpuModel(new TextDecoder().decode(out.stdout));
  } catch {
    // Not Linux.
  }
  return {
    date: now.toISOString().replace(/\.\d{3}Z$/, "Z"),
    uname,
    cpu,
    cores: navigator.hardwareConcurrency,
    deno: Deno.version.deno,
  };
}

/**
 * The whole of `docs/bench.md`.
 *
 * @param machine where and when it ran
 * @param table the rendered results table
 * @param summary the closing line
 * @param startup the start-up run counts used
 * @returns the Markdown document
 */
export function benchDoc(
  machine: MachineInfo,
  table: string,
  summary: string,
  startup: { runs: number; warmups: number },
): string {
  return `# Measured qualities (\`deno task bench\`)

The latest run of \`deno task bench --write\` (SPEC §8). Figures are ratios and counts measured
in one run, so they compare like with like on the machine below; absolute times are given for
orientation only.

| | |
|---|---|
| date | ${machine.date} |
| \`uname -srm\` | ${machine.uname} |
| CPU | ${machine.cpu} |
| cores | ${machine.cores} |
| Deno | ${machine.deno} |

${table}
${summary}

How it measures:

- **Start-up**: \`deno run --quiet --no-prompt -P=pup --config deno.json <file>\` for a hello
  world, \`main.ts --help\` and \`main.ts auth status\` (a stored valid session; file store, the
  Linux Secret Service backend inside a throwaway gnome-keyring, and the macOS and Windows
  backends against their stand-in libraries), interleaved,
  ${startup.warmups} warm-ups then ${startup.runs} runs each; medians of the wall time from spawn
  to exit.
- **Child processes**: every store tool and opener on \`PATH\` (\`keyctl\`, \`secret-tool\`,
  \`security\`, \`powershell\`, \`xdg-open\`, ...) is a wrapper that logs its name and
  subcommand, then \`exec\`s the real tool. The Secret Service, macOS (Security.framework
  stand-in) and Windows (advapi32 stand-in) backends are reached in-process, so they must start
  none.
- **Refresh under concurrency**: the mock's refresh tokens are single-use and its token
  endpoint waits 300 ms; the stored token is moved two hours into the past, then 50
  \`pup api /api/v1/validate\` processes start at once.
- **Login**: \`pup auth login\` with \`$BROWSER\` = \`scripts/fast_browser.sh\` (fetch, no browser)
  against the auto-approving mock, a fresh config dir each time; median of 5.
`;
}
