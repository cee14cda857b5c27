/**
 * The fixed list `deno task mutants` runs: one rule each, the code that carries it, a change
 * that breaks it, and the unit tests that must catch it. The first seven are the survivors of
 * the structure review (issue 16); the rest cover the trust gate, the stores, refresh and the
 * outputs. Keep it at 0 survivors: a new rule gets a mutant here and a test that kills it.
 *
 * @module
 */

/** One mutation. */
export interface Mutant {
  /** The rule it breaks, as a short sentence. */
  name: string;
  /** The file, from the repo root. */
  file: string;
  /** Text that occurs exactly once in `file`. */
  find: string;
  /** What replaces it. */
  replace: string;
  /** The unit test files that must fail. */
  tests: readonly string[];
}

const TRUST = ["tests/config/trust_test.ts"];
const EXPIRY = ["tests/auth/expiry_test.ts"];
const CHUNKS = ["tests/storage/chunking_test.ts", "tests/faults/chunking_properties_test.ts"];
const LOCK = ["tests/auth/session_tokens_lock_test.ts"];
const SELECT = ["tests/storage/select_store_test.ts"];
const OUTPUT = ["tests/cli/output_test.ts"];

/** Every mutation. */
export const MUTANTS: readonly Mutant[] = [
  {
    name: "trust: a trusted_sites entry matches the exact host, not a suffix",
    file: "lib/config/trust.ts",
    find: "normalizeSite(t) === site",
    replace: "site.endsWith(normalizeSite(t))",
    tests: TRUST,
  },
  {
    name: "trust: PUP_TRUST_SITE trusts only for 1 or true",
    file: "lib/config/trust.ts",
    find: 'env === "1" || env === "true"',
    replace: 'env !== ""',
    tests: TRUST,
  },
  {
    name: "expiry: the refresh window is 5 minutes",
    file: "lib/auth/expiry.ts",
    find: "REFRESH_MARGIN_SECONDS = 300",
    replace: "REFRESH_MARGIN_SECONDS = 240",
    tests: EXPIRY,
  },
  {
    name: "expiry: exactly 300 seconds left is inside the window",
    file: "lib/auth/expiry.ts",
    find: "nowMs >= expiresAtMs(t)",
    replace: "nowMs > expiresAtMs(t)",
    tests: EXPIRY,
  },
  {
    name: "chunks: a missing last chunk is detected",
    file: "lib/storage/chunking.ts",
    find: "if (records.length < n) {",
    replace: "if (records.length < n - 1) {",
    tests: CHUNKS,
  },
  {
    name: "atomic write: the new file replaces the old by rename, never in place",
    file: "lib/storage/atomic_write.ts",
    find: "await Deno.rename(tmp, path);",
    replace: "await Deno.writeFile(path, await Deno.readFile(tmp)); await Deno.remove(tmp);",
    tests: ["tests/storage/atomic_write_test.ts"],
  },
  {
    name: "atomic write: files are created 0600",
    file: "lib/storage/atomic_write.ts",
    find: "createNew: true, mode: 0o600",
    replace: "createNew: true, mode: 0o644",
    tests: ["tests/storage/atomic_write_test.ts"],
  },
  {
    name: "refresh: concurrent refreshes of one session hold a lock",
    file: "lib/auth/session_tokens.ts",
    find: "return await withLock(refreshLockPath(",
    replace:
      "return await ((_p: string, f: () => Promise<AccessTokenResult>) => f())(refreshLockPath(",
    tests: LOCK,
  },
  {
    name: "refresh: a refresh another process finished while we waited is used, not repeated",
    file: "lib/auth/session_tokens.ts",
    find: "if (someoneElseRefreshed) return",
    replace: "if (false) return",
    tests: LOCK,
  },
  {
    name: "refresh: the result merges only into the session holding the refresh token it spent",
    file: "lib/auth/session_tokens.ts",
    find: "if (stored.refresh_token !== m.latest.refresh_token) {",
    replace: "if (false) {",
    tests: ["tests/auth/session_tokens_test.ts"],
  },
  {
    name: "refresh: a session refreshes with the client that issued its tokens",
    file: "lib/auth/token_client.ts",
    find:
      'if (site && (tokens.client_id === "" || tokens.client_id === site.client_id)) return site;',
    replace: "if (site) return site;",
    tests: ["tests/auth/token_client_test.ts"],
  },
  {
    name: "chunks: a write keeps a journal copy until the chunks are whole",
    file: "lib/storage/chunk_writes.ts",
    find: "if (!keepJournal) {",
    replace: "if (false) {",
    tests: CHUNKS,
  },
  {
    name: "store: a login that would not fit the store is refused before the browser",
    file: "lib/storage/keychain_store.ts",
    find: "if (bytes > max) {",
    replace: "if (bytes > max * 2) {",
    tests: ["tests/storage/keychain_store_test.ts"],
  },
  {
    name: "selection: a present store in a bad state is reported, never skipped",
    file: "lib/storage/fallback_store.ts",
    find: "if (!(e instanceof StoreAbsentError)) {",
    replace: "if (false) {",
    tests: SELECT,
  },
  {
    name: "selection: a store that holds the site and fails its test write is an error",
    file: "lib/storage/fallback_store.ts",
    find: "|| e.holdsSite ||",
    replace: "||",
    tests: SELECT,
  },
  {
    name: "selection: a store that failed its test write is skipped from then on",
    file: "lib/storage/select_store.ts",
    find: "candidates.filter((c) => !marker?.skip.includes(c.backend))",
    replace: "candidates",
    tests: SELECT,
  },
  {
    name: "selection: each fallback warning is shown once per machine state",
    file: "lib/storage/select_store.ts",
    find: "if (marker?.warned.includes(line)) return;",
    replace: "",
    tests: SELECT,
  },
  {
    name: "Windows: a record that is not there (1168) is a value, not an error",
    file: "lib/storage/wincred.ts",
    find: "if (code === ERROR_NOT_FOUND) return null;",
    replace: "",
    tests: ["tests/storage/windows_credential_manager_test.ts"],
  },
  {
    name: "macOS: an existing item is modified in place",
    file: "lib/storage/macos_keychain.ts",
    find: "status = sec.SecKeychainItemModifyAttributesAndData(item, null, bytes.length, bytes);",
    replace: "status = -25299;",
    tests: ["tests/storage/macos_keychain_test.ts"],
  },
  {
    name: "macOS: every item reference is released",
    file: "lib/storage/macos_keychain.ts",
    find: "} finally {\n          sec.CFRelease(item);\n        }",
    replace: "} finally {\n          // released nowhere\n        }",
    tests: ["tests/storage/macos_keychain_test.ts"],
  },
  {
    name: "output: DD_OUTPUT wins over PUP_OUTPUT",
    file: "lib/cli/output.ts",
    find: '["DD_OUTPUT", "PUP_OUTPUT"]',
    replace: '["PUP_OUTPUT", "DD_OUTPUT"]',
    tests: OUTPUT,
  },
  {
    name: "output: CSV quotes fields with line breaks",
    file: "lib/cli/delimited.ts",
    find: '/[",\\r\\n]/',
    replace: '/[",]/',
    tests: OUTPUT,
  },
  {
    name: "read-only: a call that may change data is refused",
    file: "lib/cli/data_call.ts",
    find: "if (!readOnly || readSafe || READ_METHODS.has(request.method.toUpperCase())) return;",
    replace: "return;",
    tests: ["tests/cli/data_call_test.ts"],
  },
  {
    name: "callback: a wrong state is refused",
    file: "lib/auth/callback_handler.ts",
    find: "states.length > 1 || !constantTimeEqual(states[0], expectedState)",
    replace: "states.length > 1",
    tests: ["tests/auth/callback_handler_test.ts"],
  },
  {
    name: "PKCE: the verifier has 128 characters",
    file: "lib/auth/pkce.ts",
    find: "CODE_VERIFIER_LENGTH = 128",
    replace: "CODE_VERIFIER_LENGTH = 43",
    tests: ["tests/auth/pkce_test.ts"],
  },
  {
    name: "store format: integers stay integers (issued_at, expires_in)",
    file: "lib/storage/codec.ts",
    find: "!Number.isSafeInteger(v)",
    replace: "false",
    tests: ["tests/storage/codec_test.ts"],
  },
];
