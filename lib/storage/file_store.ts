/**
 * The file backend (ref §1.3, §1.4, SPEC §6.1): `tokens_<site>.json` (an org map, pretty JSON)
 * and `client_<site>.json` in the config dir, written atomically with mode 0600 under a
 * per-site cross-process lock, never overwritten when they cannot be parsed.
 *
 * @module
 */

import {
  parseClient,
  parseJson,
  parseTokenMap,
  sanitizeSite,
  serializeTokenMap,
  toWireClient,
} from "./codec.ts";
import { readStoreFile } from "./store_files.ts";
import type { SiteState, SiteStateStore } from "./types.ts";
import { writeMachinery } from "./write_machinery.ts";

/** The JSON-file `SiteStateStore`. */
export class FileStore implements SiteStateStore {
  readonly backend = "file";
  readonly location: string;
  readonly #dir: string;

  /** @param configDir the config dir holding the files */
  constructor(configDir: string) {
    this.#dir = configDir;
    this.location = configDir;
  }

  /** The token file of a site. */
  tokensPath(site: string): string {
    return `${this.#dir}/tokens_${sanitizeSite(site)}.json`;
  }

  /** The client file of a site. */
  clientPath(site: string): string {
    return `${this.#dir}/client_${sanitizeSite(site)}.json`;
  }

  async read(site: string): Promise<SiteState> {
    const tokensPath = this.tokensPath(site);
    const clientPath = this.clientPath(site);
    const [tokensText, clientText] = await Promise.all([
      readStoreFile(tokensPath),
      readStoreFile(clientPath),
    ]);
    return {
      tokens: tokensText === undefined
        ? {}
        : parseTokenMap(parseJson(tokensText, tokensPath), tokensPath),
      client: clientText === undefined
        ? null
        : parseClient(parseJson(clientText, clientPath), clientPath),
    };
  }

  /** Files are never cached: the same as `read`. */
  readLatest(site: string): Promise<SiteState> {
    return this.read(site);
  }

  async update(site: string, mutate: (state: SiteState) => SiteState): Promise<SiteState> {
    // The write machinery loads only when something is written: reads stay lean (start-up).
    const { atomicWrite, ensureLocksDir, removeStaleTemps, siteLockPath, withLock } =
      await writeMachinery();
    await ensureLocksDir(this.#dir);
    return await withLock(siteLockPath(this.#dir, site), async () => {
      // Re-read under the lock: a parse error here aborts before anything is written.
      const before = await this.read(site);
      await removeStaleTemps(this.tokensPath(site));
      await removeStaleTemps(this.clientPath(site));
      const after = mutate(structuredClone(before));
      const tokensText = serializeTokenMap(after.tokens);
      if (tokensText !== serializeTokenMap(before.tokens)) {
        if (Object.keys(after.tokens).length === 0) await removeIfExists(this.tokensPath(site));
        else await atomicWrite(this.tokensPath(site), tokensText);
      }
      const clientText = after.client ? JSON.stringify(toWireClient(after.client), null, 2) : "";
      const clientBefore = before.client
        ? JSON.stringify(toWireClient(before.client), null, 2)
        : "";
      if (clientText !== clientBefore) {
        if (!after.client) await removeIfExists(this.clientPath(site));
        else await atomicWrite(this.clientPath(site), clientText);
      }
      return after;
    });
  }
}

async function removeIfExists(path: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
}
