#requires -Version 7.4
<#
.SYNOPSIS
    Lakebase Local's data plane: the wake of a suspended compute (first query end to end, p50/p95, against the same
    query on an awake compute) and the proxy's cost (pgbench -S through the proxy as a ratio to a direct Unix socket).
#>
param([Parameter(Mandatory)] [string] $ModulePath, [int] $Wakes = 15, [int] $PgbenchSeconds = 10)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$root = Join-Path ([IO.Path]::GetTempPath()) "lakebase-bench-$PID"
New-Item -ItemType Directory $root | Out-Null
if (-not $IsWindows) { chmod 755 $root }
$bin = (Get-ChildItem /usr/lib/postgresql -Directory | Sort-Object { [int]$_.Name } -Descending | Select-Object -First 1).FullName + '/bin'
$server = Start-Process dotnet -ArgumentList @((Join-Path (Split-Path $ModulePath) 'local/Lakebase.Local.dll'), '--root', $root, '--port', '0', '--proxy-port', '0', '--min-suspend-timeout', '1') `
    -RedirectStandardOutput (Join-Path $root 'bench-server.log') -PassThru
try {
    while (-not (Get-LakebaseLocal -StateRoot $root)) { Start-Sleep -Milliseconds 100 }
    Connect-Lakebase -Local -StateRoot $root | Out-Null
    New-LakebaseProject bench -SuspendTimeout 1 | Out-Null
    $endpoint = Get-LakebaseEndpoint -ProjectId bench -BranchId production primary
    $env:PGPASSWORD = (Get-LakebaseCredential -ProjectId bench -BranchId production -AsPlainText).Token
    $user = (Get-LakebaseContext).UserName
    $proxied = "host=$($endpoint.Host) user=$user dbname=databricks_postgres sslmode=require"

    function Measure-Query { (Measure-Command { & psql $proxied -Atc 'SELECT 1' | Out-Null }).TotalMilliseconds }
    function Get-Percentile([double[]] $Values, [double] $P) { ($Values | Sort-Object)[[int][math]::Min($Values.Count - 1, [math]::Floor($P * $Values.Count))] }

    $awake = foreach ($i in 1..$Wakes) { Measure-Query }
    $wake = foreach ($i in 1..$Wakes) {
        while ((Get-LakebaseEndpoint -ProjectId bench -BranchId production primary).State -ne 'IDLE') { Start-Sleep -Milliseconds 100 }
        Measure-Query
    }
    'Wake of a suspended compute: first query end to end with psql ({0} samples each)' -f $Wakes
    '  awake     p50 {0,6:N0} ms   p95 {1,6:N0} ms' -f (Get-Percentile $awake 0.5), (Get-Percentile $awake 0.95)
    '  suspended p50 {0,6:N0} ms   p95 {1,6:N0} ms   (wake adds {2:N0} ms at p50; ratio {3:N2}x)' -f (Get-Percentile $wake 0.5), (Get-Percentile $wake 0.95),
        ((Get-Percentile $wake 0.5) - (Get-Percentile $awake 0.5)), ((Get-Percentile $wake 0.5) / (Get-Percentile $awake 0.5))

    Set-LakebaseEndpoint -ProjectId bench -BranchId production primary -NoSuspension | Out-Null
    & "$bin/pgbench" -i -s 10 -q $proxied 2>&1 | Out-Null
    $socket = Join-Path $root "run/$($endpoint.Raw.Uid)"
    function Invoke-Pgbench([string] $Connection) {
        $output = & "$bin/pgbench" -S -n -c 4 -j 2 -T $PgbenchSeconds $Connection 2>&1
        [double](($output | Select-String 'tps = ([\d.]+)').Matches[0].Groups[1].Value)
    }
    $direct = Invoke-Pgbench "host=$socket user=lakebase_admin dbname=databricks_postgres"
    $throughProxy = Invoke-Pgbench $proxied
    'Proxy cost: pgbench -S, 4 clients, {0} s each' -f $PgbenchSeconds
    '  direct Unix socket {0,10:N0} tps' -f $direct
    '  through the proxy  {0,10:N0} tps   ratio {1:N2} (TLS + splice; target >= 0.85)' -f $throughProxy, ($throughProxy / $direct)
}
finally {
    Remove-Item Env:PGPASSWORD -ErrorAction SilentlyContinue
    Stop-LakebaseLocal -StateRoot $root -Confirm:$false
    if (-not $server.HasExited) { $server.Kill() }
    Remove-Item $root -Recurse -Force -ErrorAction SilentlyContinue
}
