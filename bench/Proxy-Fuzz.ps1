#requires -Version 7.4
<#
.SYNOPSIS
    The proxy's fuzz run at scale: the xUnit fuzz test (tests/Lakebase.Local.Tests/Security/HostileClientTests.cs) with
    -Cases hostile clients of the startup and authentication phases instead of CI's 10,000, -Parallel of them at once
    (CI: 16), against one Lakebase Local,
    while a legitimate session queries and logs in throughout. Prints its figures: cases and rate, whether the server
    still runs, exceptions that escaped a connection, hung cases, descriptors against the baseline, and the
    concurrent session's queries and errors.
#>
# -ModulePath is what build.ps1 -Task Bench passes every bench; this one drives the proxy from the xUnit project.
param([string] $ModulePath, [int] $Cases = 1000000, [int] $Parallel = 64, [int] $Seed = [Environment]::TickCount)
$ErrorActionPreference = 'Stop'
$root = Split-Path $PSScriptRoot
$project = Join-Path $root 'tests/Lakebase.Local.Tests'
dotnet build $project -c Release --nologo -v q | Out-Null
if ($LASTEXITCODE -ne 0) { throw 'build failed' }
$env:LAKEBASE_FUZZ_CASES = $Cases
$env:LAKEBASE_FUZZ_SEED = $Seed
$env:LAKEBASE_FUZZ_PARALLEL = $Parallel
try {
    $output = & dotnet test $project -c Release --no-build --nologo --filter 'FullyQualifiedName~HostileClientTests.Fuzzed' --logger 'console;verbosity=detailed' 2>&1
    $output | Where-Object { $_ -match 'fuzz: ' } | ForEach-Object { $_.Trim() }
    if ($LASTEXITCODE -ne 0) { $output | Select-Object -Last 40; throw 'the fuzz run failed' }
}
finally {
    Remove-Item Env:LAKEBASE_FUZZ_CASES, Env:LAKEBASE_FUZZ_SEED, Env:LAKEBASE_FUZZ_PARALLEL
}
