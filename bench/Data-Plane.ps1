#requires -Version 7.4
<#
.SYNOPSIS
    Lakebase Local's data plane: the wake of a suspended compute (first query end to end, p50/p95, against the same
    query on an awake compute, and on PostgreSQL 17 next to 15 as a ratio) and the proxy's cost (pgbench -S through the proxy as a ratio to a direct Unix socket),
    connections per second (pgbench -C -S) through the endpoint's host and its pooled host (PgBouncer behind the proxy)
    as ratios to a direct Unix socket, and the proxy's steady-state throughput next to a PgBouncer that terminates TLS.
#>
# -SkipWake leaves out the wake measurements, which need a quiet machine (their 1 s suspend timeout can pass between a
# wake and its first query when the machine is overloaded).
param([Parameter(Mandatory)] [string] $ModulePath, [int] $Wakes = 15, [int] $PgbenchSeconds = 10, [int] $Rounds = 3, [switch] $SkipWake)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$root = Join-Path ([IO.Path]::GetTempPath()) "lakebase-bench-$PID"
New-Item -ItemType Directory $root | Out-Null
if (-not $IsWindows) { chmod 755 $root }
$bin = (Get-ChildItem /usr/lib/postgresql -Directory | Sort-Object { [int]$_.Name } -Descending | Select-Object -First 1).FullName + '/bin'
$server = Start-Process dotnet -ArgumentList @((Join-Path (Split-Path $ModulePath) 'local/Lakebase.Local.dll'), '--root', $root, '--port', '0', '--proxy-port', '0', '--min-suspend-timeout', '1',
    '--legacy-pg-version', '15') `
    -RedirectStandardOutput (Join-Path $root 'bench-server.log') -PassThru
try {
    while (-not (Get-LakebaseLocal -StateRoot $root)) { Start-Sleep -Milliseconds 100 }
    Connect-Lakebase -Local -StateRoot $root | Out-Null
    New-LakebaseProject bench -SuspendTimeout 1 | Out-Null
    $endpoint = Get-LakebaseEndpoint -ProjectId bench -BranchId production primary
    $env:PGPASSWORD = Get-LakebaseCredential -ProjectId bench -BranchId production -AsPlainText
    $user = (Get-LakebaseContext).UserName
    $proxied = "host=$($endpoint.Host) user=$user dbname=databricks_postgres sslmode=require"

    function Measure-Query { (Measure-Command { & psql $proxied -Atc 'SELECT 1' | Out-Null }).TotalMilliseconds }
    function Measure-ModuleQuery { (Measure-Command { Invoke-LakebaseQuery -ProjectId bench -BranchId production 'SELECT 1' | Out-Null }).TotalMilliseconds }
    function Get-Percentile([double[]] $Values, [double] $P) { ($Values | Sort-Object)[[int][math]::Min($Values.Count - 1, [math]::Floor($P * $Values.Count))] }
    function Wait-Suspended([string] $Project = 'bench') { while ((Get-LakebaseEndpoint -ProjectId $Project -BranchId production primary).State -ne 'IDLE') { Start-Sleep -Milliseconds 100 } }
    function Write-Latency([string] $Label, [double[]] $Values) { '  {0,-32} p50 {1,6:N0} ms   p95 {2,6:N0} ms' -f $Label, (Get-Percentile $Values 0.5), (Get-Percentile $Values 0.95) }

    if (-not $SkipWake) {
        $awake = foreach ($i in 1..$Wakes) { Measure-Query }
        $wake = foreach ($i in 1..$Wakes) { Wait-Suspended; Measure-Query }
        $null = Measure-ModuleQuery
        $moduleAwake = foreach ($i in 1..$Wakes) { Measure-ModuleQuery }
        $moduleWake = foreach ($i in 1..$Wakes) { Wait-Suspended; Measure-ModuleQuery }
        'Wake of a suspended compute: first query end to end, measured as soon as the endpoint reports IDLE ({0} samples each)' -f $Wakes
        Write-Latency 'psql, awake' $awake
        Write-Latency 'psql, suspended' $wake
        Write-Latency 'Invoke-LakebaseQuery, awake' $moduleAwake
        Write-Latency 'Invoke-LakebaseQuery, suspended' $moduleWake
        '  (target: suspended p50 < 250 ms; psql includes its own start, about the awake figure)'

        # The same wake on a PostgreSQL 15 project, alternated with the 17 one (the default) so both see the same machine.
        New-LakebaseProject bench15 -PgVersion 15 -SuspendTimeout 1 | Out-Null
        function Measure-Wake([string] $Project) {
            Wait-Suspended $Project
            (Measure-Command { Invoke-LakebaseQuery -ProjectId $Project -BranchId production 'SELECT 1' | Out-Null }).TotalMilliseconds
        }
        $wake15 = [Collections.Generic.List[double]]::new()
        $wake17 = [Collections.Generic.List[double]]::new()
        foreach ($i in 1..$Wakes) { $wake15.Add((Measure-Wake bench15)); $wake17.Add((Measure-Wake bench)) }
        'Wake on PostgreSQL 17 next to 15 (Invoke-LakebaseQuery, alternated, {0} samples each)' -f $Wakes
        Write-Latency 'PostgreSQL 15, suspended' $wake15
        Write-Latency 'PostgreSQL 17, suspended' $wake17
        '  p50 ratio 17/15: {0:N2}' -f ((Get-Percentile $wake17 0.5) / (Get-Percentile $wake15 0.5))
    }

    Set-LakebaseEndpoint -ProjectId bench -BranchId production primary -NoSuspension | Out-Null
    & "$bin/pgbench" -i -s 10 -q $proxied 2>&1 | Out-Null
    $socket = Join-Path $root "run/$($endpoint.Raw.Uid)"
    $direct = "host=$socket user=lakebase_admin dbname=databricks_postgres"
    # The same pgbench run on both sides: select-only, simple protocol, same clients, threads and duration. Clients must
    # use TLS to reach the proxy (as with Lakebase), so the proxied side also pays for TLS in pgbench itself.
    # The whole machine's busy CPU time (all cores, from /proc/stat) per transaction: pgbench, postgres and the proxy.
    function Get-BusySeconds { $ticks = (Get-Content /proc/stat -TotalCount 1) -split ' +' | Select-Object -Skip 1 | ForEach-Object { [double]$_ }; ($ticks[0] + $ticks[1] + $ticks[2] + $ticks[5] + $ticks[6]) / 100 }
    function Invoke-Pgbench([string] $Connection, [int] $Clients, [string[]] $Options = @()) {
        $busy = Get-BusySeconds
        $output = & "$bin/pgbench" -S -n -M simple @Options -c $Clients -j ([math]::Min($Clients, 2)) -T $PgbenchSeconds $Connection 2>&1
        $transactions = [long](($output | Select-String 'actually processed: (\d+)').Matches[0].Groups[1].Value)
        [pscustomobject]@{
            Tps          = [double](($output | Select-String 'tps = ([\d.]+)').Matches[0].Groups[1].Value)
            Transactions = $transactions
            CpuMicroseconds = ((Get-BusySeconds) - $busy) * 1e6 / $transactions
        }
    }
    # The same through a relay (the proxy, or PgBouncer below), with the relay process's own CPU time per transaction.
    function Invoke-Relayed([string] $Connection, [int] $Clients, [int] $RelayId) {
        $before = (Get-Process -Id $RelayId).TotalProcessorTime
        $run = Invoke-Pgbench $Connection $Clients
        $run | Add-Member RelayMicroseconds (((Get-Process -Id $RelayId).TotalProcessorTime - $before).TotalMicroseconds / $run.Transactions) -PassThru
    }
    function Get-Median([double[]] $Values) { ($Values | Sort-Object)[[int][math]::Floor($Values.Count / 2)] }
    'Proxy cost: pgbench -S, {0} s per run, direct and proxied runs alternated {1} times (medians)' -f $PgbenchSeconds, $Rounds
    foreach ($clients in 4, 1) {
        $directRuns = [Collections.Generic.List[object]]::new()
        $proxiedRuns = [Collections.Generic.List[object]]::new()
        foreach ($round in 1..$Rounds) {
            $directRuns.Add((Invoke-Pgbench $direct $clients))
            $proxiedRuns.Add((Invoke-Relayed $proxied $clients $server.Id))
        }
        $directTps = Get-Median $directRuns.Tps
        $proxiedTps = Get-Median $proxiedRuns.Tps
        $directCpu = Get-Median $directRuns.CpuMicroseconds
        $proxiedCpu = Get-Median $proxiedRuns.CpuMicroseconds
        '  {0} client(s): direct Unix socket {1,8:N0} tps   through the proxy (TLS) {2,8:N0} tps   ratio {3:N2}' -f $clients, $directTps, $proxiedTps, ($proxiedTps / $directTps)
        $relayCpu = Get-Median $proxiedRuns.RelayMicroseconds
        '               machine CPU per transaction: direct {0,4:N0} us, proxied {1,4:N0} us (the proxy itself {2:N0} us); with every core busy the ratio can be at most {3:N2},' -f `
            $directCpu, $proxiedCpu, $relayCpu, ($directCpu / $proxiedCpu)
        '               and {0:N2} with a proxy that cost nothing (what is left is TLS and TCP in pgbench and the kernel)' -f ($directCpu / ($proxiedCpu - $relayCpu))
    }
    '  (target ratio >= 0.85; with as many cores as busy processes. On a machine whose cores pgbench, postgres and the'
    '   proxy all share, the ratio is bounded by the CPU the relay and TLS take, even for a native relay.)'

    # A connection per transaction (pgbench -C), as an app that connects per request makes them: the direct socket
    # forks a backend per connection, the endpoint's host adds TLS and the token check, and the pooled host adds the
    # same but hands the session to the endpoint's PgBouncer, which keeps its server connections.
    $pooled = "host=$($endpoint.PooledHost) user=$user dbname=databricks_postgres sslmode=require"
    $sides = [ordered]@{ 'direct Unix socket' = $direct; 'host (TLS proxy)' = $proxied; 'pooled host (TLS proxy, PgBouncer)' = $pooled }
    $connectRuns = @{}
    foreach ($side in $sides.Keys) { $connectRuns[$side] = [Collections.Generic.List[double]]::new() }
    foreach ($round in 1..$Rounds) { foreach ($side in $sides.Keys) { $connectRuns[$side].Add((Invoke-Pgbench $sides[$side] 4 '-C').Tps) } }
    'Connections per second: pgbench -C -S, 4 clients, {0} s per run, the three alternated {1} times (medians)' -f $PgbenchSeconds, $Rounds
    $directConnects = Get-Median $connectRuns['direct Unix socket']
    foreach ($side in $sides.Keys) {
        $rate = Get-Median $connectRuns[$side]
        '  {0,-36} {1,8:N0} connections/s   ratio to direct {2:N2}' -f $side, $rate, ($rate / $directConnects)
    }
    '  pooled host / host: {0:N1}x (target >= 5x)' -f ((Get-Median $connectRuns['pooled host (TLS proxy, PgBouncer)']) / (Get-Median $connectRuns['host (TLS proxy)']))

    # The proxy next to PgBouncer doing the same job: TLS from pgbench, a password, then each session relayed to the
    # compute's socket (session mode, so every transaction crosses it as through the proxy). Run for this bench only.
    $bouncer = New-Item -ItemType Directory (Join-Path $root 'bench-pgbouncer')
    $benchPassword = [Convert]::ToHexString([Security.Cryptography.RandomNumberGenerator]::GetBytes(16))
    & openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj '/CN=localhost' `
        -keyout (Join-Path $bouncer 'key.pem') -out (Join-Path $bouncer 'cert.pem') 2>&1 | Out-Null
    Set-Content (Join-Path $bouncer 'users.txt') "`"$user`" `"$benchPassword`""
    $listener = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0); $listener.Start(); $bouncerPort = $listener.LocalEndpoint.Port; $listener.Stop()
    @"
[databases]
databricks_postgres = host=$socket port=5432
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $bouncerPort
unix_socket_dir =
pidfile = $bouncer/pgbouncer.pid
logfile = $bouncer/pgbouncer.log
auth_type = plain
auth_file = $bouncer/users.txt
pool_mode = session
max_client_conn = 100
default_pool_size = 20
client_tls_sslmode = require
client_tls_key_file = $bouncer/key.pem
client_tls_cert_file = $bouncer/cert.pem
"@ | Set-Content (Join-Path $bouncer 'pgbouncer.ini')
    chmod 600 (Join-Path $bouncer 'users.txt') (Join-Path $bouncer 'key.pem') (Join-Path $bouncer 'pgbouncer.ini')
    # As root, PgBouncer runs as postgres, the account that may reach the compute's socket.
    $start = @(if ((id -u) -eq '0') { chown -R postgres $bouncer; 'setpriv', '--reuid=postgres', '--regid=postgres', '--clear-groups', '--' }) +
        @('/usr/sbin/pgbouncer', '-d', '-q', (Join-Path $bouncer 'pgbouncer.ini'))
    & $start[0] @($start | Select-Object -Skip 1)
    while (-not (Test-Path (Join-Path $bouncer 'pgbouncer.pid'))) { Start-Sleep -Milliseconds 50 }
    $bouncerPid = [int](Get-Content (Join-Path $bouncer 'pgbouncer.pid'))
    try {
        $viaBouncer = "host=127.0.0.1 port=$bouncerPort user=$user password=$benchPassword dbname=databricks_postgres sslmode=require"
        $proxyRuns = [Collections.Generic.List[object]]::new()
        $bouncerRuns = [Collections.Generic.List[object]]::new()
        foreach ($round in 1..$Rounds) { $proxyRuns.Add((Invoke-Relayed $proxied 4 $server.Id)); $bouncerRuns.Add((Invoke-Relayed $viaBouncer 4 $bouncerPid)) }
        'Steady state next to PgBouncer: pgbench -S, 4 clients, TLS on both, alternated {0} times (medians)' -f $Rounds
        '  through the proxy {0,8:N0} tps   through PgBouncer 1.18 (session mode) {1,8:N0} tps   ratio {2:N2} (target >= 1)' -f `
            (Get-Median $proxyRuns.Tps), (Get-Median $bouncerRuns.Tps), ((Get-Median $proxyRuns.Tps) / (Get-Median $bouncerRuns.Tps))
        '  the relay''s own CPU per transaction: the proxy {0:N0} us (Lakebase Local''s background work included), PgBouncer {1:N0} us' -f `
            (Get-Median $proxyRuns.RelayMicroseconds), (Get-Median $bouncerRuns.RelayMicroseconds)
    }
    finally {
        kill $bouncerPid
    }
}
finally {
    Remove-Item Env:PGPASSWORD -ErrorAction SilentlyContinue
    Stop-LakebaseLocal -StateRoot $root -Confirm:$false
    if (-not $server.HasExited) { $server.Kill() }
    Remove-Item $root -Recurse -Force -ErrorAction SilentlyContinue
}
