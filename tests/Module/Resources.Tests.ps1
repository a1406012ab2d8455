# Drives the cmdlets as a user would, against a real Lakebase Local started for this file.
BeforeAll {
    Import-Module $env:LAKEBASE_MODULE_PATH -Force
    $script:root = Join-Path ([IO.Path]::GetTempPath()) ("lbp-" + [guid]::NewGuid().ToString('N').Substring(0, 10))
    $script:context = Connect-Lakebase -Local -StateRoot $root -Port 0
    $script:project = New-LakebaseProject -ProjectId 'pester-app' -DisplayName 'Pester app'
}

AfterAll {
    Stop-LakebaseLocal -StateRoot $root -Confirm:$false
    Remove-Item $root -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Project create fields and deletes that allow a missing resource' {
    It 'makes a project with tags, a budget policy, and the first role and database asked for' {
        $tagged = New-LakebaseProject 'tagged-app' -CustomTag @{ team = 'data'; env = 'dev' } -BudgetPolicyId 'policy-1' -InitialRole 'app_owner' -InitialDatabase 'app'
        $tagged.CustomTags['team'] | Should -Be 'data'
        $tagged.BudgetPolicyId | Should -Be 'policy-1'
        (Get-LakebaseRole -ProjectId tagged-app -BranchId production).PostgresRole | Should -Be 'app_owner'
        $database = Get-LakebaseDatabase -ProjectId tagged-app -BranchId production
        $database.PostgresDatabase | Should -Be 'app'

        $retagged = Set-LakebaseProject tagged-app -CustomTag @{} -BudgetPolicyId 'policy-2'
        $retagged.CustomTags.Count | Should -Be 0
        $retagged.BudgetPolicyId | Should -Be 'policy-2'
    }

    It 'removes what is not there with -AllowMissing, and says it is not there without' {
        Remove-LakebaseBranch -ProjectId tagged-app never-made -AllowMissing -Confirm:$false -ErrorAction Stop
        Remove-LakebaseProject never-made -AllowMissing -Confirm:$false -ErrorAction Stop
        $error.Clear()
        Remove-LakebaseBranch -ProjectId tagged-app never-made -Confirm:$false -ErrorAction SilentlyContinue
        $error[0].FullyQualifiedErrorId | Should -BeLike 'NOT_FOUND,*'
    }
}

Describe 'Projects and branches from the pipeline' {
    It 'creates a project whose production branch is ready and default' {
        $project.ProjectId | Should -Be 'pester-app'
        $project.DisplayName | Should -Be 'Pester app'
        $production = Get-LakebaseBranch -ProjectId pester-app production
        $production.IsDefault | Should -BeTrue
        $production.State | Should -Be 'READY'
    }

    It 'pipes a project into New-LakebaseBranch with a 7d TTL' {
        $branch = Get-LakebaseProject pester-app | New-LakebaseBranch -Name 'feature' -Ttl 7d
        $branch.BranchId | Should -Be 'feature'
        $branch.SourceBranch | Should -Be 'projects/pester-app/branches/production'
        ($branch.ExpireTime - [DateTimeOffset]::UtcNow).TotalDays | Should -BeGreaterThan 6.9
        $branch.ExpireTime | Should -BeOfType [DateTimeOffset]
    }

    It 'finds branches that expire soon, never those that never expire, and removes them through the pipeline' {
        Get-LakebaseProject pester-app | New-LakebaseBranch -Name 'short-lived' -Ttl 1h | Out-Null
        Get-LakebaseProject pester-app | New-LakebaseBranch -Name 'forever' -NoExpiry | Out-Null
        (Get-LakebaseProject pester-app | Get-LakebaseBranch -ExpiringWithin 1d).BranchId | Should -Be 'short-lived'
        (Get-LakebaseBranch -ProjectId pester-app forever -ExpiringWithin 1d) | Should -BeNullOrEmpty
        Get-LakebaseProject pester-app | Get-LakebaseBranch -ExpiringWithin 1d | Remove-LakebaseBranch -Purge -Confirm:$false
        $left = (Get-LakebaseBranch -ProjectId pester-app).BranchId
        $left | Should -Not -Contain 'short-lived'
        $left | Should -Contain 'feature'
        $left | Should -Contain 'forever'
        $left | Should -Contain 'production'
        Remove-LakebaseBranch -ProjectId pester-app forever -Purge -Confirm:$false
    }

    It 'accepts full resource names as well as ids' {
        (Get-LakebaseBranch -BranchId 'projects/pester-app/branches/feature').BranchId | Should -Be 'feature'
        (Get-LakebaseProject 'projects/pester-app').ProjectId | Should -Be 'pester-app'
    }

    It 'changes only what was asked: -MinCu/-MaxCu on an endpoint, -Protected on a branch' {
        $endpoint = Get-LakebaseBranch -ProjectId pester-app feature | Get-LakebaseEndpoint | Set-LakebaseEndpoint -MinCu 0.5 -MaxCu 2
        $endpoint.MinCu | Should -Be 0.5
        $endpoint.MaxCu | Should -Be 2
        $endpoint.SuspendTimeout | Should -Be ([TimeSpan]::FromDays(1))
        # As the service has it, a protected branch cannot expire: protecting feature (7d TTL) needs -NoExpiry too.
        { Set-LakebaseBranch -ProjectId pester-app feature -Protected $true -ErrorAction Stop } | Should -Throw '*cannot expire*'
        $protected = Set-LakebaseBranch -ProjectId pester-app feature -Protected $true -NoExpiry
        $protected.IsProtected | Should -BeTrue
        $protected.ExpireTime | Should -BeNullOrEmpty
        { Remove-LakebaseBranch -ProjectId pester-app feature -Confirm:$false -ErrorAction Stop } | Should -Throw '*protected*'
        (Set-LakebaseBranch -ProjectId pester-app feature -Protected $false).IsProtected | Should -BeFalse
    }

    It 'shows the size a running compute runs at, within its limits, and leaves it empty once it is stopped' {
        $endpoint = Get-LakebaseEndpoint -ProjectId pester-app -BranchId feature primary
        $endpoint.State | Should -Be 'ACTIVE'
        $endpoint.CurrentCu | Should -BeGreaterOrEqual $endpoint.MinCu
        $endpoint.CurrentCu | Should -BeLessOrEqual $endpoint.MaxCu
        (Get-LakebaseBranch -ProjectId pester-app feature | Get-LakebaseEndpoint).CurrentCu | Should -Be $endpoint.CurrentCu

        $stopped = Set-LakebaseEndpoint -ProjectId pester-app -BranchId feature primary -Disabled $true | ForEach-Object { Get-LakebaseEndpoint -ProjectId pester-app -BranchId feature primary }
        $stopped.CurrentCu | Should -BeNullOrEmpty
        Set-LakebaseEndpoint -ProjectId pester-app -BranchId feature primary -Disabled $false | Out-Null
    }

    It 'shows -WhatIf without deleting' {
        Remove-LakebaseBranch -ProjectId pester-app feature -WhatIf
        (Get-LakebaseBranch -ProjectId pester-app feature).State | Should -Be 'READY'
    }

    It 'soft-deletes and restores a branch' {
        Remove-LakebaseBranch -ProjectId pester-app feature -Confirm:$false
        (Get-LakebaseBranch -ProjectId pester-app).BranchId | Should -Not -Contain 'feature'
        (Get-LakebaseBranch -ProjectId pester-app -IncludeDeleted | Where-Object BranchId -eq feature).DeleteTime | Should -Not -BeNullOrEmpty
        (Restore-LakebaseBranch -ProjectId pester-app feature -Confirm:$false).DeleteTime | Should -BeNullOrEmpty
    }
}

Describe 'Long-running operations' {
    It '-NoWait returns the operation, which Wait-LakebaseOperation finishes' {
        $operation = New-LakebaseBranch -ProjectId pester-app 'nowait' -NoWait
        $operation.Done | Should -BeFalse
        $operation.Target | Should -Be 'projects/pester-app/branches/nowait'
        ($operation | Wait-LakebaseOperation).Done | Should -BeTrue
        (Get-LakebaseBranch -ProjectId pester-app nowait).State | Should -Be 'READY'
    }

    It '-AsJob returns a job whose output is the finished resource' {
        $job = New-LakebaseBranch -ProjectId pester-app 'as-job' -AsJob
        $job | Should -BeOfType [System.Management.Automation.Job]
        $branch = $job | Wait-Job -Timeout 120 | Receive-Job
        $job.State | Should -Be 'Completed'
        $branch.BranchId | Should -Be 'as-job'
        $job | Remove-Job
    }
}

Describe 'Roles and databases' {
    It 'creates a role with attributes and a database it owns' {
        $branch = Get-LakebaseBranch -ProjectId pester-app production
        $role = $branch | New-LakebaseRole 'app_writer' -CreateDb
        $role.CreateDb | Should -BeTrue
        $role.AuthMethod | Should -Be Password
        $database = $branch | New-LakebaseDatabase 'orders' -OwnerRole $role.RoleId
        $database.OwnerRole | Should -Be $role.Name
        ($branch | Get-LakebaseDatabase).PostgresDatabase | Should -Contain 'orders'
    }

    It 'changes one attribute and leaves the others' {
        $role = Set-LakebaseRole -ProjectId pester-app -BranchId production app-writer -CreateRole $true
        $role.CreateRole | Should -BeTrue
        $role.CreateDb | Should -BeTrue
    }
}

Describe 'Compute settings' {
    It 'sets a project''s endpoint defaults and a new endpoint''s own size and suspension' {
        $project = Set-LakebaseProject pester-app -MinCu 0.5 -MaxCu 2 -SuspendTimeout 10m
        $project.MinCu | Should -Be 0.5
        $project.MaxCu | Should -Be 2
        $project.SuspendTimeout | Should -Be ([TimeSpan]::FromMinutes(10))
        $endpoint = Get-LakebaseBranch -ProjectId pester-app production | New-LakebaseEndpoint 'reader' -MinCu 0.5 -MaxCu 1 -NoSuspension
        $endpoint.Type | Should -Be 'ReadOnly'
        $endpoint.MinCu | Should -Be 0.5
        $endpoint.MaxCu | Should -Be 1
        $endpoint.NoSuspension | Should -BeTrue
        $endpoint | Remove-LakebaseEndpoint -Confirm:$false
    }

    It 'rejects -MinCu above -MaxCu, and -SuspendTimeout with -NoSuspension, before sending anything' {
        { Set-LakebaseProject pester-app -MinCu 4 -MaxCu 2 -ErrorAction Stop } | Should -Throw '*must not exceed -MaxCu*'
        { New-LakebaseEndpoint -ProjectId pester-app -BranchId production 'never' -SuspendTimeout 5m -NoSuspension -ErrorAction Stop } |
            Should -Throw '*either -SuspendTimeout or -NoSuspension*'
    }
}

Describe 'Errors a user can act on' {
    It 'rejects a bad id before sending anything' {
        $error.Clear()
        New-LakebaseBranch -ProjectId pester-app 'Bad_Name' -ErrorAction SilentlyContinue
        $error[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $error[0].Exception.Message | Should -BeLike "*'Bad_Name' is not a valid BranchId*"
    }

    It 'rejects a database id the service refuses (one ending in a hyphen) before sending anything' {
        $error.Clear()
        New-LakebaseDatabase -ProjectId pester-app -BranchId production app -OwnerRole owner -DatabaseId 'app-db-' -ErrorAction SilentlyContinue
        $error[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $error[0].Exception.Message | Should -BeLike "*'app-db-' is not a valid DatabaseId*not ending with a hyphen*"
    }

    It 'reports the service error code, status and target for a missing branch' {
        $error.Clear()
        Get-LakebaseBranch -ProjectId pester-app 'missing' -ErrorAction SilentlyContinue
        $error[0].FullyQualifiedErrorId | Should -BeLike 'NOT_FOUND,*'
        $error[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $error[0].TargetObject | Should -Be 'projects/pester-app/branches/missing'
    }

    It 'shows the server''s limit when a compute is too large' {
        { Set-LakebaseEndpoint -ProjectId pester-app -BranchId production primary -MinCu 1 -MaxCu 24 -ErrorAction Stop } |
            Should -Throw '*spans more than 16 CU*'
    }

    It 'says how to connect when not connected' {
        Disconnect-Lakebase
        { Get-LakebaseProject -ErrorAction Stop } | Should -Throw '*Connect-Lakebase*'
        $script:context = Connect-Lakebase -Local -StateRoot $root
    }
}

Describe 'Two contexts side by side' {
    It 'uses the context given with -Context rather than the default' {
        $otherRoot = Join-Path ([IO.Path]::GetTempPath()) ("lbp-" + [guid]::NewGuid().ToString('N').Substring(0, 10))
        try {
            $other = Connect-Lakebase -Local -StateRoot $otherRoot -Port 0 -NoDefault
            $other.Host | Should -Not -Be $context.Host
            New-LakebaseProject 'other-app' -Context $other | Out-Null
            (Get-LakebaseProject -Context $other).ProjectId | Should -Be @('other-app')
            (Get-LakebaseProject).ProjectId | Should -Not -Contain 'other-app'
        }
        finally {
            Stop-LakebaseLocal -StateRoot $otherRoot -Confirm:$false
            Remove-Item $otherRoot -Recurse -Force -ErrorAction SilentlyContinue
        }
    }
}
