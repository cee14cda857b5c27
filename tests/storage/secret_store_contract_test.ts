/**
 * The `SecretStore` contract (`_secret_store_contract.ts`) on memory and on the real Linux
 * stores: the kernel keyring and the Secret Service. The macOS and Windows backends run it in
 * their own test files, against their stand-in libraries.
 *
 * The real-store backends need their store; CI runs, from the repo root:
 *
 *   PUP_TEST_REQUIRE_SECRET_SERVICE=1 PUP_TEST_REQUIRE_KEYCTL=1 \
 *     scripts/with_secret_service.sh keyctl session - \
 *     tools/node_modules/.bin/deno test -P=test tests/storage/
 *
 * (`with_secret_service.sh` starts a throwaway D-Bus session with an unlocked gnome-keyring;
 * `keyctl session -` gives the run its own session keyring.) Without the store and without the
 * REQUIRE variable, those cases are ignored; with it, they fail.
 *
 * @module
 */

import { createCommandRunner } from "../../lib/platform/command_runner.ts";
import { KernelKeyring } from "../../lib/storage/kernel_keyring.ts";
import { MemorySecretStore } from "../../lib/storage/memory_secret_store.ts";
import { RecordingRunner } from "../_fakes/_recording_runner.ts";
import {
  keyctlIgnored,
  secretServiceIgnored,
  sessionSecretService,
} from "../_fakes/_store_gates.ts";
import { contract } from "./_secret_store_contract.ts";

Deno.test("memory store meets the SecretStore contract", async (t) => {
  await contract(
    t,
    () => Promise.resolve({ store: new MemorySecretStore(), cleanup: () => Promise.resolve() }),
  );
});

Deno.test({
  name: "kernel keyring (real keyctl) meets the SecretStore contract",
  ignore: await keyctlIgnored(),
  async fn(t) {
    await contract(t, () => {
      const recorder = new RecordingRunner(createCommandRunner());
      return Promise.resolve({
        store: new KernelKeyring({ runner: recorder }),
        recorder,
        maxBytes: () => 32767,
        cleanup: () => Promise.resolve(),
      });
    });
  },
});

Deno.test({
  name: "Secret Service (real gnome-keyring over D-Bus) meets the SecretStore contract",
  ignore: await secretServiceIgnored(),
  async fn(t) {
    await contract(
      t,
      () => Promise.resolve({ store: sessionSecretService(), cleanup: () => Promise.resolve() }),
    );
  },
});
