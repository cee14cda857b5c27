/**
 * The PowerShell script the Windows backend runs: a small fixed interpreter of credential
 * primitives. It reads one batch from stdin (base64 of UTF-8 JSON `{"ops": [...]}`), runs the
 * primitives in order against the Credential Manager, stops at the first failure, and prints
 * one ASCII line of JSON. The script text never changes and never holds data, so it can travel
 * in `-EncodedCommand` while secrets travel on stdin (SPEC §6.2, secure-store-tools.md:
 * "`-Command -`", "stdin encoding").
 *
 * UNVERIFIED ON REAL WINDOWS: nothing here can run PowerShell. The script follows Microsoft's
 * documented shapes (CredReadW/CredWriteW/CredDeleteW/CredFree in advapi32, CREDENTIALW field
 * order, ERROR_NOT_FOUND 1168) and PSReflect's way of declaring P/Invoke through reflection:
 * a dynamic assembly whose methods carry a `DllImportAttribute` with `SetLastError`, which
 * `DefinePInvokeMethod` cannot express. No `Add-Type`, so no C# compiler per process
 * (secure-store-tools.md: "its cost", "faster, no module"). `tests/_fakes/fake_powershell.ts`
 * interprets the same batches.
 *
 * Primitives (`target` is the full TargetName; blobs are base64 of UTF-16LE bytes):
 * - `read {target}` → `{"found":false}` | `{"found":true,"blob":B,"lw":"<FILETIME>"}`
 * - `write {target,user,blob}` → `{"ok":true}`; a generic credential, Persist ENTERPRISE,
 *   UserName `user`, Comment `keyring v3.6.3`, TargetAlias empty: the keyring 3.6.3 record
 * - `delete {target}` → `{"found":true|false}`
 * - `readSeq {prefix,suffix,start}` → `{"items":[{"blob":B,"lw":L},…]}`: `<prefix><i><suffix>`
 *   from `start` up to the first missing one
 * - `deleteSeq {prefix,suffix,start}` → `{"deleted":n}`: that run, highest index first
 * Output: `{"results":[…],"error":null|{"index":i,"fn":"CredWriteW","code":n}}`, or
 * `{"fatal":"<exception type> at line <n>"}` (never an exception message: it could quote data).
 *
 * @module
 */

/** The interpreter's source. `tests/_fakes/fake_powershell.ts` checks it receives exactly this. */
export const WINDOWS_SCRIPT = String.raw`$ErrorActionPreference = 'Stop'
$M = [Runtime.InteropServices.Marshal]
function Add-Native($tb, $name, $ret, $params) {
  $mb = $tb.DefineMethod($name, 'Public,Static,PinvokeImpl', $ret, $params)
  for ($i = 0; $i -lt $params.Length; $i++) {
    if ($params[$i].IsByRef) { [void]$mb.DefineParameter($i + 1, 'Out', $null) }
  }
  $dll = [Runtime.InteropServices.DllImportAttribute]
  $fields = [Reflection.FieldInfo[]]@($dll.GetField('SetLastError'), $dll.GetField('CharSet'), $dll.GetField('EntryPoint'))
  $values = [Object[]]@($true, [Runtime.InteropServices.CharSet]::Unicode, $name)
  $cab = New-Object Reflection.Emit.CustomAttributeBuilder($dll.GetConstructor([Type[]]@([string])), [Object[]]@('advapi32.dll'), $fields, $values)
  $mb.SetCustomAttribute($cab)
}
function Out-Json($o) { [Console]::Out.Write($o); [Console]::Out.Flush() }
try {
  $asm = [AppDomain]::CurrentDomain.DefineDynamicAssembly((New-Object Reflection.AssemblyName 'PupCred'), [Reflection.Emit.AssemblyBuilderAccess]::Run)
  $tb = $asm.DefineDynamicModule('PupCred', $false).DefineType('PupCred.Native', 'Public,Class')
  Add-Native $tb 'CredReadW' ([bool]) ([Type[]]@([string], [int], [int], [IntPtr].MakeByRefType()))
  Add-Native $tb 'CredWriteW' ([bool]) ([Type[]]@([IntPtr], [int]))
  Add-Native $tb 'CredDeleteW' ([bool]) ([Type[]]@([string], [int], [int]))
  Add-Native $tb 'CredFree' ([void]) ([Type[]]@([IntPtr]))
  $N = $tb.CreateType()
  # CREDENTIALW offsets for this pointer size (x64: 80 bytes, x86: 52).
  $P = [IntPtr]::Size
  $oTarget = 8; $oComment = 8 + $P; $oWritten = 8 + 2 * $P; $oSize = 16 + 2 * $P
  $oBlob = [int]([Math]::Ceiling((20 + 2 * $P) / $P) * $P); $oPersist = $oBlob + $P
  $oAttrs = [int]([Math]::Ceiling(($oPersist + 8) / $P) * $P); $oAlias = $oAttrs + $P
  $oUser = $oAlias + $P; $size = $oUser + $P
  function Read-Cred($target) {
    $p = [IntPtr]::Zero
    $ok = $N::CredReadW($target, 1, 0, [ref]$p); $err = $M::GetLastWin32Error()
    if (-not $ok) { if ($err -eq 1168) { return $null }; throw [ComponentModel.Win32Exception]$err }
    try {
      $n = $M::ReadInt32($p, $oSize); $bytes = New-Object byte[] $n
      if ($n -gt 0) { $M::Copy($M::ReadIntPtr($p, $oBlob), $bytes, 0, $n) }
      return '{"blob":"' + [Convert]::ToBase64String($bytes) + '","lw":"' + $M::ReadInt64($p, $oWritten) + '"}'
    } finally { $N::CredFree($p) }
  }
  function Write-Cred($target, $user, $blob) {
    $bytes = [Convert]::FromBase64String($blob)
    $mem = $M::AllocHGlobal($size); $ptrs = @()
    try {
      for ($i = 0; $i -lt $size; $i++) { $M::WriteByte($mem, $i, 0) }
      $ptrs += $M::StringToHGlobalUni($target); $M::WriteIntPtr($mem, $oTarget, $ptrs[-1])
      $ptrs += $M::StringToHGlobalUni('keyring v3.6.3'); $M::WriteIntPtr($mem, $oComment, $ptrs[-1])
      $ptrs += $M::AllocHGlobal([Math]::Max(1, $bytes.Length)); $M::WriteIntPtr($mem, $oBlob, $ptrs[-1])
      if ($bytes.Length -gt 0) { $M::Copy($bytes, 0, $ptrs[-1], $bytes.Length) }
      $ptrs += $M::StringToHGlobalUni(''); $M::WriteIntPtr($mem, $oAlias, $ptrs[-1])
      $ptrs += $M::StringToHGlobalUni($user); $M::WriteIntPtr($mem, $oUser, $ptrs[-1])
      $M::WriteInt32($mem, 4, 1); $M::WriteInt32($mem, $oSize, $bytes.Length); $M::WriteInt32($mem, $oPersist, 3)
      $ok = $N::CredWriteW($mem, 0); $err = $M::GetLastWin32Error()
      if (-not $ok) { throw [ComponentModel.Win32Exception]$err }
    } finally { foreach ($q in $ptrs) { $M::FreeHGlobal($q) }; $M::FreeHGlobal($mem) }
  }
  function Remove-Cred($target) {
    $ok = $N::CredDeleteW($target, 1, 0); $err = $M::GetLastWin32Error()
    if ($ok) { return $true }; if ($err -eq 1168) { return $false }
    throw [ComponentModel.Win32Exception]$err
  }
  $batch = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String([Console]::In.ReadToEnd().Trim())) | ConvertFrom-Json
  $results = New-Object Collections.Generic.List[string]
  $failure = 'null'; $fn = ''; $index = 0
  try {
    foreach ($op in $batch.ops) {
      switch ($op.op) {
        'read' { $fn = 'CredReadW'; $r = Read-Cred $op.target
          if ($null -eq $r) { $results.Add('{"found":false}') } else { $results.Add('{"found":true,' + $r.Substring(1)) } }
        'write' { $fn = 'CredWriteW'; Write-Cred $op.target $op.user $op.blob; $results.Add('{"ok":true}') }
        'delete' { $fn = 'CredDeleteW'; $f = Remove-Cred $op.target; $results.Add('{"found":' + $(if ($f) { 'true' } else { 'false' }) + '}') }
        'readSeq' { $fn = 'CredReadW'; $items = @(); $i = [int]$op.start
          while ($items.Count -lt 4096) { $r = Read-Cred ($op.prefix + $i + $op.suffix); if ($null -eq $r) { break }; $items += $r; $i++ }
          $results.Add('{"items":[' + ($items -join ',') + ']}') }
        'deleteSeq' { $fn = 'CredReadW'; $end = [int]$op.start
          while (($end - [int]$op.start) -lt 4096 -and $null -ne (Read-Cred ($op.prefix + $end + $op.suffix))) { $end++ }
          $fn = 'CredDeleteW'; for ($i = $end - 1; $i -ge [int]$op.start; $i--) { [void](Remove-Cred ($op.prefix + $i + $op.suffix)) }
          $results.Add('{"deleted":' + ($end - [int]$op.start) + '}') }
        default { throw [ArgumentException]'unknown primitive' }
      }
      $index++
    }
  } catch [ComponentModel.Win32Exception] {
    $failure = '{"index":' + $index + ',"fn":"' + $fn + '","code":' + $_.Exception.NativeErrorCode + '}'
  }
  Out-Json ('{"results":[' + ($results -join ',') + '],"error":' + $failure + '}')
  exit 0
} catch {
  Out-Json ('{"fatal":"' + $_.Exception.GetType().FullName + ' at line ' + $_.InvocationInfo.ScriptLineNumber + '"}')
  exit 1
}
`;

/**
 * `-EncodedCommand`'s argument: base64 of the script's UTF-16LE bytes.
 *
 * @param script PowerShell source
 * @returns the base64 text
 */
export function encodePowerShellCommand(script: string): string {
  const bytes = new Uint8Array(script.length * 2);
  for (let i = 0; i < script.length; i++) {
    const unit = script.charCodeAt(i);
    bytes[2 * i] = unit & 0xff;
    bytes[2 * i + 1] = unit >> 8;
  }
  return bytes.toBase64();
}

/** The exact argv (after the program) of every PowerShell run. */
export function powerShellArgs(): string[] {
  return [
    "-NoProfile",
    "-NonInteractive",
    "-EncodedCommand",
    encodePowerShellCommand(WINDOWS_SCRIPT),
  ];
}
