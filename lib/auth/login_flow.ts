/**
 * The OAuth2 login (SPEC §4 steps 1-8, ref §9.2): callback server first, the site's DCR
 * client (registered when missing or renamed), PKCE and state, the browser or a pasted URL,
 * the code exchange, then the tokens, client and `sessions.json` row written only once the
 * login succeeded, so a failed, timed-out or interrupted login leaves no session behind. Only a
 * newly registered client is stored at once, so that concurrent logins on the site reuse it.
 *
 * @module
 */

import { type Endpoints, endpointsFor } from "../config/endpoints.ts";
import type { Deps } from "../deps.ts";
import { InterruptedError, OAuthError } from "../errors.ts";
import type { SessionRow, SessionsRegistry } from "../storage/sessions.ts";
import type { ClientCredentials, SiteStateStore } from "../storage/types.ts";
import { buildAuthorizeUrl } from "./authorize_url.ts";
import { DCR_REDIRECT_PORTS } from "./callback_handler.ts";
import { type CallbackPortSource, startCallbackServer } from "./callback_server.ts";
import { expiresAtMs, formatLocalRfc3339 } from "./expiry.ts";
import { effectiveSite, rememberedOrgUuid, saveLabel, saveLogin } from "./login_save.ts";
import { loginCommand } from "./login_command.ts";
import { INTERRUPTED_MESSAGE, startLoginWait } from "./login_wait.ts";
import { ensureClient } from "./client_registration.ts";
import { exchangeCode } from "./oauth_client.ts";
import { callbackError, orgLine } from "./login_messages.ts";
import { PASTE_INSTRUCTIONS } from "./paste.ts";
import { computeCodeChallenge, generateCodeVerifier, generateState } from "./pkce.ts";

export { resolvePinnedPort } from "./login_port.ts";
export { orgLine } from "./login_messages.ts";

/** What a login needs, already resolved by the command (no flags, no stricli). */
export interface LoginFlowOptions {
  /** The validated site typed or resolved (before any region switch). */
  site: string;
  /** The org label, or null for the default session. */
  org: string | null;
  /** The site's endpoints, after the trust gate (authorize host includes any subdomain). */
  endpoints: Endpoints;
  /** The SSO subdomain, only to say which host the browser goes to. */
  subdomain?: string;
  store: SiteStateStore;
  registry: Pick<SessionsRegistry, "update">;
  /** The `sessions.json` rows as read at start, for the remembered org UUID. */
  rows: readonly SessionRow[];
  /** The scopes to request (see `resolveLoginScopes`). */
  scopes: readonly string[];
  /** `--org-uuid`, already checked to be UUID-shaped. */
  orgUuid?: string;
  /** `--no-browser`: print the URL and read a pasted redirect URL. */
  noBrowser?: boolean;
  /** A pinned callback port (see `resolvePinnedPort`). */
  pinnedPort?: { port: number; source: CallbackPortSource };
  /** Test seam: ports scanned when none is pinned; default 8000, 8080, 8888, 9000. */
  ports?: readonly number[];
  /** Test seam: how long to wait for the browser; default 5 minutes. */
  timeoutMs?: number;
}

/** The JSON summary of a login: never a token. */
export interface LoginResult {
  site: string;
  org: string | null;
  org_uuid: string | null;
  /** The org name the server reported on the callback, if any. */
  org_name: string | null;
  scopes: string[];
  /** RFC 3339, local time zone, as `auth status` shows it. */
  expires_at: string;
  storage: string;
}

/**
 * Runs the whole login and stores its result.
 *
 * @param deps every seam: fetch, browser, clock, random, io, interrupt, env (`PUP_MOCK_SERVER`)
 * @param o the resolved login (see {@link LoginFlowOptions})
 * @returns the summary printed by `-o json`
 * @throws {CallbackPortError} when no callback port can be bound
 * @throws {OAuthError} for a registration, callback or token-endpoint error
 * @throws {StateMismatchError} for a pasted URL of another login
 * @throws {LoginTimeoutError} after 5 minutes without a callback
 * @throws {InterruptedError} on Ctrl-C (exit 130); nothing is written then
 * @see RFC 6749 §4.1, RFC 7636, RFC 7591, RFC 8252
 */
export async function runLoginFlow(deps: Deps, o: LoginFlowOptions): Promise<LoginResult> {
  const err = deps.io.err;
  const suffix = (org: string | null) => (org ? ` (org: ${org})` : "");
  const state = generateState(deps.random);
  // Bound before anything else, so a busy port fails before any network traffic.
  const server = await startCallbackServer({
    state,
    ports: o.ports ?? DCR_REDIRECT_PORTS,
    pinned: o.pinnedPort,
    signal: deps.interrupt,
  });
  const wait = startLoginWait(deps, {
    outcome: server.outcome,
    state,
    timeoutMs: o.timeoutMs,
  });
  try {
    const authHost = new URL(o.endpoints.authorizeUrl).host;
    err.write(
      `\n🔐 Starting OAuth2 login for site: ${o.site} (auth host: ${authHost})${
        suffix(o.org)
      }\n\n📡 Callback server started on: ${server.redirectUri}\n`,
    );
    if (o.subdomain) err.write(`🏢 Using SAML/SSO subdomain: ${o.subdomain}.${o.site}\n`);
    err.write(
      o.scopes.length > 10
        ? `🔑 Requesting ${o.scopes.length} scope(s) (use --scopes to customize)\n`
        : `🔑 Requesting ${o.scopes.length} scope(s): ${[...o.scopes].sort().join(", ")}\n`,
    );

    // The store must prove it can take this login before the user consents in the browser.
    await interruptible(
      deps,
      o.store.prepareWrite?.(o.site, loginBytes(o.scopes)) ?? Promise.resolve(),
    );
    const { client, registered } = await ensureClient(deps, {
      site: o.site,
      org: o.org,
      endpoints: o.endpoints,
      store: o.store,
      port: server.port,
      interruptible: (step) => interruptible(deps, step),
    });

    const verifier = generateCodeVerifier(deps.random);
    const hint = o.orgUuid ?? rememberedOrgUuid(o.rows, o.site, o.org);
    const url = buildAuthorizeUrl({
      authorizeUrl: o.endpoints.authorizeUrl,
      clientId: client.client_id,
      redirectUri: server.redirectUri,
      state,
      scopes: o.scopes,
      codeChallenge: await computeCodeChallenge(verifier),
      orgUuid: hint,
    });
    if (hint) err.write(`🎯 Hinting org UUID (dd_oid): ${hint}\n`);

    let paste = o.noBrowser ?? false;
    if (!paste && !wait.done) {
      err.write(`\n🌐 Opening your browser to log in; if it does not open, visit:\n${url}\n`);
      const opening = deps.browser.open(url).catch((e) => ({
        opened: false as const,
        reason: String((e as Error)?.message ?? e),
      }));
      // A fast browser may deliver the callback before its launcher has even exited.
      const opened = await Promise.race([opening, wait.result.then(() => null, () => null)]);
      if (opened && !opened.opened) {
        err.write(
          `⚠️ Could not open browser automatically (${opened.reason})\nPlease open this URL manually:\n${url}\n`,
        );
        paste = true;
      }
    }
    if (!wait.done) {
      if (paste) {
        err.write(PASTE_INSTRUCTIONS(server.redirectUri, o.noBrowser ?? false));
        // The URL stands alone on the last line, whatever the terminal width, easy to copy.
        if (o.noBrowser) err.write(`\n${url}\n`);
      }
      err.write(`\n⏳ Waiting for authorization...\n`);
      if (paste) wait.enablePaste({ endOnEof: o.noBrowser ?? false });
      // The countdown would overwrite what the user is typing: in paste mode the prompt shows it.
      else if (deps.io.stderrIsTerminal) wait.startCountdown();
    }
    const outcome = await wait.result;
    await server.close();
    if (outcome.kind === "error") throw callbackError(outcome.error, outcome.description);
    const callback = outcome.callback;

    const site = effectiveSite(o.site, callback.domain);
    const endpoints = site === o.site
      ? o.endpoints
      : endpointsFor(site, deps.env.PUP_MOCK_SERVER || undefined);
    if (site !== o.site) {
      err.write(`🌍 The browser switched to ${site}; the session is stored for that site\n`);
    }
    err.write(`🔄 Exchanging authorization code for tokens...\n`);
    const tokens = await interruptible(
      deps,
      exchangeCode(deps, {
        tokenUrl: endpoints.tokenUrl,
        client,
        callback,
        redirectUri: server.redirectUri,
        codeVerifier: verifier,
        insecure: endpoints.insecure,
      }),
    ).catch((e) => rejectedClient(deps, o, client, e));

    const label = saveLabel(err, o.org, hint, callback);
    // The UUID stays with the session until the server's dd_oid says otherwise (then saveLabel
    // has applied the relabel rule) or the user passes another --org-uuid: every later login
    // re-sends it, as the docs promise.
    const orgUuid = callback.dd_oid ?? hint ?? null;
    const { replacedDefaults } = await saveLogin(o.store, o.registry, {
      startSite: o.site,
      site,
      label,
      tokens,
      client,
      registered,
      orgUuid,
    });

    // Which org the server put this login in: a login finished by another account's code
    // (login CSRF from a local process) shows up here rather than silently.
    const orgName = callback.dd_org_name;
    if (orgName) {
      await o.registry.update((rows) =>
        rows.map((r) =>
          r.site === site && (r.org || null) === label ? { ...r, org_name: orgName } : r
        )
      );
    }
    err.write(
      `\n✅ Login successful${suffix(label)}!\n   ${
        orgLine(orgName, orgUuid)
      }\n   Access token expires: ${
        formatLocalRfc3339(expiresAtMs(tokens))
      }\n   Token stored in: ${o.store.location}\n`,
    );
    for (const other of replacedDefaults) {
      err.write(
        `ℹ️  This replaced the default session of ${other} (one default session at a time); to keep both, log in with --org NAME\n`,
      );
    }
    const granted = tokens.scope.split(/\s+/).filter(Boolean);
    return {
      site,
      org: label,
      org_uuid: orgUuid,
      org_name: orgName ?? null,
      scopes: (granted.length > 0 ? granted : [...o.scopes]).sort(),
      expires_at: formatLocalRfc3339(expiresAtMs(tokens)),
      storage: o.store.backend,
    };
  } finally {
    wait.dispose();
    await server.close();
  }
}

/**
 * About how many bytes a login adds to a site's entry: its scopes, two tokens of up to 1 KiB
 * each (Datadog's are far shorter), and the fixed fields of a token set.
 */
function loginBytes(scopes: readonly string[]): number {
  return scopes.join(" ").length + 2 * 1024 + 512;
}

/**
 * An `invalid_client` from the code exchange: the server no longer knows the client, so it is
 * marked rejected (only if still stored) and the next login registers a new one by itself.
 */
async function rejectedClient(
  deps: Pick<Deps, "clock">,
  o: LoginFlowOptions,
  client: ClientCredentials,
  e: unknown,
): Promise<never> {
  if (!(e instanceof OAuthError) || e.error !== "invalid_client") throw e;
  const at = Math.floor(deps.clock.now() / 1000);
  await o.store.update(
    o.site,
    (s) =>
      s.client?.client_id === client.client_id && s.client.rejected_at === undefined
        ? { ...s, client: { ...s.client, rejected_at: at } }
        : s,
  ).catch(() => {});
  throw new OAuthError(
    e.error,
    `The server no longer accepts the client registration of "${o.site}" (${e.error}${
      e.description ? `: ${e.description}` : ""
    }). Run '${
      loginCommand({ site: o.site, org: o.org })
    }' again: it registers a new client by itself`,
    { description: e.description, status: e.status, cause: e },
  );
}

/** Races a step against Ctrl-C, so an interrupted login stops before it writes anything. */
function interruptible<T>(deps: Pick<Deps, "interrupt">, step: Promise<T>): Promise<T> {
  const signal = deps.interrupt;
  if (signal.aborted) {
    step.catch(() => {});
    return Promise.reject(new InterruptedError(INTERRUPTED_MESSAGE));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new InterruptedError(INTERRUPTED_MESSAGE));
    signal.addEventListener("abort", onAbort, { once: true });
    step.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
