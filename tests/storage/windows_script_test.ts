import assert from "node:assert/strict";
import {
  encodePowerShellCommand,
  powerShellArgs,
  WINDOWS_SCRIPT,
} from "../../lib/storage/windows_script.ts";

Deno.test("the PowerShell script declares P/Invoke through reflection, never Add-Type", () => {
  assert.doesNotMatch(WINDOWS_SCRIPT, /Add-Type/i);
  for (
    const needed of [
      "DefineDynamicAssembly",
      "DllImportAttribute",
      "'SetLastError'",
      "advapi32.dll",
    ]
  ) {
    assert.ok(WINDOWS_SCRIPT.includes(needed), needed);
  }
  for (const fn of ["CredReadW", "CredWriteW", "CredDeleteW", "CredFree"]) {
    assert.match(WINDOWS_SCRIPT, new RegExp(`Add-Native \\$tb '${fn}'`));
  }
});

Deno.test("the PowerShell script writes keyring 3.6.3's record: generic, enterprise, its comment", () => {
  assert.match(WINDOWS_SCRIPT, /WriteInt32\(\$mem, 4, 1\)/); // Type = CRED_TYPE_GENERIC
  assert.match(WINDOWS_SCRIPT, /WriteInt32\(\$mem, \$oPersist, 3\)/); // CRED_PERSIST_ENTERPRISE
  assert.ok(WINDOWS_SCRIPT.includes("StringToHGlobalUni('keyring v3.6.3')"));
  assert.ok(WINDOWS_SCRIPT.includes("-eq 1168")); // ERROR_NOT_FOUND is "not found", not an error
});

Deno.test("the PowerShell script is ASCII and reads its data only from stdin", () => {
  const nonAscii = [...WINDOWS_SCRIPT].filter((c) => c !== "\n" && (c < " " || c > "~"));
  assert.deepEqual(nonAscii, []);
  assert.ok(WINDOWS_SCRIPT.includes("[Console]::In.ReadToEnd()"));
  assert.doesNotMatch(WINDOWS_SCRIPT, /\$\{|undefined/); // no template leftovers
});

Deno.test("encodePowerShellCommand() is base64 of UTF-16LE, within Windows' command-line limit", () => {
  assert.equal(encodePowerShellCommand("ab"), "YQBiAA==");
  const args = powerShellArgs();
  assert.deepEqual(args.slice(0, 3), ["-NoProfile", "-NonInteractive", "-EncodedCommand"]);
  const decoded = new TextDecoder("utf-16le").decode(Uint8Array.fromBase64(args[3]));
  assert.equal(decoded, WINDOWS_SCRIPT);
  assert.ok(args.join(" ").length < 32_000, "CreateProcess takes at most 32767 characters");
});
