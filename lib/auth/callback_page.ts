/**
 * The HTML pages the loopback callback server shows in the browser (ref §7.3), with every
 * dynamic value escaped: the Rust `pup` reflects `error` and `error_description` raw
 * (ref §12 item 13), which lets any page that can reach the port inject markup.
 *
 * @module
 */

/** What the success page can say about where the user logged in (all optional, untrusted). */
export interface SuccessPageInfo {
  /** The callback's `site`: a full URL, shown as a link only when it is https. */
  site?: string;
  /** The callback's `domain`: the Datadog host the user picked. */
  domain?: string;
  /** The callback's `dd_org_name`. */
  orgName?: string;
  /** The callback's `dd_oid`, already checked to be UUID-shaped. */
  orgUuid?: string;
}

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/**
 * Escapes text for HTML element content and quoted attribute values.
 *
 * @param text any untrusted text
 * @returns the text with `& < > " '` replaced by character references
 * @see RFC 8252 §8.1 (the loopback page is reachable by any local process)
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/**
 * The page shown after a callback carrying a code with the right `state`.
 *
 * @param info what the callback said about the site and org
 * @returns a complete HTML document
 * @see RFC 6749 §4.1.2 (authorization response)
 */
export function successPage(info: SuccessPageInfo): string {
  const link = info.site?.startsWith("https://") ? info.site : undefined;
  let provider = "Datadog";
  if (link && info.domain) {
    provider = `Datadog (<a href="${escapeHtml(link)}">${escapeHtml(info.domain)}</a>)`;
  } else if (link) provider = `<a href="${escapeHtml(link)}">${escapeHtml(link)}</a>`;
  else if (info.domain) provider = `Datadog (${escapeHtml(info.domain)})`;
  const org = info.orgName ? ` in org <strong>${escapeHtml(info.orgName)}</strong>` : "";
  const uuid = info.orgUuid ? `\n<p><small>${escapeHtml(info.orgUuid)}</small></p>` : "";
  return page(
    "Pup - Authentication Successful",
    "Authentication Successful",
    `<p>Connected to ${provider}${org}.</p>${uuid}\n` +
      "<p>You can close this window and return to pup.</p>",
  );
}

/**
 * The page shown after a callback carrying `error` with the right `state`.
 *
 * @param error the server's `error` code (`unknown_error` when empty)
 * @param description the server's `error_description`, if any
 * @returns a complete HTML document
 * @see RFC 6749 §4.1.2.1 (error response)
 */
export function errorPage(error?: string, description?: string): string {
  return page(
    "Pup - Authentication Failed",
    "Authentication Failed",
    `<p><strong>${escapeHtml(error || "unknown_error")}</strong></p>\n` +
      `<p>${escapeHtml(description || "An unknown error occurred.")}</p>\n` +
      "<p>Please close this window and try again.</p>",
  );
}

/**
 * The page shown for a request whose `state` is missing or wrong: it may be forged, so pup
 * ignores it and keeps waiting for the real callback.
 *
 * @param reason a short, fixed explanation (never request data)
 * @returns a complete HTML document
 * @see RFC 6749 §10.12 (CSRF), RFC 8252 §8.1
 */
export function rejectedPage(reason: string): string {
  return page(
    "Pup - Invalid Callback",
    "Invalid Callback",
    `<p>This request was ignored: ${escapeHtml(reason)}.</p>\n` +
      "<p>If you started <code>pup auth login</code>, finish signing in in the window it " +
      "opened; pup is still waiting for that callback.</p>",
  );
}

function page(title: string, heading: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body { font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, sans-serif;
  margin: 0; padding: 4rem 1rem; background: #f7f5fa; color: #1c1b1f; text-align: center; }
main { max-width: 32rem; margin: 0 auto; background: #fff; border-radius: 8px;
  padding: 2rem; border-top: 6px solid #632ca6; box-shadow: 0 1px 4px rgba(0,0,0,.1); }
h1 { color: #632ca6; font-size: 1.5rem; margin-top: 0; }
a { color: #632ca6; }
small { color: #666; }
</style>
</head>
<body>
<main>
<h1>${escapeHtml(heading)}</h1>
${body}
</main>
</body>
</html>
`;
}
