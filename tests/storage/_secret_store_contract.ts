/**
 * The one contract every `SecretStore` backend passes (DESIGN rule 12; go-keyring's single
 * suite on real keychains). Each backend's test file runs it: memory, the real kernel keyring
 * and the real Secret Service in `secret_store_contract_test.ts`; macOS and Windows against
 * their stand-in libraries in `macos_keychain_test.ts` and `windows_credential_manager_test.ts`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { StorageCorruptError, StorageUnavailableError } from "../../lib/errors.ts";
import { KeychainStore, stateAccount } from "../../lib/storage/keychain_store.ts";
import type { SecretStore } from "../../lib/storage/secret_store.ts";
import type { TokenSet } from "../../lib/storage/types.ts";
import type { RecordingRunner } from "../_fakes/_recording_runner.ts";
import { uniqueName } from "../_fakes/_store_gates.ts";

/** A backend under test and what the contract needs to know about it. */
export interface Subject {
  store: SecretStore & { describe?(account: string): string };
  /** Records child processes, for backends that run one: no value may reach an argv. */
  recorder?: RecordingRunner;
  /** Most UTF-8 bytes a value may have for `account`, when the backend has a limit. */
  maxBytes?: (account: string) => number;
  cleanup(): Promise<void>;
}

const VALUES = {
  json: '{"tokens":{},"client":null}',
  nonAscii: '{"org":"é 日本 🚀","x":"Ünïcödé"}',
  quoting: 'a "quoted" \\ back\\slash \\" and \'single\' $HOME `x`',
};

function tokenSet(i: number): TokenSet {
  return {
    access_token: `access-${i}`,
    refresh_token: `refresh-${i}`,
    token_type: "Bearer",
    expires_in: 3600,
    issued_at: 1_770_000_000 + i,
    scope: "dashboards_read",
    client_id: "client-1",
  };
}

/** Runs every contract step against the backend `make` builds. */
export async function contract(t: Deno.TestContext, make: () => Promise<Subject>): Promise<void> {
  const s = await make();
  const account = uniqueName("state_contract");
  const used = [account];
  const secrets: string[] = [];
  try {
    await t.step("get() of an account never written is undefined", async () => {
      assert.equal(await s.store.get(account), undefined);
    });

    await t.step("delete() of an account never written is false", async () => {
      assert.equal(await s.store.delete(account), false);
    });

    await t.step("set() then get() returns the value, and set() again replaces it", async () => {
      await s.store.set(account, VALUES.json);
      assert.equal(await s.store.get(account), VALUES.json);
      const second = VALUES.json.replace("null", '"x"');
      await s.store.set(account, second);
      assert.equal(await s.store.get(account), second);
      secrets.push(VALUES.json, second);
    });

    await t.step("delete() removes the value and says so", async () => {
      assert.equal(await s.store.delete(account), true);
      assert.equal(await s.store.get(account), undefined);
      assert.equal(await s.store.delete(account), false);
    });

    await t.step("non-ASCII text (é, 日本, emoji) round-trips", async () => {
      await s.store.set(account, VALUES.nonAscii);
      assert.equal(await s.store.get(account), VALUES.nonAscii);
      secrets.push(VALUES.nonAscii);
    });

    await t.step('a value with " and \\ and quotes round-trips byte for byte', async () => {
      await s.store.set(account, VALUES.quoting);
      assert.equal(await s.store.get(account), VALUES.quoting);
      secrets.push(VALUES.quoting);
    });

    if (s.maxBytes) {
      await t.step(
        "a value at the size limit is stored; one byte over is refused, old kept",
        async () => {
          const max = s.maxBytes!(account);
          const atLimit = "v".repeat(max - 2) + "é";
          await s.store.set(account, atLimit);
          assert.equal(await s.store.get(account), atLimit);
          await assert.rejects(
            s.store.set(account, `${atLimit}w`),
            (e: Error) =>
              e instanceof StorageUnavailableError && /DD_TOKEN_STORAGE=file/.test(e.message) &&
              /\d{4}/.test(e.message),
          );
          assert.equal(await s.store.get(account), atLimit);
        },
      );
    }

    const site = `${uniqueName("contract")}.example`;
    used.push(stateAccount(site));
    const configDir = await Deno.makeTempDir({ prefix: "pup-contract-" });
    try {
      await t.step("10 concurrent writers of different orgs on one site lose none", async () => {
        await Promise.all(
          Array.from(
            { length: 10 },
            (_, i) =>
              new KeychainStore({ secrets: s.store, configDir }).update(site, (state) => {
                state.tokens[`org${i}`] = tokenSet(i);
                return state;
              }),
          ),
        );
        const state = await new KeychainStore({ secrets: s.store, configDir }).read(site);
        assert.deepEqual(
          Object.keys(state.tokens).sort(),
          Array.from({ length: 10 }, (_, i) => `org${i}`).sort(),
        );
        for (let i = 0; i < 10; i++) secrets.push(`access-${i}`, `refresh-${i}`);
      });

      await t.step("a value that is not JSON is reported and never overwritten", async () => {
        const account = stateAccount(site);
        await s.store.set(account, "not json {");
        const store = new KeychainStore({ secrets: s.store, configDir });
        const named = (e: Error) =>
          e instanceof StorageCorruptError &&
          e.message.includes(s.store.describe?.(account) ?? account);
        await assert.rejects(store.read(site), named);
        await assert.rejects(store.update(site, (st) => ({ ...st, client: null })), named);
        assert.equal(await s.store.get(account), "not json {");
      });
    } finally {
      await Deno.remove(configDir, { recursive: true });
    }

    if (s.recorder) {
      await t.step("no value ever reached a child process's argv", () => {
        s.recorder!.assertNoSecretInArgv(secrets);
      });
    }
  } finally {
    for (const a of used) await s.store.delete(a).catch(() => {});
    await s.cleanup();
  }
}
