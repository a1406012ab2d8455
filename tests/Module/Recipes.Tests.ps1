# The recipes in docs/recipes, run end to end against one real Lakebase Local as their users run them.
BeforeAll {
    Import-Module $env:LAKEBASE_MODULE_PATH -Force
    $script:recipes = Join-Path $PSScriptRoot '../../docs/recipes'
    $script:root = Join-Path ([IO.Path]::GetTempPath()) ("lbr-" + [guid]::NewGuid().ToString('N').Substring(0, 10))
    $script:work = Join-Path $root 'work'
    New-Item -ItemType Directory -Path $work -Force | Out-Null
    Connect-Lakebase -Local -StateRoot $root -Port 0 | Out-Null
}

AfterAll {
    Stop-LakebaseLocal -StateRoot $root -Confirm:$false
    Remove-Item $root -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Recipe: a database branch per pull request (azure-pipelines.yml)' {
    BeforeAll {
        New-LakebaseProject 'pipe-app' | Out-Null
        $script:production = Get-LakebaseBranch -ProjectId 'pipe-app' -BranchId 'production'
        $production | Invoke-LakebaseQuery -As NonQuery -Query 'CREATE TABLE orders (id int PRIMARY KEY, amount numeric DEFAULT 0); INSERT INTO orders VALUES (1, 10)' | Out-Null
        $script:migrations = Join-Path $work 'migrations'
        New-Item -ItemType Directory -Path $migrations | Out-Null
        Set-Content (Join-Path $migrations '001_note.sql') 'ALTER TABLE orders ADD COLUMN note text;'
        Set-Content (Join-Path $migrations '002_amount_index.sql') 'CREATE INDEX orders_amount_idx ON orders (amount);'
        $script:summary = Join-Path $work 'schema-diff.md'

        # The pipeline's own lines that call the script, with its variables filled in as Azure Pipelines would.
        $yaml = Get-Content -Raw (Join-Path $recipes 'azure-pipelines.yml')
        $script:steps = @($yaml -split "`n" | Where-Object { $_ -match 'pr-branch\.ps1' } | ForEach-Object {
                $_.Trim().Replace('./docs/recipes/pr-branch.ps1', "& '$recipes/pr-branch.ps1'").Replace('$(LAKEBASE_PROJECT)', 'pipe-app').
                Replace('$(System.PullRequest.PullRequestId)', '42').Replace('./migrations', "'$migrations'").Replace('$(Agent.TempDirectory)/schema-diff.md', "'$summary'")
            })
        function Invoke-Step([string] $action, [int[]] $active) { Invoke-Expression ($steps | Where-Object { $_ -match "-Action $action" }) }
    }

    It 'calls the script with parameters it has' {
        $steps.Count | Should -Be 2
        $known = (Get-Command (Join-Path $recipes 'pr-branch.ps1')).Parameters.Keys
        foreach ($step in $steps) {
            foreach ($used in [regex]::Matches($step, ' -([A-Za-z]+)') | ForEach-Object { $_.Groups[1].Value }) { $known | Should -Contain $used }
        }
    }

    It 'gives the pull request its own branch pr-42 with a TTL, migrates it and puts the schema diff in the summary' {
        $branch = Invoke-Step Open | Select-Object -Last 1
        $branch.BranchId | Should -Be 'pr-42'
        $branch.ExpireTime | Should -Not -BeNullOrEmpty
        ($branch | Invoke-LakebaseQuery -Query 'SELECT version FROM schema_migrations ORDER BY 1').version | Should -Be '001_note', '002_amount_index'
        $text = Get-Content -Raw $summary
        $text | Should -BeLike '*## Schema changes of pr-42 against production*'
        $text | Should -BeLike '*```diff*+    note text*+CREATE INDEX orders_amount_idx ON public.orders USING btree (amount);*'
        $production | Invoke-LakebaseQuery -Query "SELECT count(*) FROM information_schema.columns WHERE table_name = 'orders' AND column_name = 'note'" -As Scalar | Should -Be 0
    }

    It 'succeeds when the pipeline is run again, applying nothing twice' {
        $first = Get-Content -Raw $summary
        Invoke-Step Open | Out-Null
        Get-Content -Raw $summary | Should -BeExactly $first
        (Get-LakebaseBranch -ProjectId 'pipe-app' -BranchId 'pr-42' | Invoke-LakebaseQuery -Query 'SELECT count(*) FROM schema_migrations' -As Scalar) | Should -Be 2
    }

    It 'applies the pending migrations in one transaction: a failing one leaves none of them' {
        Set-Content (Join-Path $migrations '003_flag.sql') 'ALTER TABLE orders ADD COLUMN flag bool;'
        Set-Content (Join-Path $migrations '004_broken.sql') 'ALTER TABLE orders ADD COLUMN broken int REFERENCES nowhere (id);'
        { Invoke-Step Open } | Should -Throw '*nowhere*'
        $pr = Get-LakebaseBranch -ProjectId 'pipe-app' -BranchId 'pr-42'
        $pr | Invoke-LakebaseQuery -Query "SELECT count(*) FROM information_schema.columns WHERE table_name = 'orders' AND column_name = 'flag'" -As Scalar | Should -Be 0
        $pr | Invoke-LakebaseQuery -Query 'SELECT count(*) FROM schema_migrations' -As Scalar | Should -Be 2
        Remove-Item (Join-Path $migrations '003_flag.sql'), (Join-Path $migrations '004_broken.sql')
    }

    It 'removes the branch once its pull request is closed, after showing it with -WhatIf' {
        & (Join-Path $recipes 'pr-branch.ps1') -Action Prune -ProjectId 'pipe-app' -ActivePullRequestIds @() -WhatIf
        Get-LakebaseBranch -ProjectId 'pipe-app' | ForEach-Object BranchId | Should -Contain 'pr-42'
        Invoke-Step Prune -active 42
        Get-LakebaseBranch -ProjectId 'pipe-app' | ForEach-Object BranchId | Should -Contain 'pr-42'
        Invoke-Step Prune -active @()
        Get-LakebaseBranch -ProjectId 'pipe-app' | ForEach-Object BranchId | Should -Not -Contain 'pr-42'
    }
}

Describe 'Recipe: scheduled branch maintenance (branch-maintenance.ps1)' {
    BeforeAll {
        New-LakebaseProject 'ops-app' | Out-Null
        New-LakebaseBranch -ProjectId 'ops-app' -Name 'dormant' -NoExpiry | Out-Null
        New-LakebaseBranch -ProjectId 'ops-app' -Name 'short' -Ttl 1d | Out-Null
        New-LakebaseBranch -ProjectId 'ops-app' -Name 'guarded' -NoExpiry -Protected | Out-Null
        $busy = New-LakebaseBranch -ProjectId 'ops-app' -Name 'busy' -Ttl 3d
        # Everything above was last used before this moment; busy is used after it.
        $script:cutoff = [DateTimeOffset]::Now
        Start-Sleep -Milliseconds 50
        $busy | Invoke-LakebaseQuery -Query 'SELECT 1' -As Scalar | Out-Null
        # Judged two days from now: short has expired by then, dormant has been unused since before the cutoff.
        $script:at = [DateTimeOffset]::Now.AddDays(2)
        $script:options = @{ ProjectId = 'ops-app'; At = $at; StaleAfter = $at - $cutoff; RequiredRestoreWindow = [TimeSpan]::FromDays(14) }
    }

    It 'shows with -WhatIf what it would remove, and why, without removing it' {
        $report = & (Join-Path $recipes 'branch-maintenance.ps1') @options -WhatIf -WarningAction SilentlyContinue
        $report.Branches | ForEach-Object { '{0}: {1}' -f $_.Branch.Split('/')[-1], ($_.Reason -replace ' \d.*') } | Sort-Object |
            Should -Be 'dormant: unused since', 'short: expired at'
        $report.Branches.Removed | Should -Not -Contain $true
        @(Get-LakebaseBranch -ProjectId 'ops-app').Count | Should -Be 5
    }

    It 'reports each endpoint''s limits, state and last activity, and a history window shorter than required' {
        $report = & (Join-Path $recipes 'branch-maintenance.ps1') @options -WhatIf -WarningVariable warnings -WarningAction SilentlyContinue
        $report.Endpoints.Endpoint | Sort-Object | Should -Be 'ops-app/busy/primary', 'ops-app/dormant/primary', 'ops-app/guarded/primary', 'ops-app/production/primary', 'ops-app/short/primary'
        $report.Endpoints | ForEach-Object { $_.MinCu | Should -BeGreaterThan 0; $_.MaxCu | Should -BeGreaterOrEqual $_.MinCu; $_.State | Should -Not -BeNullOrEmpty }
        ($report.Endpoints | Where-Object Endpoint -EQ 'ops-app/busy/primary').LastActive | Should -BeGreaterThan $cutoff
        $report.HistoryWindows.Covers | Should -BeFalse
        "$warnings" | Should -BeLike '*ops-app keeps 7 days of history; 14 are required*'
    }

    It 'removes the expired and stale branches, never a protected, default, or undated one still in use' {
        $report = & (Join-Path $recipes 'branch-maintenance.ps1') @options -Confirm:$false -WarningAction SilentlyContinue
        $report.Branches.Removed | Should -Be $true, $true
        Get-LakebaseBranch -ProjectId 'ops-app' | ForEach-Object BranchId | Sort-Object | Should -Be 'busy', 'guarded', 'production'
    }
}

Describe 'Recipe: restore drill (restore-drill.ps1)' {
    It 'branches at a point in time, compares it with production, copies the lost rows back and removes the branch' {
        New-LakebaseProject 'drill-app' | Out-Null
        $production = Get-LakebaseBranch -ProjectId 'drill-app' -BranchId 'production'
        $production | Invoke-LakebaseQuery -As NonQuery -Query "CREATE TABLE orders (id int PRIMARY KEY, item text); INSERT INTO orders VALUES (1, 'tea'), (2, 'cake'), (3, 'jam')" | Out-Null
        $beforeMistake = Get-Date
        Start-Sleep -Milliseconds 100
        $production | Invoke-LakebaseQuery -As NonQuery -Query 'DELETE FROM orders WHERE id = 2; ALTER TABLE orders ADD COLUMN note text' | Out-Null

        $drill = & (Join-Path $recipes 'restore-drill.ps1') -ProjectId 'drill-app' -At $beforeMistake -Table orders -Key id
        $drill.SchemaChanges | ForEach-Object { "$($_.Change) $($_.Kind) $($_.Name)" } | Should -Be 'Added Column public.orders.note'
        $drill.LostRows | Should -Be 1
        $drill.CopiedRows | Should -Be 1
        $production | Invoke-LakebaseQuery -Query 'SELECT item FROM orders ORDER BY id' | ForEach-Object item | Should -Be 'tea', 'cake', 'jam'
        Get-LakebaseBranch -ProjectId 'drill-app' | ForEach-Object BranchId | Should -Be 'production'
    }
}
