# SQL from the pipeline against a real Lakebase Local: credentials, migrations, parameters, typed rows, wake, expiry.
BeforeAll {
    Import-Module $env:LAKEBASE_MODULE_PATH -Force
    $script:root = Join-Path ([IO.Path]::GetTempPath()) ("lbq-" + [guid]::NewGuid().ToString('N').Substring(0, 10))
    $script:context = Connect-Lakebase -Local -StateRoot $root -Port 0
    New-LakebaseProject 'query-app' | Out-Null
    $script:branch = Get-LakebaseProject query-app | New-LakebaseBranch -Name 'work'
}

AfterAll {
    Stop-LakebaseLocal -StateRoot $root -Confirm:$false
    Remove-Item $root -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Get-LakebaseCredential' {
    It 'returns the token as a SecureString with who and where it is for' {
        $credential = $branch | Get-LakebaseCredential
        $credential.Token | Should -BeOfType [securestring]
        $credential.UserName | Should -Be $context.UserName
        $credential.Database | Should -Be 'databricks_postgres'
        $credential.Host | Should -Be ($branch | Get-LakebaseEndpoint).Host
        ($credential.ExpireTime - [DateTimeOffset]::UtcNow).TotalMinutes | Should -BeGreaterThan 55
    }

    It 'gives plain text only when asked, and a connection string psql accepts' {
        ($branch | Get-LakebaseCredential -AsPlainText).Token | Should -BeOfType [string]
        $connectionString = $branch | Get-LakebaseCredential -AsConnectionString
        $output = & psql $connectionString -At -c 'SELECT current_user'
        $LASTEXITCODE | Should -Be 0
        $output | Should -Be $context.UserName
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
        $rows = $branch | Invoke-LakebaseQuery 'SELECT id, item, amount, placed, paid FROM orders WHERE id <= @limit' -Parameters @{ limit = 10 }
        $rows.Count | Should -Be 10
        $rows[0].id | Should -BeOfType [int]
        $rows[0].amount | Should -BeOfType [decimal]
        $rows[0].placed | Should -BeOfType [datetime]
        $rows[0].paid | Should -BeOfType [bool]
        ($rows | Where-Object paid | Sort-Object amount -Descending | Select-Object -First 1).id | Should -Be 10
        $csv = Join-Path $TestDrive 'orders.csv'
        $rows | Export-Csv $csv
        (Import-Csv $csv).Count | Should -Be 10
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

    It 'reports SQL errors with their SQLSTATE' {
        $error.Clear()
        $branch | Invoke-LakebaseQuery 'SELECT * FROM no_such_table' -ErrorAction SilentlyContinue
        $error[0].FullyQualifiedErrorId | Should -BeLike '42P01,*'
        $error[0].ErrorDetails.Message | Should -BeLike '*no_such_table*SQLSTATE 42P01*'
    }

    It 'takes SQL from the pipeline' {
        'SELECT 40 + 2 AS answer' | Invoke-LakebaseQuery -ProjectId query-app -BranchId work | Select-Object -ExpandProperty answer | Should -Be 42
    }

    It 'wakes a suspended compute' {
        Set-LakebaseEndpoint -ProjectId query-app -BranchId work primary -Disabled $true | Out-Null
        (Get-LakebaseEndpoint -ProjectId query-app -BranchId work primary).State | Should -Be 'IDLE'
        Set-LakebaseEndpoint -ProjectId query-app -BranchId work primary -Disabled $false | Out-Null
        $branch | Invoke-LakebaseQuery 'SELECT count(*) FROM orders' -As Scalar | Should -Be 100
        (Get-LakebaseEndpoint -ProjectId query-app -BranchId work primary).State | Should -Be 'ACTIVE'
    }
}
