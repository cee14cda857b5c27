/**
 * A child process for the Windows crash tests: reads `account` through the real Windows
 * backend (as `KeychainStore` does before writing), then writes the value held in `valueFile`.
 * The advapi32 stand-in kills it with `PUP_STANDIN_ABORT_AT` / `PUP_STANDIN_ABORT_AFTER`; exit 0
 * means the write finished.
 *
 *   deno run -A tests/_fakes/_wincred_writer.ts <library.so> <account> <valueFile>
 *
 * @module
 */

import { WindowsCredentialManager } from "../../lib/storage/windows_credential_manager.ts";

const [library, account, valueFile] = Deno.args;
const backend = new WindowsCredentialManager({ advapi32: library, kernel32: library });
await backend.get(account);
await backend.set(account, await Deno.readTextFile(valueFile));
