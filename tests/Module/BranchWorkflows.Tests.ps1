# Schema diff, reset from parent and the branch tree as a user drives them, against one real Lakebase Local.
BeforeAll {
    Import-Module $env:LAKEBASE_MODULE_PATH -Force
    $script:root = Join-Path ([IO.Path]::GetTempPath()) ("lbw-" + [guid]::NewGuid().ToString('N').Substring(0, 10))
    Connect-Lakebase -Local -StateRoot $root -Port 0 | Out-Null
    New-LakebaseProject 'flow-app' | Out-Null
    $script:production = Get-LakebaseBranch -ProjectId 'flow-app' -BranchId 'production'
    $production | Invoke-LakebaseQuery -As NonQuery -Query @'
CREATE ROLE app_reader NOLOGIN;
CREATE TABLE orders (id int PRIMARY KEY, amount numeric DEFAULT 0);
INSERT INTO orders VALUES (1, 10), (2, 20);
'@ | Out-Null

    function Get-Rows($branch) { ($branch | Invoke-LakebaseQuery -Query 'SELECT id FROM orders ORDER BY id').id }
}

AfterAll {
    Stop-LakebaseLocal -StateRoot $root -Confirm:$false
    Remove-Item $root -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Compare-LakebaseBranch' {
    It 'finds no differences between a branch and its fresh child' {
        New-LakebaseBranch -ProjectId 'flow-app' -Name 'fresh' -Ttl 1d | Out-Null
        Compare-LakebaseBranch -ProjectId 'flow-app' -BranchId 'fresh' | Should -BeNullOrEmpty
        Compare-LakebaseBranch -ProjectId 'flow-app' -BranchId 'fresh' -AsText | Should -BeNullOrEmpty
    }

    It 'finds exactly the differences a migration made, one object each' {
        $migrated = New-LakebaseBranch -ProjectId 'flow-app' -Name 'migrated' -Ttl 1d
        $migrated | Invoke-LakebaseQuery -As NonQuery -Transaction -Query @'
ALTER TABLE orders ADD COLUMN note text;
ALTER TABLE orders ALTER COLUMN amount SET DEFAULT 1;
CREATE INDEX orders_amount_idx ON orders (amount);
CREATE FUNCTION add_tax(value numeric) RETURNS numeric LANGUAGE sql AS 'SELECT value * 1.2';
GRANT SELECT ON orders TO app_reader;
'@ | Out-Null

        $differences = @(Compare-LakebaseBranch -ProjectId 'flow-app' -BranchId 'migrated' -ReferenceBranchId 'production')
        $differences | ForEach-Object { "$($_.Change) $($_.Kind) $($_.Name)" } | Should -Be @(
            'Changed Column public.orders.amount'
            'Added Column public.orders.note'
            'Added Index public.orders_amount_idx'
            'Added Function public.add_tax(numeric)'
            'Added Grant TABLE public.orders TO app_reader')
        $amount = $differences[0]
        $amount.Before | Should -Be 'amount numeric DEFAULT 0'
        $amount.After | Should -Be 'amount numeric DEFAULT 1'
        $differences[4].After | Should -Be 'GRANT SELECT ON TABLE public.orders TO app_reader;'
        # Without a reference a branch is compared with its parent.
        @(Compare-LakebaseBranch -ProjectId 'flow-app' -BranchId 'migrated').Count | Should -Be 5
        ($differences | Format-Table | Out-String -Width 80) | Should -Match 'Changed Column\s+public\.orders\.amount'
    }

    It 'covers views, sequences, triggers, extensions, roles and role memberships' {
        $kinds = New-LakebaseBranch -ProjectId 'flow-app' -Name 'kinds' -Ttl 1d
        $kinds | Invoke-LakebaseQuery -As NonQuery -Query @'
CREATE EXTENSION pg_trgm;
CREATE SEQUENCE invoice_numbers START 1000;
CREATE VIEW big_orders AS SELECT id FROM orders WHERE amount > 100;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER orders_touch BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION touch();
CREATE ROLE app_writer NOLOGIN;
GRANT app_reader TO app_writer;
'@ | Out-Null

        $differences = @(Compare-LakebaseBranch -ProjectId 'flow-app' -BranchId 'kinds')
        $differences | Where-Object Change -NE 'Added' | Should -BeNullOrEmpty
        $differences | ForEach-Object { "$($_.Kind) $($_.Name)" } | Should -Be @(
            'Extension pg_trgm'
            'Role app_writer'
            'Sequence public.invoice_numbers'
            'View public.big_orders'
            'Function public.touch()'
            'Trigger public.orders.orders_touch'
            'Grant app_reader TO app_writer'
            # PostgreSQL 16 and later grant a new role to the role that created it, with ADMIN OPTION.
            'Grant app_writer TO "admin@lakebase.local"')
        ($differences | Where-Object Kind -EQ 'View').After | Should -BeLike "CREATE VIEW public.big_orders AS*FROM public.orders*"
        ($differences | Where-Object Kind -EQ 'Role').After | Should -BeLike 'CREATE ROLE app_writer WITH NOLOGIN *'
    }

    It 'gives a unified diff of the DDL that is the same on every run' {
        $first = Compare-LakebaseBranch -ProjectId 'flow-app' -BranchId 'migrated' -AsText
        $second = Compare-LakebaseBranch -ProjectId 'flow-app' -BranchId 'migrated' -AsText
        $second | Should -BeExactly $first
        $lines = $first -split "`n"
        $lines[0] | Should -Be '--- projects/flow-app/branches/production'
        $lines[1] | Should -Be '+++ projects/flow-app/branches/migrated'
        $lines | Should -Contain '-    amount numeric DEFAULT 0'
        $lines | Should -Contain '+    amount numeric DEFAULT 1,'
        $lines | Should -Contain '+    note text'
        $lines | Should -Contain '+CREATE INDEX orders_amount_idx ON public.orders USING btree (amount);'
        $lines | Should -Contain '+GRANT SELECT ON TABLE public.orders TO app_reader;'
        $lines | Where-Object { $_ -like '@@ *' } | Should -Not -BeNullOrEmpty
    }

    It 'compares a branch with itself in the past through a temporary branch it removes' {
        $beforeAudit = Get-Date
        Start-Sleep -Milliseconds 100
        Get-LakebaseBranch -ProjectId 'flow-app' -BranchId 'migrated' | Invoke-LakebaseQuery -As NonQuery -Query 'CREATE TABLE audit (at timestamptz)' | Out-Null

        $differences = @(Compare-LakebaseBranch -ProjectId 'flow-app' -BranchId 'migrated' -AsOf $beforeAudit)
        $differences | ForEach-Object { "$($_.Change) $($_.Kind) $($_.Name)" } | Should -Be @('Added Table public.audit', 'Added Column public.audit.at')
        Get-LakebaseBranch -ProjectId 'flow-app' | Where-Object BranchId -Like 'compare-*' | Should -BeNullOrEmpty
    }

    It 'compares any two databases by connection string' {
        $reference = $production | Get-LakebaseCredential -AsConnectionString
        $differences = @(Compare-LakebaseBranch -ProjectId 'flow-app' -BranchId 'fresh' -ReferenceConnectionString $reference)
        $differences.Count | Should -Be 0
    }

    It 'refuses a root branch without a reference, with an error that says what to give' {
        Compare-LakebaseBranch -ProjectId 'flow-app' -BranchId 'production' -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $error[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $error[0].Exception.Message | Should -BeLike '*root branch*no parent*'
    }
}

Describe 'Reset-LakebaseBranch' {
    It 'gives a diverged child its parent''s current rows and schema, on the same host' {
        $child = New-LakebaseBranch -ProjectId 'flow-app' -Name 'reset-me' -Ttl 1d
        $host1 = ($child | Get-LakebaseEndpoint).Host
        $child | Invoke-LakebaseQuery -As NonQuery -Query 'DELETE FROM orders; CREATE TABLE scratch (x int)' | Out-Null
        $production | Invoke-LakebaseQuery -As NonQuery -Query 'INSERT INTO orders VALUES (3, 30)' | Out-Null
        Get-Rows $child | Should -BeNullOrEmpty

        $reset = $child | Reset-LakebaseBranch -Confirm:$false
        $reset.BranchId | Should -Be 'reset-me'
        $reset.SourceBranchTime | Should -BeGreaterThan $child.SourceBranchTime
        Get-Rows $reset | Should -Be 1, 2, 3
        Compare-LakebaseBranch -ProjectId 'flow-app' -BranchId 'reset-me' | Should -BeNullOrEmpty
        ($reset | Get-LakebaseEndpoint).Host | Should -Be $host1
    }

    It 'keeps the old state as a new branch with -PreserveUnderName' {
        $child = Get-LakebaseBranch -ProjectId 'flow-app' -BranchId 'reset-me'
        $child | Invoke-LakebaseQuery -As NonQuery -Query 'INSERT INTO orders VALUES (99, 0)' | Out-Null
        $child | Reset-LakebaseBranch -PreserveUnderName 'reset-me-old' -Confirm:$false | Out-Null

        Get-Rows $child | Should -Be 1, 2, 3
        $old = Get-LakebaseBranch -ProjectId 'flow-app' -BranchId 'reset-me-old'
        Get-Rows $old | Should -Be 1, 2, 3, 99
        $old.SourceBranch | Should -Be $production.Name
    }

    It 'changes nothing with -WhatIf' {
        $child = Get-LakebaseBranch -ProjectId 'flow-app' -BranchId 'reset-me'
        $child | Invoke-LakebaseQuery -As NonQuery -Query 'INSERT INTO orders VALUES (100, 0)' | Out-Null
        $child | Reset-LakebaseBranch -WhatIf
        Get-Rows $child | Should -Contain 100
    }

    It 'refuses <Case> as the service does, with its error' -ForEach @(
        @{ Case = 'the root branch'; Branch = 'production'; Message = '*root branch*' }
        @{ Case = 'a protected branch'; Branch = 'guarded'; Message = '*protected*' }
        @{ Case = 'a branch with children'; Branch = 'parent-of-one'; Message = '*child branches (child-of-parent)*' }
    ) {
        if ($Branch -eq 'guarded') { New-LakebaseBranch -ProjectId 'flow-app' -Name 'guarded' -NoExpiry -Protected | Out-Null }
        if ($Branch -eq 'parent-of-one') {
            New-LakebaseBranch -ProjectId 'flow-app' -Name 'parent-of-one' -Ttl 1d | Out-Null
            New-LakebaseBranch -ProjectId 'flow-app' -Name 'child-of-parent' -SourceBranch 'parent-of-one' -Ttl 1d | Out-Null
        }
        Reset-LakebaseBranch -ProjectId 'flow-app' -BranchId $Branch -Confirm:$false -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $error[0].FullyQualifiedErrorId | Should -BeLike 'BAD_REQUEST,*'
        $error[0].Exception.Message | Should -BeLike $Message
    }

    It 'refuses a bad -PreserveUnderName before sending anything' {
        Reset-LakebaseBranch -ProjectId 'flow-app' -BranchId 'reset-me' -PreserveUnderName 'Not Valid' -Confirm:$false -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $error[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
    }
}

Describe 'Get-LakebaseBranch -Tree' {
    It 'shows each branch under its parent with source time, state, protection and expiry in 80 columns' {
        New-LakebaseBranch -ProjectId 'flow-app' -Name 'short-lived' -SourceBranch 'fresh' -Ttl 2h | Out-Null
        $tree = @(Get-LakebaseBranch -ProjectId 'flow-app' -Tree)
        $tree[0].BranchId | Should -Be 'production'
        $tree.Count | Should -Be @(Get-LakebaseBranch -ProjectId 'flow-app').Count

        $text = $tree | Out-String -Width 80
        $lines = $text -split "`r?`n" | Where-Object { $_.Trim() }
        $lines | ForEach-Object { $_.Length | Should -BeLessOrEqual 80 -Because $_ }
        $lines[0] | Should -Match '^Branch\s+Source time\s+State\s+Prot\s+Expires'
        $lines | Where-Object { $_ -match '^production\s' } | Should -Match 'never'
        $lines | Where-Object { $_ -match '^[├└]─ fresh\s' } | Should -Match '\d{4}-\d\d-\d\d \d\d:\d\d\s+READY\s+\d{4}-\d\d-\d\d \d\d:\d\d !'
        $lines | Where-Object { $_ -match '^[│ ]  └─ short-lived\s' } | Should -Match ' !$'
        $lines | Where-Object { $_ -match '─ guarded\s' } | Should -Match 'READY\s+yes\s+never'
        $lines | Where-Object { $_ -match '^[│ ]  └─ child-of-parent\s' } | Should -Not -BeNullOrEmpty

        # The tree's objects are branches: they pipe on like any other.
        ($tree | Where-Object BranchId -EQ 'short-lived' | Remove-LakebaseBranch -Confirm:$false) | Out-Null
        Get-LakebaseBranch -ProjectId 'flow-app' -BranchId 'fresh' -Tree | ForEach-Object BranchId | Should -Be 'fresh'
    }
}
