/**
 * The freedesktop Secret Service API (org.freedesktop.Secret.*) over pup's own D-Bus client
 * (`lib/platform/dbus.ts`): the calls the Linux backend needs and nothing else. No policy here;
 * `secret_service.ts` decides which item is the one and what errors mean.
 *
 * Secrets travel in a `plain` session: on the session bus, a socket only this user can reach,
 * whose other clients can ask the service for the same secrets anyway (docs/security.md, "The
 * Secret Service transport"). `OpenSession` is pipelined with the first searches, so a read
 * is two round trips: connect+authenticate+session+search, then `GetSecrets`.
 *
 * @see https://specifications.freedesktop.org/secret-service-spec/latest/
 * @module
 */

import { DBusConnection } from "../platform/dbus.ts";
import { type DBusValue, type Message, Variant } from "../platform/dbus_wire.ts";

const BUS_NAME = "org.freedesktop.secrets";
const SERVICE_PATH = "/org/freedesktop/secrets";
/** The default collection, by its alias, as libsecret and keyring-rs address it. */
const DEFAULT_COLLECTION = "/org/freedesktop/secrets/aliases/default";
const SERVICE = "org.freedesktop.Secret.Service";
const COLLECTION = "org.freedesktop.Secret.Collection";
const ITEM = "org.freedesktop.Secret.Item";
const PROMPT = "org.freedesktop.Secret.Prompt";
/** "No prompt needed" in a reply. */
const NO_PROMPT = "/";

/** The user dismissed an unlock or confirmation prompt. */
export class PromptDismissedError extends Error {
  /** @param what what the prompt was for */
  constructor(what: string) {
    super(`the Secret Service prompt to ${what} was dismissed`);
    this.name = "PromptDismissedError";
  }
}

/** What `SearchItems` found, by object path. */
export interface SearchResult {
  /** Items whose collection is unlocked. */
  unlocked: string[];
  /** Items whose collection is locked (their secrets need an `unlock` first). */
  locked: string[];
}

/** Timeouts of a session. */
export interface SessionTimeouts {
  /** Any one call. */
  callMs: number;
  /** A prompt the user has to answer (an unlock dialog). */
  promptMs: number;
}

/** One connection to the Secret Service with an open `plain` session. */
export class SecretServiceSession {
  readonly #bus: DBusConnection;
  readonly #session: Promise<string>;
  readonly #timeouts: SessionTimeouts;

  private constructor(bus: DBusConnection, timeouts: SessionTimeouts) {
    this.#bus = bus;
    this.#timeouts = timeouts;
    this.#session = this.#service("OpenSession", "sv", ["plain", new Variant("s", "")])
      .then((m) => m.body?.[1] as string);
    // Failures surface on the first call that needs the session (or on the calls sent with
    // it: the bus answers those first).
    this.#session.catch(() => {});
  }

  /**
   * Connects to the session bus at `socketPath` and opens a session; returns at once, so the
   * first searches travel in the same write (a bus that cannot be reached fails the first
   * call with `DBusUnavailableError`).
   *
   * @param socketPath the session bus's socket
   * @param timeouts how long the connection's calls may take together, and a prompt
   */
  static open(socketPath: string, timeouts: SessionTimeouts): SecretServiceSession {
    return new SecretServiceSession(DBusConnection.open(socketPath, timeouts.callMs), timeouts);
  }

  /**
   * `Service.SearchItems`: items of every collection whose attributes include `attributes`.
   *
   * @param attributes the attributes to match
   */
  async search(attributes: ReadonlyArray<[string, string]>): Promise<SearchResult> {
    const reply = await this.#service("SearchItems", "a{ss}", [attributes.map((a) => [...a])]);
    const [unlocked, locked] = reply.body as [string[], string[]];
    return { unlocked, locked };
  }

  /**
   * `Service.GetSecrets`: the secrets of unlocked items.
   *
   * @param items object paths from `search`
   * @returns each item's secret bytes (an item the service did not answer for is missing)
   */
  async secrets(items: readonly string[]): Promise<Map<string, Uint8Array>> {
    const session = await this.#session;
    const reply = await this.#service("GetSecrets", "aoo", [[...items], session]);
    const found = new Map<string, Uint8Array>();
    for (const entry of reply.body?.[0] as DBusValue[][]) {
      const [path, secret] = entry as [string, DBusValue[]];
      found.set(path, secret[2] as Uint8Array);
    }
    return found;
  }

  /**
   * An item's label (`Item.Label`), for messages.
   *
   * @param item the item's object path
   */
  async label(item: string): Promise<string> {
    const reply = await this.#bus.call({
      destination: BUS_NAME,
      path: item,
      interface: "org.freedesktop.DBus.Properties",
      member: "Get",
      signature: "ss",
      body: [ITEM, "Label"],
    });
    const value = reply.body?.[0];
    return value instanceof Variant && typeof value.value === "string" ? value.value : item;
  }

  /**
   * `Service.Unlock`, answering the prompt the service may raise (a desktop dialog).
   *
   * @param items object paths of locked items
   * @returns the paths that are unlocked now
   * @throws PromptDismissedError when the user dismissed the dialog
   */
  async unlock(items: readonly string[]): Promise<string[]> {
    const reply = await this.#service("Unlock", "ao", [[...items]]);
    const [unlocked, prompt] = reply.body as [string[], string];
    if (prompt === NO_PROMPT) return unlocked;
    const result = await this.#prompt(prompt, "unlock the keyring");
    return Array.isArray(result.value) ? result.value as string[] : [];
  }

  /**
   * `Item.SetSecret`: replaces an item's secret in place (all or nothing).
   *
   * @param item the item's object path
   * @param secret the new secret's bytes (`text/plain`)
   */
  async setSecret(item: string, secret: Uint8Array): Promise<void> {
    await this.#bus.call({
      destination: BUS_NAME,
      path: item,
      interface: ITEM,
      member: "SetSecret",
      signature: "(oayays)",
      body: [await this.#secret(secret)],
    });
  }

  /**
   * `Collection.CreateItem` in the default collection, replacing an item with the same
   * attributes there (as keyring-rs asks).
   *
   * @param label the item's label
   * @param attributes its attributes
   * @param secret its secret's bytes (`text/plain`)
   * @returns the new item's object path
   */
  async createItem(
    label: string,
    attributes: ReadonlyArray<[string, string]>,
    secret: Uint8Array,
  ): Promise<string> {
    const properties: DBusValue[] = [
      [`${ITEM}.Label`, new Variant("s", label)],
      [`${ITEM}.Attributes`, new Variant("a{ss}", attributes.map((a) => [...a]))],
    ];
    const reply = await this.#bus.call({
      destination: BUS_NAME,
      path: DEFAULT_COLLECTION,
      interface: COLLECTION,
      member: "CreateItem",
      signature: "a{sv}(oayays)b",
      body: [properties, await this.#secret(secret), true],
    });
    const [item, prompt] = reply.body as [string, string];
    if (prompt === NO_PROMPT) return item;
    const result = await this.#prompt(prompt, "create the item");
    return typeof result.value === "string" ? result.value : item;
  }

  /**
   * `Item.Delete`, answering a confirmation prompt if the service raises one.
   *
   * @param item the item's object path
   */
  async deleteItem(item: string): Promise<void> {
    const reply = await this.#bus.call({
      destination: BUS_NAME,
      path: item,
      interface: ITEM,
      member: "Delete",
    });
    const prompt = reply.body?.[0] as string;
    if (prompt !== NO_PROMPT) await this.#prompt(prompt, "delete the item");
  }

  /**
   * Ends the connection once every request sent has been answered (the service closes the
   * session with it); see `DBusConnection.drainAndClose`.
   */
  async close(): Promise<void> {
    await this.#bus.drainAndClose();
  }

  async #secret(bytes: Uint8Array): Promise<DBusValue[]> {
    return [await this.#session, new Uint8Array(0), bytes, "text/plain"];
  }

  #service(member: string, signature: string, body: DBusValue[]): Promise<Message> {
    return this.#bus.call({
      destination: BUS_NAME,
      path: SERVICE_PATH,
      interface: SERVICE,
      member,
      signature,
      body,
    });
  }

  /** Shows a prompt (`Prompt.Prompt`) and waits for its `Completed` signal. */
  async #prompt(prompt: string, what: string): Promise<Variant> {
    await this.#bus.call({
      destination: "org.freedesktop.DBus",
      path: "/org/freedesktop/DBus",
      interface: "org.freedesktop.DBus",
      member: "AddMatch",
      signature: "s",
      body: [`type='signal',interface='${PROMPT}',member='Completed',path='${prompt}'`],
    });
    const completed = this.#bus.signal(
      (m) => m.path === prompt && m.interface === PROMPT && m.member === "Completed",
      `the Secret Service prompt to ${what}`,
      this.#timeouts.promptMs,
    );
    completed.catch(() => {});
    await this.#bus.call({
      destination: BUS_NAME,
      path: prompt,
      interface: PROMPT,
      member: "Prompt",
      signature: "s",
      body: [""],
    });
    const [dismissed, result] = (await completed).body as [boolean, Variant];
    if (dismissed) throw new PromptDismissedError(what);
    return result;
  }
}
