#requires -Version 7.4
<#
.SYNOPSIS
    What importing the module costs: pwsh start + Import-Module, as a ratio to a bare pwsh start, in the same script.
#>
param([Parameter(Mandatory)] [string] $ModulePath, [int] $Runs = 11)
$ErrorActionPreference = 'Stop'
$pwsh = if ([IO.Path]::GetFileNameWithoutExtension([Environment]::ProcessPath) -eq 'dotnet') { [Environment]::ProcessPath, (Join-Path $PSHOME 'pwsh.dll') } else { , [Environment]::ProcessPath }

function Measure-Start([string] $Command) {
    $arguments = @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-Command', $Command)
    (Measure-Command { & $pwsh[0] @arguments | Out-Null }).TotalMilliseconds
}

function Get-Median([double[]] $Times) { ($Times | Sort-Object)[[int][math]::Floor($Times.Count / 2)] }

# Alternated, so a machine that gets busier or quieter during the run weighs on both sides alike.
$bareTimes = [Collections.Generic.List[double]]::new()
$importTimes = [Collections.Generic.List[double]]::new()
foreach ($run in 1..$Runs) {
    $bareTimes.Add((Measure-Start 'exit'))
    $importTimes.Add((Measure-Start "Import-Module '$ModulePath'; exit"))
}
$bare = Get-Median $bareTimes
$import = Get-Median $importTimes
'Import-Module cost ({0} alternated runs, medians)' -f $Runs
'  bare pwsh start      {0,8:N0} ms' -f $bare
'  pwsh + Import-Module {0,8:N0} ms' -f $import
'  ratio                {0,8:N2}x  (import alone: {1:N0} ms)' -f ($import / $bare), ($import - $bare)
