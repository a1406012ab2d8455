# Instant restore as a user drives it: branches from a past moment against a real Lakebase Local.
BeforeAll {
    Import-Module $env:LAKEBASE_MODULE_PATH -Force
    $script:root = Join-Path ([IO.Path]::GetTempPath()) ("lbp-" + [guid]::NewGuid().ToString('N').Substring(0, 10))
    Connect-Lakebase -Local -StateRoot $root -Port 0 | Out-Null
    New-LakebaseProject 'recover-app' | Out-Null
    $script:production = Get-LakebaseBranch -ProjectId 'recover-app' -BranchId 'production'
}

AfterAll {
    Stop-LakebaseLocal -StateRoot $root -Confirm:$false
    Remove-Item $root -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Recovering a table dropped by mistake' {
    It 'branches at the moment before the drop, copies the rows back and removes the recovery branch' {
        $production | Invoke-LakebaseQuery -Query "CREATE TABLE customers (id int PRIMARY KEY, name text); INSERT INTO customers VALUES (1, 'Ada'), (2, 'Grace'), (3, 'Edsger')" -As NonQuery | Out-Null
        $beforeDrop = Get-Date
        Start-Sleep -Milliseconds 100
        $production | Invoke-LakebaseQuery -Query 'DROP TABLE customers' -As NonQuery | Out-Null

        # The recipe from the README.
        $recovery = New-LakebaseBranch -ProjectId 'recover-app' -Name 'recover-customers' -AsOf $beforeDrop -Ttl 1d
        $lost = $recovery | Invoke-LakebaseQuery -Query 'SELECT id, name FROM customers ORDER BY id'
        $production | Invoke-LakebaseQuery -Query 'CREATE TABLE customers (id int PRIMARY KEY, name text)' -As NonQuery | Out-Null
        $production | Invoke-LakebaseQuery -Query 'INSERT INTO customers SELECT * FROM unnest(@ids, @names)' -Parameters @{ ids = [int[]]$lost.id; names = [string[]]$lost.name } -As NonQuery |
            Should -Be 3
        $recovery | Remove-LakebaseBranch -Confirm:$false

        ($production | Invoke-LakebaseQuery -Query 'SELECT name FROM customers ORDER BY id').name | Should -Be 'Ada', 'Grace', 'Edsger'
        Get-LakebaseBranch -ProjectId 'recover-app' | ForEach-Object BranchId | Should -Not -Contain 'recover-customers'
        # The wire carries microseconds, as PostgreSQL does.
        ($recovery.SourceBranchTime - [DateTimeOffset]$beforeDrop).Duration().TotalMilliseconds | Should -BeLessThan 0.001
        $recovery.SourceBranch | Should -Be $production.Name
    }

    It 'branches at a WAL position read from the database' {
        $production | Invoke-LakebaseQuery -Query 'CREATE TABLE ledger (id int)' -As NonQuery | Out-Null
        $production | Invoke-LakebaseQuery -Query 'INSERT INTO ledger VALUES (1)' -As NonQuery | Out-Null
        $lsn = $production | Invoke-LakebaseQuery -Query 'SELECT pg_current_wal_lsn()::text' -As Scalar
        $production | Invoke-LakebaseQuery -Query 'INSERT INTO ledger VALUES (2)' -As NonQuery | Out-Null

        $atLsn = New-LakebaseBranch -ProjectId 'recover-app' -Name 'ledger-at-lsn' -Lsn $lsn -Ttl 1d
        ($atLsn | Invoke-LakebaseQuery -Query 'SELECT id FROM ledger').id | Should -Be 1
        $atLsn.SourceBranchLsn | Should -Not -BeNullOrEmpty
        ($atLsn | Format-Table | Out-String -Width 250) | Should -Match 'production @ \d{4}-\d\d-\d\d'
    }

    It 'refuses a future time before asking the server, and a time before the history with the server''s error' {
        # A bad parameter is one terminating error, whatever -ErrorAction says.
        $refused = { New-LakebaseBranch -ProjectId 'recover-app' -Name 'future' -AsOf (Get-Date).AddHours(1) -Ttl 1d } | Should -Throw '*future*' -PassThru
        $refused.CategoryInfo.Category | Should -Be 'InvalidArgument'

        New-LakebaseBranch -ProjectId 'recover-app' -Name 'too-old' -AsOf (Get-Date).AddDays(-30) -Ttl 1d -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $error[0].FullyQualifiedErrorId | Should -BeLike 'INVALID_PARAMETER_VALUE,*'
        $error[0].Exception.Message | Should -BeLike '*can be branched from any time between*'

        { New-LakebaseBranch -ProjectId 'recover-app' -Name 'bad-lsn' -Lsn 'yesterday' -Ttl 1d } | Should -Throw '*not a Postgres LSN*'
        Get-LakebaseBranch -ProjectId 'recover-app' | ForEach-Object BranchId | Should -Not -Contain 'too-old'
    }

    It 'changes the history window of a project' {
        $project = Set-LakebaseProject -ProjectId 'recover-app' -HistoryRetention 14d
        $project.HistoryRetention | Should -Be ([TimeSpan]::FromDays(14))
    }
}

Describe 'How branches are copied' {
    It 'reports the copy mode the state root''s file system allows' {
        $server = Get-LakebaseLocal -StateRoot $root
        $server.CopyMode | Should -BeIn 'reflink', 'copy'
        if ($IsLinux) {
            # ext4 and tmpfs cannot share blocks between files, btrfs always can (XFS only when made with reflink=1).
            $fileSystem = stat -f -c %T $root
            $expected = switch ($fileSystem) { 'ext2/ext3' { 'copy' } 'tmpfs' { 'copy' } 'btrfs' { 'reflink' } }
            if ($expected) { $server.CopyMode | Should -Be $expected -Because "the state root is on $fileSystem" }
        }
        ($server | Format-List | Out-String) | Should -Match "CopyMode\s+:\s+$($server.CopyMode)"
    }
}

Describe 'Branches at a past time as overlays' {
    BeforeAll {
        $script:layeredRoot = Join-Path ([IO.Path]::GetTempPath()) ("lbo-" + [guid]::NewGuid().ToString('N').Substring(0, 10))
        $script:layeredServer = Start-LakebaseLocal -StateRoot $layeredRoot -Port 0 -Overlays
        $script:layered = Connect-Lakebase -Local -StateRoot $layeredRoot -NoDefault
    }

    AfterAll {
        Stop-LakebaseLocal -StateRoot $layeredRoot -Confirm:$false
        Remove-Item $layeredRoot -Recurse -Force -ErrorAction SilentlyContinue
    }

    # Only root mounts an overlay; elsewhere -Overlays leaves branches at a past time copies.
    It 'restores the moment with Start-LakebaseLocal -Overlays and leaves a plain folder once stopped' -Skip:(-not $IsLinux -or (id -u) -ne '0') {
        if ($layeredServer.CopyMode -ne 'overlay') {
            # Root that may not mount (a container without CAP_SYS_ADMIN, a state root on overlayfs) or reflinks.
            Set-ItResult -Skipped -Because "this machine gives CopyMode $($layeredServer.CopyMode)"
            return
        }
        $production = New-LakebaseProject 'layered-app' -Context $layered | Get-LakebaseBranch -Context $layered
        $production | Invoke-LakebaseQuery -Context $layered -Query 'CREATE TABLE orders (id int); INSERT INTO orders VALUES (1)' -As NonQuery | Out-Null
        $moment = Get-Date
        Start-Sleep -Milliseconds 100
        $production | Invoke-LakebaseQuery -Context $layered -Query 'INSERT INTO orders VALUES (2)' -As NonQuery | Out-Null

        $past = New-LakebaseBranch -Context $layered -ProjectId 'layered-app' -Name 'before-two' -AsOf $moment -Ttl 1d
        $past | Invoke-LakebaseQuery -Context $layered -Query 'INSERT INTO orders VALUES (3)' -As NonQuery | Out-Null
        ($past | Invoke-LakebaseQuery -Context $layered -Query 'SELECT id FROM orders ORDER BY id').id | Should -Be 1, 3

        Stop-LakebaseLocal -StateRoot $layeredRoot -Confirm:$false
        Get-Content /proc/self/mountinfo | Where-Object { $_.Contains($layeredRoot) } | Should -BeNullOrEmpty
        Remove-Item $layeredRoot -Recurse -Force
        Test-Path $layeredRoot | Should -BeFalse
    }
}
