/**
 * Command-line flags of `scripts/mock_datadog.ts`, parsed into `MockOptions`.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { type ClientAuthMethod, type MockOptions, parseFault } from "./options.ts";

/** The usage text printed for `--help` and after a flag error. */
export const USAGE = `Usage: deno run -P=pup scripts/mock_datadog.ts [flags]

Prints MOCK_URL=http://127.0.0.1:<port> once listening; serves until SIGTERM or SIGINT.

  --port N                    port on 127.0.0.1 (default 0: any free port)
  --auto-approve              authorize redirects with a code at once
  --auto-submit               the consent page submits itself (headless browsers)
  --access-ttl S              access-token lifetime in seconds (default 3600)
  --client-auth M             none | client_secret_post | client_secret_basic (default none)
  --reject-scopes a,b         scopes refused with invalid_scope
  --org-uuid U                dd_oid sent back to the callback
  --org-name N                dd_org_name sent back to the callback
  --domain H                  domain sent back to the callback
  --omit-refresh-token        refresh answers carry no refresh_token
  --token-delay-ms MS         delay every token request
  --api-key K --app-key K     the API and application keys API routes accept
  --allowed-redirect-ports P  comma-separated ports allowed in redirect URIs
                              (default 8000,8080,8888,9000)
  --fault JSON                a fault active from the start (repeatable), e.g.
                              '{"endpoint":"token","status":500,"count":1}'
`;

const CLIENT_AUTH: readonly string[] = ["none", "client_secret_post", "client_secret_basic"];

function integer(flag: string, text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new RangeError(`--${flag} must be an integer from ${min} to ${max}, got "${text}"`);
  }
  return Number(text);
}

function list(text: string): string[] {
  return text.split(",").map((s) => s.trim()).filter((s) => s !== "");
}

/**
 * Parses the mock's command line.
 *
 * @param argv the arguments after the script name
 * @returns `help: true` when usage was asked for, else the options
 * @throws {TypeError} for an unknown flag or a bad fault; {RangeError} for a bad number
 */
export function parseMockArgs(
  argv: readonly string[],
): { help: true } | { help: false; options: MockOptions } {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      help: { type: "boolean", short: "h" },
      port: { type: "string" },
      "auto-approve": { type: "boolean" },
      "auto-submit": { type: "boolean" },
      "access-ttl": { type: "string" },
      "client-auth": { type: "string" },
      "reject-scopes": { type: "string" },
      "org-uuid": { type: "string" },
      "org-name": { type: "string" },
      domain: { type: "string" },
      "omit-refresh-token": { type: "boolean" },
      "token-delay-ms": { type: "string" },
      "api-key": { type: "string" },
      "app-key": { type: "string" },
      "allowed-redirect-ports": { type: "string" },
      fault: { type: "string", multiple: true },
    },
  });
  if (values.help) return { help: true };
  const options: MockOptions = {
    autoApprove: values["auto-approve"] ?? false,
    autoSubmit: values["auto-submit"] ?? false,
    omitRefreshToken: values["omit-refresh-token"] ?? false,
    orgUuid: values["org-uuid"],
    orgName: values["org-name"],
    domain: values.domain,
    apiKey: values["api-key"],
    appKey: values["app-key"],
  };
  if (values.port !== undefined) options.port = integer("port", values.port, 0, 65535);
  if (values["access-ttl"] !== undefined) {
    options.accessTtl = integer("access-ttl", values["access-ttl"], 0, 10 * 365 * 86400);
  }
  if (values["token-delay-ms"] !== undefined) {
    options.tokenDelayMs = integer("token-delay-ms", values["token-delay-ms"], 0, 600_000);
  }
  const clientAuth = values["client-auth"];
  if (clientAuth !== undefined) {
    if (!CLIENT_AUTH.includes(clientAuth)) {
      throw new TypeError(
        `--client-auth must be one of ${CLIENT_AUTH.join(", ")}, got "${clientAuth}"`,
      );
    }
    options.clientAuth = clientAuth as ClientAuthMethod;
  }
  if (values["reject-scopes"] !== undefined) options.rejectScopes = list(values["reject-scopes"]);
  if (values["allowed-redirect-ports"] !== undefined) {
    options.allowedRedirectPorts = list(values["allowed-redirect-ports"]).map((p) =>
      integer("allowed-redirect-ports", p, 1, 65535)
    );
  }
  options.faults = (values.fault ?? []).map((text) => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new TypeError(`--fault must be JSON, got ${JSON.stringify(text)}`);
    }
    return parseFault(value);
  });
  return { help: false, options };
}
