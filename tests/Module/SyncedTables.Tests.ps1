# Reverse ETL as a user drives it: a catalog, Delta tables registered from disk, synced tables in every mode,
# against a real Lakebase Local started for this file.
BeforeAll {
    Import-Module $env:LAKEBASE_MODULE_PATH -Force
    $script:root = Join-Path ([IO.Path]::GetTempPath()) ("lbs-" + [guid]::NewGuid().ToString('N').Substring(0, 10))
    $script:context = Connect-Lakebase -Local -StateRoot $root -Port 0
    $script:fixtures = Join-Path $PSScriptRoot '../Fixtures/delta-tables'
    $script:lake = Join-Path $root 'lake'
    New-LakebaseProject -ProjectId 'pester-sync' | Out-Null
    $script:branch = Get-LakebaseBranch -ProjectId pester-sync production

    # A copy of a fixture table holding its commits up to $UpTo only; Add-Commits brings in the rest.
    function Copy-DeltaTable([string] $Name, [int] $UpTo) {
        $target = Join-Path $lake $Name
        Copy-Item (Join-Path $fixtures $Name) $target -Recurse
        Get-ChildItem (Join-Path $target '_delta_log') -Filter '*.json' | Where-Object { [int64]$_.BaseName -gt $UpTo } | Remove-Item -Force
        $target
    }
    function Add-Commits([string] $Name) {
        Get-ChildItem (Join-Path $fixtures $Name '_delta_log') -Filter '*.json' |
            Copy-Item -Destination (Join-Path $lake $Name '_delta_log') -Force
    }
    New-Item -ItemType Directory $lake | Out-Null
}

AfterAll {
    Stop-LakebaseLocal -StateRoot $root -Confirm:$false
    Remove-Item $root -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Catalogs' {
    It 'registers a database of the piped branch, creating it, and gets it back' {
        $catalog = $branch | New-LakebaseCatalog -Name pester_catalog -PostgresDatabase appdb -CreateDatabaseIfMissing
        $catalog.CatalogId | Should -Be 'pester_catalog'
        $catalog.PostgresDatabase | Should -Be 'appdb'
        (Get-LakebaseCatalog pester_catalog).Branch | Should -Be 'projects/pester-sync/branches/production'
    }

    It 'refuses a second catalog of the same name with the service''s error code' {
        { $branch | New-LakebaseCatalog -Name pester_catalog -PostgresDatabase other -ErrorAction Stop } |
            Should -Throw -ErrorId 'BAD_REQUEST*'
    }
}

Describe 'Synced tables' {
    It 'syncs a snapshot of a registered Delta table and waits for it' {
        Register-LakebaseDeltaTable main.gold.dv (Copy-DeltaTable 'dv-partitioned-with-checkpoint' 15) | Out-Null
        $synced = New-LakebaseSyncedTable -Name pester_catalog.gold.dv -Source main.gold.dv -PrimaryKey col1
        $synced.State | Should -Be 'ONLINE_NO_PENDING_UPDATE'
        $synced.LastSyncedVersion | Should -Be 15
        $branch | Invoke-LakebaseQuery 'SELECT count(*) FROM gold.dv' -Database appdb -As Scalar | Should -Be 35
    }

    It 'applies the new Delta versions of a TRIGGERED table with Sync-LakebaseSyncedTable' {
        Register-LakebaseDeltaTable main.gold.people (Copy-DeltaTable 'cdf-table' 1) | Out-Null
        $synced = New-LakebaseSyncedTable -Name pester_catalog.gold.people -Source main.gold.people -PrimaryKey id -SchedulingPolicy Triggered
        $synced.LastSyncedVersion | Should -Be 1
        Add-Commits 'cdf-table'
        $updated = Sync-LakebaseSyncedTable pester_catalog.gold.people -Confirm:$false
        $updated.LastSyncedVersion | Should -Be 3
        $rows = $branch | Invoke-LakebaseQuery 'SELECT id, name, birthday FROM gold.people ORDER BY id' -Database appdb
        $rows.id | Should -Be @(1, 2, 3, 4, 5, 6, 8, 9, 10)
        ($rows | Where-Object id -EQ 5).birthday | Should -Be ([datetime]'2023-12-29')
    }

    It 'returns the operation with -NoWait and a job with -AsJob' {
        Register-LakebaseDeltaTable main.gold.small (Join-Path $fixtures 'table-without-dv-small' | Resolve-Path).Path | Out-Null
        $operation = New-LakebaseSyncedTable -Name pester_catalog.gold.small -Source main.gold.small -PrimaryKey value -NoWait
        $operation.OperationName | Should -BeLike 'synced_tables/pester_catalog.gold.small/operations/*'
        $job = Sync-LakebaseSyncedTable pester_catalog.gold.small -FullRefresh -AsJob -Confirm:$false
        ($job | Receive-Job -Wait -AutoRemoveJob).LastSyncedVersion | Should -Be 0
    }

    It 'refuses a TRIGGERED table on a source without the Change Data Feed, naming it' {
        { New-LakebaseSyncedTable -Name pester_catalog.gold.nocdf -Source main.gold.small -PrimaryKey value -SchedulingPolicy Triggered -ErrorAction Stop } |
            Should -Throw '*Change Data Feed*'
    }

    It 'makes a string column varchar(n) with -TypeOverride, and refuses a type it does not know before sending' {
        Register-LakebaseDeltaTable main.gold.named (Copy-DeltaTable 'cdf-table' 3) | Out-Null
        New-LakebaseSyncedTable -Name pester_catalog.gold.named -Source main.gold.named -PrimaryKey id -TypeOverride @{ name = 'varchar(40)' } | Out-Null
        $branch | Invoke-LakebaseQuery "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'gold.named'::regclass AND attname = 'name'" -Database appdb -As Scalar |
            Should -Be 'character varying(40)'
        { New-LakebaseSyncedTable -Name pester_catalog.gold.named2 -Source main.gold.named -PrimaryKey id -TypeOverride @{ name = 'char(4)' } -ErrorAction Stop } |
            Should -Throw '*varchar(n), vector(n) or halfvec(n)*'
    }

    It 'removes a synced table and leaves its Postgres table to drop by hand' {
        Remove-LakebaseSyncedTable pester_catalog.gold.dv -Confirm:$false
        { Get-LakebaseSyncedTable pester_catalog.gold.dv -ErrorAction Stop } | Should -Throw -ErrorId 'NOT_FOUND*'
        $branch | Invoke-LakebaseQuery 'SELECT count(*) FROM gold.dv' -Database appdb -As Scalar | Should -Be 35
    }
}
