/**
 * Help as people read it (issue 15): value placeholders in angle brackets (`--org <name>`) in
 * the usage lines and the flag table, an EXAMPLES section for the commands people start with,
 * and every line wrapped to the terminal's width with its indent kept. stricli renders the
 * help; this only reshapes its text, so the two never disagree on what exists. Idempotent, so
 * the fast path's stored root help (already reshaped) can go through it again to be wrapped.
 *
 * @module
 */

/** Examples per command (the words after `pup`), as people run them. */
const EXAMPLES: Readonly<Record<string, readonly string[]>> = {
  "": ["pup auth login", "pup --org prod monitors list", "pup help auth login"],
  "auth login": [
    "pup auth login",
    "pup auth login --org prod-child --site datadoghq.eu",
    "pup auth login --org acme-prod --subdomain acme",
    "pup auth login --no-browser    # on a machine without a browser",
  ],
  "auth status": ["pup auth status", "pup --org prod auth status -o json"],
  "auth logout": ["pup auth logout --org staging-child", "DD_SITE=datadoghq.eu pup auth logout"],
  "auth token": ['curl -H "Authorization: Bearer $(pup auth token)" https://api.datadoghq.com/…'],
  "auth switch": ["pup auth switch --org prod", "pup auth switch --default"],
  "auth scopes": ["pup auth scopes --org prod"],
  "api": [
    "pup api api/v1/monitor",
    "pup api /api/v2/echo -X POST -f name=x",
    "pup api /api/v1/monitor --jq '.[].name'",
  ],
  "logs query": ['pup logs query --org ap2-prod --query "service:web-store" --limit 10'],
  "metrics query": ['pup metrics query --query "avg:system.cpu.user{*}" --from 1h'],
  "monitors list": ["pup monitors list --tags env:prod -o table"],
  "completions": ["echo 'source <(pup completions bash)' >> ~/.bashrc"],
};

/**
 * Reshapes a help page.
 *
 * @param text stricli's help text
 * @param command the command it is for (`auth login`), `""` for the root
 * @param columns the terminal's width, or undefined (piped: no wrapping)
 * @returns the help to print
 */
export function formatHelp(text: string, command: string, columns?: number): string {
  const placeholders = new Map<string, string>();
  // Usage lines: [--org name] -> [--org <name>], (--query query) -> (--query <query>).
  let out = text.replace(
    /([[(])(--[a-z][a-z-]*) ([^<\])\s][^\])\s]*)([\])])/g,
    (_, open: string, flag: string, value: string, close: string) => {
      placeholders.set(flag, value);
      return `${open}${flag} <${value}>${close}`;
    },
  );
  out = withPlaceholdersInFlagTable(out, placeholders);
  const examples = EXAMPLES[command];
  if (examples && !out.includes("\nEXAMPLES\n")) {
    out = `${out.trimEnd()}\n\nEXAMPLES\n${examples.map((e) => `  ${e}`).join("\n")}\n`;
  }
  return columns && columns >= 40 ? wrap(out, columns) : out;
}

/** `[--org]` in the FLAGS table becomes `[--org <name>]`, the descriptions re-aligned. */
function withPlaceholdersInFlagTable(text: string, placeholders: Map<string, string>): string {
  const lines = text.split("\n");
  const start = lines.indexOf("FLAGS");
  if (start < 0) return text;
  let end = start + 1;
  while (end < lines.length && lines[end].startsWith("  ")) end++;
  // stricli aligns every description at one column: find it on a row with a bracketed flag.
  const sample = lines.slice(start + 1, end).map((l) => /\] {2,}/.exec(l)).find((m) => m);
  if (!sample) return text;
  const col = sample.index + sample[0].length;
  const rows = lines.slice(start + 1, end).map((line) => {
    const left = line.slice(0, col).trimEnd().replace(
      /\[(--[a-z][a-z-]*)\]/,
      (all, flag: string) => {
        const value = placeholders.get(flag);
        return value ? `[${flag} <${value}>]` : all;
      },
    );
    return { left, right: line.slice(col) };
  });
  const width = Math.max(...rows.map((r) => r.left.length));
  const table = rows.map((r) => (r.right ? `${r.left.padEnd(width)}  ${r.right}` : r.left));
  return [...lines.slice(0, start + 1), ...table, ...lines.slice(end)].join("\n");
}

/** Wraps each line at word boundaries; continuation lines keep the line's text column. */
function wrap(text: string, columns: number): string {
  return text.split("\n").map((line) => {
    if (line.length <= columns) return line;
    // A flag row continues under its description, a usage line 2 further in, text as it was.
    const row = /^\s+(?:-\w )?\s*\[?-.*?\S {2,}(?=\S)/.exec(line);
    const lead = line.length - line.trimStart().length;
    const indent = row && row[0].length <= columns - 20
      ? row[0].length
      : line.trimStart().startsWith("pup ")
      ? lead + 2
      : lead;
    const words = line.slice(lead).split(" ");
    const out: string[] = [];
    let current = line.slice(0, lead);
    for (const word of words) {
      const next = current.trim() === "" ? current + word : `${current} ${word}`;
      if (next.length > columns && current.trim() !== "") {
        out.push(current);
        current = " ".repeat(indent) + word;
      } else {
        current = next;
      }
    }
    out.push(current);
    return out.join("\n");
  }).join("\n");
}
