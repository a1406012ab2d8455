#requires -Version 7.4
<#
.SYNOPSIS
    What importing the module costs: pwsh start + Import-Module, as a ratio to a bare pwsh start, in the same script.
#>
param([Parameter(Mandatory)] [string] $ModulePath, [int] $Runs = 7)
$ErrorActionPreference = 'Stop'
$pwsh = if ([IO.Path]::GetFileNameWithoutExtension([Environment]::ProcessPath) -eq 'dotnet') { [Environment]::ProcessPath, (Join-Path $PSHOME 'pwsh.dll') } else { , [Environment]::ProcessPath }

function Measure-Median([string] $Command) {
    $times = foreach ($run in 1..$Runs) {
        $arguments = @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-Command', $Command)
        (Measure-Command { & $pwsh[0] @arguments | Out-Null }).TotalMilliseconds
    }
    ($times | Sort-Object)[[int][math]::Floor($Runs / 2)]
}

$bare = Measure-Median 'exit'
$import = Measure-Median "Import-Module '$ModulePath'; exit"
'Import-Module cost ({0} runs, medians)' -f $Runs
'  bare pwsh start      {0,8:N0} ms' -f $bare
'  pwsh + Import-Module {0,8:N0} ms' -f $import
'  ratio                {0,8:N2}x  (import alone: {1:N0} ms)' -f ($import / $bare), ($import - $bare)
