# SQL from the pipeline against a real Lakebase Local: credentials, migrations, parameters, typed rows, wake, expiry,
# cancellation, routing by endpoint name.
BeforeAll {
    Import-Module $env:LAKEBASE_MODULE_PATH -Force
    $script:root = Join-Path ([IO.Path]::GetTempPath()) ("lbq-" + [guid]::NewGuid().ToString('N').Substring(0, 10))
    New-Item -ItemType Directory $root | Out-Null
    if (-not $IsWindows) { chmod 755 $root }
    # Started by hand for a test-only limit: credentials may live 1 second, so one can expire during a test.
    $serverPath = Join-Path (Split-Path $env:LAKEBASE_MODULE_PATH) 'local/Lakebase.Local.dll'
    Start-Process dotnet -ArgumentList $serverPath, '--root', $root, '--port', '0', '--min-credential-ttl', '1' `
        -RedirectStandardOutput (Join-Path $root 'test-server.log') | Out-Null
    $deadline = [DateTime]::UtcNow.AddSeconds(60)
    while (-not (Get-LakebaseLocal -StateRoot $root) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
    $script:context = Connect-Lakebase -Local -StateRoot $root
    New-LakebaseProject 'query-app' | Out-Null
    $script:branch = Get-LakebaseProject query-app | New-LakebaseBranch -Name 'work'
    $script:work = @{ ProjectId = 'query-app'; BranchId = 'work' }

    # How many sessions on the work branch are running exactly this statement now.
    function Get-Running([string] $Statement) {
        $branch | Invoke-LakebaseQuery "SELECT count(*) FROM pg_stat_activity WHERE query = @statement AND state = 'active'" -Parameters @{ statement = $Statement } -As Scalar
    }
}

AfterAll {
    Stop-LakebaseLocal -StateRoot $root -Confirm:$false
    Remove-Item $root -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Get-LakebaseCredential' {
    It 'returns the token as a SecureString with who and where it is for' {
        $credential = $branch | Get-LakebaseCredential
        $credential.Token | Should -BeOfType [securestring]
        [Lakebase.PowerShell.Objects.LakebaseCredential].GetProperty('Token').PropertyType | Should -Be ([securestring])
        $credential.UserName | Should -Be $context.UserName
        $credential.Database | Should -Be 'databricks_postgres'
        $credential.Host | Should -Be ($branch | Get-LakebaseEndpoint).Host
        ($credential.ExpireTime - [DateTimeOffset]::UtcNow).TotalMinutes | Should -BeGreaterThan 55
    }

    It 'gives plain text only when asked, and a connection string psql accepts' {
        $branch | Get-LakebaseCredential -AsPlainText | Should -BeOfType [string]
        $connectionString = $branch | Get-LakebaseCredential -AsConnectionString
        $output = & psql $connectionString -At -c 'SELECT current_user'
        $LASTEXITCODE | Should -Be 0
        $output | Should -Be $context.UserName
    }

    It 'names the endpoint''s pooled host with -Pooled, in the object and in a connection string psql accepts' {
        $endpoint = $branch | Get-LakebaseEndpoint
        $endpoint.PooledHost | Should -Not -BeNullOrEmpty
        $endpoint.PooledHost | Should -Not -Be $endpoint.Host
        ($branch | Get-LakebaseCredential -Pooled).Host | Should -Be $endpoint.PooledHost
        $connectionString = $branch | Get-LakebaseCredential -AsConnectionString -Pooled
        $connectionString | Should -BeLike "host=$($endpoint.PooledHost) *"
        & psql $connectionString -At -c 'SELECT current_user' | Should -Be $context.UserName
        $LASTEXITCODE | Should -Be 0
    }
}

Describe 'Get-LakebaseCredential scopes' {
    It 'takes an expiry time instead of a TTL, and refuses both at once' {
        $expires = [DateTimeOffset]::UtcNow.AddMinutes(10)
        $credential = $branch | Get-LakebaseCredential -ExpireTime $expires
        # The expiry asked for, in the token's whole seconds: never later than asked, and not a clock's drift earlier.
        $credential.ExpireTime | Should -Be ([DateTimeOffset]::FromUnixTimeSeconds($expires.ToUnixTimeSeconds()))
        { $branch | Get-LakebaseCredential -Ttl 10m -ExpireTime $expires -ErrorAction Stop } | Should -Throw '*either -Ttl or -ExpireTime*'
    }

    It 'gives a credential that can only read the tables named' {
        $branch | Invoke-LakebaseQuery 'CREATE TABLE shared_report (id int); INSERT INTO shared_report VALUES (1); CREATE TABLE private_notes (id int)' | Out-Null
        $scoped = $branch | Get-LakebaseCredential -ReadOnlyTable 'query_app.public.shared_report' -AsConnectionString
        & psql $scoped -Atc 'SELECT count(*) FROM shared_report' | Should -Be 1
        & psql $scoped -Atc 'SELECT count(*) FROM private_notes' 2>&1 | Out-String | Should -BeLike '*permission denied*'
        & psql $scoped -Atc 'INSERT INTO shared_report VALUES (2)' 2>&1 | Out-String | Should -BeLike '*read-only transaction*'
    }

    It 'logs in as a group''s role with -GroupName' {
        $branch | New-LakebaseRole analysts -IdentityType Group -AuthMethod LakebaseOAuth | Out-Null
        $credential = $branch | Get-LakebaseCredential -GroupName analysts
        $credential.UserName | Should -Be 'analysts'
        & psql ($branch | Get-LakebaseCredential -GroupName analysts -AsConnectionString) -Atc 'SELECT current_user' | Should -Be 'analysts'
    }
}

Describe 'Invoke-LakebaseQuery' {
    It 'runs a migration file all-or-nothing in a transaction' {
        $good = Join-Path $TestDrive 'good.sql'
        Set-Content $good "CREATE TABLE orders (id int PRIMARY KEY, item text, amount numeric(10,2), placed timestamptz, paid bool);`nINSERT INTO orders SELECT g, 'item ' || g, g * 1.5, now(), g % 2 = 0 FROM generate_series(1, 100) g;"
        $bad = Join-Path $TestDrive 'bad.sql'
        Set-Content $bad "CREATE TABLE refunds (id int);`nINSERT INTO orders VALUES (1, 'duplicate', 0, now(), false);"
        $branch | Invoke-LakebaseQuery -InputFile $good -Transaction
        { $branch | Invoke-LakebaseQuery -InputFile $bad -Transaction -ErrorAction Stop } | Should -Throw '*duplicate key*'
        $branch | Invoke-LakebaseQuery "SELECT to_regclass('refunds') IS NULL" -As Scalar | Should -BeTrue
    }

    It 'binds parameters and returns typed rows that pipe into Where-Object, Sort-Object and Export-Csv' {
        $rows = $branch | Invoke-LakebaseQuery 'SELECT id, item, amount, placed, paid FROM orders WHERE id <= @limit ORDER BY id' -Parameters @{ limit = 10 }
        $rows.Count | Should -Be 10
        $rows[0].id | Should -BeOfType [int]
        $rows[0].amount | Should -BeOfType [decimal]
        $rows[0].placed | Should -BeOfType [DateTimeOffset]
        $rows[0].paid | Should -BeOfType [bool]
        ($rows | Where-Object paid | Sort-Object amount -Descending | Select-Object -First 1).id | Should -Be 10
        $csv = Join-Path $TestDrive 'orders.csv'
        $rows | Export-Csv $csv
        $exported = Import-Csv $csv
        $exported.Count | Should -Be 10
        $exported[0].PSObject.Properties.Name | Should -Be id, item, amount, placed, paid
        $exported[2].item | Should -Be 'item 3'
    }

    It 'makes one class per result shape, with the columns as typed properties in order and NULL as $null' {
        $query = @"
SELECT 7 AS id, 2.50::numeric AS amount, timestamptz '2024-05-01 12:00:00+02' AS at, true AS ok, ARRAY[1, NULL, 3] AS ids,
       ARRAY['a', 'b'] AS tags, '{"k": [1, 2]}'::jsonb AS doc, NULL::int AS missing, 8 AS "count(*)", 9 AS "ID"
"@
        $row = $branch | Invoke-LakebaseQuery $query
        $row.GetType().FullName | Should -BeLike 'Lakebase.Rows.Row_*'
        $row.PSObject.Properties.Name | Should -Be id, amount, at, ok, ids, tags, doc, missing, 'count(*)', 'ID_2'
        $row.id | Should -BeOfType [int]
        $row.amount | Should -Be 2.50
        $row.at | Should -BeOfType [DateTimeOffset]
        $row.at | Should -Be ([DateTimeOffset]'2024-05-01T10:00:00Z')
        $row.ok | Should -BeTrue
        $row.ids.Count | Should -Be 3
        $row.ids[0] | Should -BeOfType [int]
        $row.ids[1] | Should -BeNullOrEmpty
        $row.tags | Should -Be a, b
        ($row.doc | ConvertFrom-Json).k | Should -Be 1, 2
        $null -eq $row.missing | Should -BeTrue
        $row.'count(*)' | Should -Be 8
        ($branch | Invoke-LakebaseQuery "$query UNION ALL $query").ForEach('GetType') | Select-Object -Unique | Should -Be $row.GetType()
    }

    It 'gives json and jsonb columns as objects with -ParseJson, as ConvertFrom-Json would' {
        $query = @"
SELECT '{"name": "ada", "tags": ["x", "y"], "n": 12345678901, "big": 123456789012345678901234567890, "ratio": 0.5, "nested": {"ok": true, "none": null}}'::jsonb AS doc,
       '[1, {"a": 2}]'::json AS list, '"2024-05-01"'::json AS day, NULL::jsonb AS missing, 'plain' AS label
"@
        $row = $branch | Invoke-LakebaseQuery $query -ParseJson
        $row.doc.name | Should -Be 'ada'
        $row.doc.tags | Should -Be x, y
        $row.doc.n | Should -BeOfType [long]
        $row.doc.big | Should -Be ([bigint]::Parse('123456789012345678901234567890'))
        $row.doc.ratio | Should -BeOfType [double]
        $row.doc.nested.ok | Should -BeTrue
        $row.doc.nested.PSObject.Properties.Name | Should -Be ok, none
        $row.list[1].a | Should -Be 2
        $row.day | Should -Be '2024-05-01'
        $null -eq $row.missing | Should -BeTrue
        $row.label | Should -Be 'plain'
        ($branch | Invoke-LakebaseQuery $query -ParseJson -As Hashtable).doc.tags | Should -Be x, y
        ($branch | Invoke-LakebaseQuery $query).doc | Should -BeOfType [string]
    }

    It 'never pastes parameters into the SQL' {
        $branch | Invoke-LakebaseQuery 'SELECT count(*) FROM orders WHERE item = @item' -Parameters @{ item = "x'; DROP TABLE orders; --" } -As Scalar | Should -Be 0
        $branch | Invoke-LakebaseQuery 'SELECT count(*) FROM orders' -As Scalar | Should -Be 100
    }

    It 'returns NonQuery counts, Hashtables, DataTables and several result sets' {
        $branch | Invoke-LakebaseQuery 'UPDATE orders SET paid = true WHERE id <= 3' -As NonQuery | Should -Be 3
        ($branch | Invoke-LakebaseQuery 'SELECT 1 AS a' -As Hashtable)['a'] | Should -Be 1
        ($branch | Invoke-LakebaseQuery 'SELECT * FROM orders' -As DataTable).Rows.Count | Should -Be 100
        $results = $branch | Invoke-LakebaseQuery 'SELECT 1 AS first; SELECT 2 AS second'
        $results[0].first | Should -Be 1
        $results[1].second | Should -Be 2
    }

    It 'returns one DataTable per result set, every one of them' {
        $tables = $branch | Invoke-LakebaseQuery 'SELECT 1 AS n; SELECT 2 AS n; SELECT 3 AS n' -As DataTable
        $tables.Count | Should -Be 3
        $tables | ForEach-Object { $_.Rows[0].n } | Should -Be 1, 2, 3
        $tables = $branch | Invoke-LakebaseQuery 'SELECT 1 AS n; UPDATE orders SET paid = paid WHERE false; SELECT 2 AS n' -As DataTable
        $tables | ForEach-Object { $_.Rows[0].n } | Should -Be 1, 2
    }

    It 'takes -Timeout as a duration, like every other cmdlet, and stops a statement that runs longer' {
        $branch | Invoke-LakebaseQuery 'SELECT 1' -Timeout 30s -As Scalar | Should -Be 1
        $branch | Invoke-LakebaseQuery 'SELECT 1' -Timeout ([timespan]::FromMinutes(1)) -As Scalar | Should -Be 1
        { $branch | Invoke-LakebaseQuery 'SELECT pg_sleep(30)' -Timeout 1s -ErrorAction Stop } | Should -Throw
        { $branch | Invoke-LakebaseQuery 'SELECT 1' -Timeout 'soon' } | Should -Throw '*not a duration*'
    }

    It 'reports SQL errors with their SQLSTATE, position and the statement that failed' {
        $error.Clear()
        $branch | Invoke-LakebaseQuery 'SELECT * FROM no_such_table' -ErrorAction SilentlyContinue
        $error[0].FullyQualifiedErrorId | Should -BeLike '42P01,*'
        $error[0].ErrorDetails.Message | Should -BeLike '*no_such_table*SQLSTATE 42P01*Position: 15*Statement: SELECT * FROM no_such_table'

        $branch | Invoke-LakebaseQuery "SELECT 1;`nSELECT nope FROM orders;`nSELECT 2" -ErrorAction SilentlyContinue
        $error[0].ErrorDetails.Message | Should -BeLike '*"nope"*Statement: SELECT nope FROM orders'
    }

    It 'takes SQL from the pipeline' {
        'SELECT 40 + 2 AS answer' | Invoke-LakebaseQuery -ProjectId query-app -BranchId work | Select-Object -ExpandProperty answer | Should -Be 42
    }

    It 'stops the query once the pipeline needs no more rows' {
        $slow = 'SELECT g FROM generate_series(1, 100000) g, LATERAL pg_sleep(0.001 + g * 0)'
        ($branch | Invoke-LakebaseQuery $slow | Select-Object -First 3).g | Should -Be 1, 2, 3
        Get-Running $slow | Should -Be 0
    }

    It 'cancels the statement on the server when stopped (Ctrl+C)' {
        $sleep = 'SELECT pg_sleep(60)'
        $shell = [powershell]::Create()
        try {
            $shell.AddCommand('Import-Module').AddArgument($env:LAKEBASE_MODULE_PATH).AddStatement().
                AddCommand('Invoke-LakebaseQuery').AddParameters(@{ Context = $context; Query = $sleep } + $work) | Out-Null
            $running = $shell.BeginInvoke()
            $deadline = [DateTime]::UtcNow.AddSeconds(30)
            while ((Get-Running $sleep) -eq 0 -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
            Get-Running $sleep | Should -Be 1
            # Stop returns only once the cmdlet has ended; the statement sleeps 60 s, so it ending on the server
            # (below) is what proves the cancel reached it.
            $shell.Stop()
            $running.AsyncWaitHandle.WaitOne(10000) | Should -BeTrue
            $shell.InvocationStateInfo.State | Should -Be 'Stopped'
            # The server ends the statement once the cancel request lands, a moment after the client stops.
            $deadline = [DateTime]::UtcNow.AddSeconds(10)
            while ((Get-Running $sleep) -ne 0 -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
            Get-Running $sleep | Should -Be 0
        }
        finally {
            $shell.Dispose()
        }
    }

    It 'takes the connection strings psql takes: the one Get-LakebaseCredential writes, and a postgresql:// URI' {
        $libpq = $branch | Get-LakebaseCredential -AsConnectionString
        Invoke-LakebaseQuery -ConnectionString $libpq 'SELECT current_user' -As Scalar | Should -Be $context.UserName

        $credential = $branch | Get-LakebaseCredential
        $uri = 'postgresql://{0}:{1}@{2}:{3}/{4}?sslmode=verify-full&sslrootcert={5}' -f [uri]::EscapeDataString($credential.UserName),
            ($credential.Token | ConvertFrom-SecureString -AsPlainText), $credential.Host, $credential.Port, $credential.Database, [uri]::EscapeDataString((Join-Path $root 'tls/ca.pem'))
        Invoke-LakebaseQuery -ConnectionString $uri 'SELECT 1' -As Scalar | Should -Be 1
    }

    It 'connects to -HostAddress and still reaches the endpoint it names' {
        # The proxy's shared port has no endpoint of its own: only the name sent (SNI, options=endpoint=<uid>) routes.
        $router = "127.0.0.1:$((Get-LakebaseLocal -StateRoot $root).ProxyPort)"
        Invoke-LakebaseQuery @work 'SELECT count(*) FROM orders' -HostAddress $router -As Scalar | Should -Be 100
        Invoke-LakebaseQuery -ProjectId query-app -BranchId production "SELECT to_regclass('orders') IS NULL" -HostAddress $router -As Scalar |
            Should -BeTrue
        $connectionString = $branch | Get-LakebaseCredential -AsConnectionString -HostAddress $router
        & psql $connectionString -Atc 'SELECT count(*) FROM orders' | Should -Be 100
        Invoke-LakebaseQuery -ConnectionString $connectionString 'SELECT count(*) FROM orders' -As Scalar | Should -Be 100
    }

    It 'keeps working past the expiry of its first credential' {
        $shortLived = @{ CredentialTtl = '2s' } + $work
        $expired = $branch | Get-LakebaseCredential -Ttl 2s -AsConnectionString
        # An open session outlives its credential, as in Postgres: this one spans the first credential's expiry.
        $first = Invoke-LakebaseQuery @shortLived 'SELECT pg_backend_pid() AS pid, (SELECT true FROM pg_sleep(3)) AS slept'
        $first.slept | Should -BeTrue
        # By now a credential from before has expired and is refused...
        & psql $expired -Atc 'SELECT 1' 2>&1 | Out-String | Should -BeLike '*password authentication failed*'
        # ...but a new connection (the pooled one ended on the server) gets a fresh one.
        $branch | Invoke-LakebaseQuery 'SELECT pg_terminate_backend(@pid)' -Parameters @{ pid = $first.pid } -As Scalar | Should -BeTrue
        $second = Invoke-LakebaseQuery @shortLived 'SELECT pg_backend_pid() AS pid'
        $second.pid | Should -Not -Be $first.pid
    }

    It 'closes its pooled database connections on Disconnect-Lakebase' {
        $own = Connect-Lakebase -Local -StateRoot $root -NoDefault
        $pooled = @{ pid = (Invoke-LakebaseQuery @work 'SELECT pg_backend_pid()' -Context $own -As Scalar) }
        $alive = 'SELECT count(*) FROM pg_stat_activity WHERE pid = @pid'
        Invoke-LakebaseQuery @work $alive -Parameters $pooled -As Scalar | Should -Be 1

        Disconnect-Lakebase -Context $own
        $deadline = [DateTime]::UtcNow.AddSeconds(30)
        while (($open = Invoke-LakebaseQuery @work $alive -Parameters $pooled -As Scalar) -gt 0 -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
        $open | Should -Be 0
    }

    It 'queries through the endpoint''s pooler with -Pooled, also by the proxy''s shared port' {
        Invoke-LakebaseQuery @work 'SELECT count(*) FROM orders' -Pooled -As Scalar | Should -Be 100
        $router = "127.0.0.1:$((Get-LakebaseLocal -StateRoot $root).ProxyPort)"
        Invoke-LakebaseQuery @work 'SELECT count(*) FROM orders' -Pooled -HostAddress $router -As Scalar | Should -Be 100
        # A transaction keeps one server connection, so what it makes for itself is there until it ends.
        $branch | Invoke-LakebaseQuery -Pooled -Transaction 'CREATE TEMP TABLE scratch (n int) ON COMMIT DROP; INSERT INTO scratch VALUES (7); SELECT n FROM scratch' -As Scalar |
            Should -Be 7
    }

    It 'wakes a suspended compute' {
        Set-LakebaseEndpoint -ProjectId query-app -BranchId work primary -Disabled $true | Out-Null
        (Get-LakebaseEndpoint -ProjectId query-app -BranchId work primary).State | Should -Be 'IDLE'
        Set-LakebaseEndpoint -ProjectId query-app -BranchId work primary -Disabled $false | Out-Null
        $branch | Invoke-LakebaseQuery 'SELECT count(*) FROM orders' -As Scalar | Should -Be 100
        (Get-LakebaseEndpoint -ProjectId query-app -BranchId work primary).State | Should -Be 'ACTIVE'
    }
}
