#requires -Version 7.4
<#
.SYNOPSIS
    The chaos harness of Lakebase Local, long: cycles of mixed operations each cut by a kill -9 of the server, a compute
    or both, then the invariants (no committed row lost, API and PostgreSQL agree, no orphan process, every cut-off
    operation settled). It is the xUnit test ChaosTests run with more cycles; CI runs it with 5.
.PARAMETER ModulePath
    Unused: the harness drives Lakebase Local over HTTP (taken so build.ps1 -Task Bench can run every bench alike).
#>
param([string] $ModulePath, [int] $Cycles = 100, [int] $Seed = (Get-Random -Maximum 1000000))
$ErrorActionPreference = 'Stop'
$root = Split-Path $PSScriptRoot
$report = Join-Path ([IO.Path]::GetTempPath()) "lakebase-chaos-$PID.txt"
$env:LAKEBASE_CHAOS_CYCLES = $Cycles
$env:LAKEBASE_CHAOS_SEED = $Seed
$env:LAKEBASE_CHAOS_REPORT = $report
try {
    $output = dotnet test (Join-Path $root 'tests/Lakebase.Local.Tests') -c Release --no-build --filter 'FullyQualifiedName~ChaosTests'
    if (-not (Test-Path $report)) { $output; throw "The chaos run stopped before its end (its output is above)." }
    Get-Content $report
    if ($LASTEXITCODE -ne 0) { throw "The chaos run found lost rows, violations or orphans (listed above)." }
}
finally {
    Remove-Item Env:LAKEBASE_CHAOS_CYCLES, Env:LAKEBASE_CHAOS_SEED, Env:LAKEBASE_CHAOS_REPORT -ErrorAction SilentlyContinue
    Remove-Item $report -ErrorAction SilentlyContinue
}
