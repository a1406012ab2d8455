# The module as a new user meets it in an 80-column console: views, tab completion, values that round-trip, scripts
# that run twice, -WhatIf. One Lakebase Local for the file.
BeforeAll {
    Import-Module $env:LAKEBASE_MODULE_PATH -Force
    $script:root = Join-Path ([IO.Path]::GetTempPath()) ("lbx-" + [guid]::NewGuid().ToString('N').Substring(0, 10))
    $script:context = Connect-Lakebase -Local -StateRoot $root -Port 0
    $script:project = New-LakebaseProject -ProjectId 'exp-app' -DisplayName 'Experience'
    $script:production = Get-LakebaseBranch -ProjectId exp-app production

    # What a user sees of $InputObject at 80 columns, as lines.
    function Get-Screen($InputObject, [string] $Format = 'Format-Table') {
        @(($InputObject | & $Format | Out-String -Width 80) -split "`r?`n")
    }

    # The labels of the table view for a type, in order.
    function Get-TableLabels([string] $TypeName) {
        $view = (Get-FormatData -TypeName $TypeName).FormatViewDefinition | Where-Object { $_.Control -is [System.Management.Automation.TableControl] }
        @($view.Control.Headers.Label)
    }

    function Get-Completions([string] $Line) {
        @((TabExpansion2 -inputScript $Line -cursorColumn $Line.Length).CompletionMatches.CompletionText)
    }
}

AfterAll {
    Stop-LakebaseLocal -StateRoot $root -Confirm:$false
    Remove-Item $root -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Views at 80 columns' {
    BeforeAll {
        $role = $production | New-LakebaseRole 'a-rather-long-role-name@example.com' -IdentityType User -CreateDb
        $script:samples = [ordered]@{
            LakebaseProject     = Get-LakebaseProject exp-app
            LakebaseBranch      = $production
            LakebaseEndpoint    = $production | Get-LakebaseEndpoint
            LakebaseRole        = @($production | Get-LakebaseRole) + $role
            LakebaseDatabase    = $production | Get-LakebaseDatabase
            LakebaseOperation   = New-LakebaseBranch -ProjectId exp-app 'view-op' -NoWait
            LakebaseCredential  = $production | Get-LakebaseCredential
            LakebaseContext     = Get-LakebaseContext
            LakebaseLocalServer = Get-LakebaseLocal -StateRoot $root
        }
        $samples.LakebaseOperation | Wait-LakebaseOperation | Out-Null
    }

    It 'shows <_> as a table no wider than 80 columns with every header on one line' -ForEach @(
        'LakebaseProject', 'LakebaseBranch', 'LakebaseEndpoint', 'LakebaseRole', 'LakebaseDatabase', 'LakebaseOperation',
        'LakebaseCredential', 'LakebaseContext', 'LakebaseLocalServer') {
        $objects = $samples[$_]
        $objects | Should -Not -BeNullOrEmpty
        $typeName = @($objects)[0].GetType().FullName
        $labels = Get-TableLabels $typeName
        $labels.Count | Should -BeGreaterThan 2 -Because "$typeName has a table view"
        $screen = Get-Screen $objects
        foreach ($line in $screen) { $line.Length | Should -BeLessOrEqual 80 -Because "'$line' must fit" }
        $rule = [array]::FindIndex([string[]] $screen, [Predicate[string]] { param($line) $line -match '^[- ]+$' -and $line -match '-' })
        $rule | Should -BeGreaterThan 0 -Because 'a table has a header rule'
        @($screen[$rule - 1] -split '\s+' | Where-Object { $_ }) | Should -Be $labels -Because 'each label is whole, in one header line'
        @($screen[$rule] -split '\s+' | Where-Object { $_ }).Count | Should -Be $labels.Count -Because 'no column is dropped'
    }

    It 'lists <_> without Raw, and shows its ids with Format-Wide' -ForEach @(
        'LakebaseProject', 'LakebaseBranch', 'LakebaseEndpoint', 'LakebaseRole', 'LakebaseDatabase', 'LakebaseOperation',
        'LakebaseCredential', 'LakebaseContext', 'LakebaseLocalServer') {
        $objects = $samples[$_]
        $list = Get-Screen $objects Format-List
        $list | Where-Object { $_ -match '^Raw\s*:' } | Should -BeNullOrEmpty
        $list | Where-Object { $_ -match '^\w+\s*: Lakebase\.Contract' } | Should -BeNullOrEmpty
        $wide = Get-Screen $objects Format-Wide
        foreach ($line in $wide) { $line.Length | Should -BeLessOrEqual 80 }
        $first = @($objects)[0]
        $id = @{ LakebaseProject = 'ProjectId'; LakebaseBranch = 'BranchId'; LakebaseEndpoint = 'EndpointId'; LakebaseRole = 'RoleId'
            LakebaseDatabase = 'DatabaseId'; LakebaseOperation = 'Target'; LakebaseCredential = 'UserName'; LakebaseContext = 'Host'
            LakebaseLocalServer = 'ApiUrl' }[$_]
        ($wide -join "`n").Contains($first.$id) | Should -BeTrue -Because "Format-Wide shows $id"
    }
}

Describe 'Tab completion of ids' {
    It 'completes project ids from the current context' {
        Get-Completions 'Get-LakebaseProject -ProjectId exp' | Should -Contain 'exp-app'
    }

    It 'completes branch ids of the project -ProjectId names' {
        Get-Completions 'Get-LakebaseBranch -ProjectId exp-app -BranchId ' | Should -Contain 'production'
        Get-Completions 'Remove-LakebaseBranch -ProjectId exp-app pro' | Should -Be @('production')
    }

    It 'completes endpoint, role and database ids of the branch named so far' {
        $onBranch = '-ProjectId exp-app -BranchId production'
        Get-Completions "Get-LakebaseEndpoint $onBranch -EndpointId " | Should -Contain 'primary'
        Get-Completions "Invoke-LakebaseQuery $onBranch -EndpointId pri" | Should -Contain 'primary'
        $roleId = @($production | Get-LakebaseRole)[0].RoleId
        Get-Completions "Set-LakebaseRole $onBranch -RoleId " | Should -Contain $roleId
        Get-Completions "Get-LakebaseDatabase $onBranch -DatabaseId " | Should -Contain (@($production | Get-LakebaseDatabase)[0].DatabaseId)
    }

    It 'uses the context given with -Context' {
        $second = Connect-Lakebase -Local -StateRoot $root -NoDefault
        Get-Completions 'Get-LakebaseBranch -Context $second -ProjectId exp-app -BranchId ' | Should -Contain 'production'
    }

    It 'completes nothing, and writes no error, when the parent does not exist or is not valid' {
        $error.Clear()
        Get-Completions 'Get-LakebaseBranch -ProjectId no-such-project -BranchId ' | Should -Not -Contain 'production'
        Get-Completions 'Get-LakebaseEndpoint -ProjectId Not_Valid -BranchId production -EndpointId ' | Should -Not -Contain 'primary'
        $error | Should -BeNullOrEmpty
    }

    It 'completes the choices of enum parameters' {
        Get-Completions 'New-LakebaseRole x -IdentityType Serv' | Should -Be @('ServicePrincipal')
        Get-Completions 'Invoke-LakebaseQuery -As Data' | Should -Be @('DataTable')
    }
}

Describe 'Values that round-trip' {
    It 'outputs IdentityType and AuthMethod as the values the parameters take, and sends the wire strings' {
        $principal = [guid]::NewGuid().ToString()
        $role = $production | New-LakebaseRole $principal -IdentityType ServicePrincipal
        $role.IdentityType | Should -Be ([Lakebase.PowerShell.Objects.IdentityType]::ServicePrincipal)
        $role.IdentityType -eq 'ServicePrincipal' | Should -BeTrue
        $role.Raw.Status.IdentityType | Should -Be 'SERVICE_PRINCIPAL'
        $role.AuthMethod | Should -Be LakebaseOAuth
        $again = New-LakebaseRole -ProjectId exp-app -BranchId production $principal -IdentityType $role.IdentityType -AuthMethod $role.AuthMethod -Force
        $again.IdentityType | Should -Be $role.IdentityType
    }

    It 'outputs an endpoint''s Type as New-LakebaseEndpoint -Type takes it' {
        $primary = $production | Get-LakebaseEndpoint
        $primary.Type | Should -Be ([Lakebase.PowerShell.Objects.EndpointType]::ReadWrite)
        (Get-Command New-LakebaseEndpoint).Parameters['Type'].ParameterType | Should -Be ([Lakebase.PowerShell.Objects.EndpointType])
    }
}

Describe 'Scripts that run twice' {
    It 'creates with -Force, and a second run with the same settings succeeds with the same state' {
        $first = New-LakebaseProject 'rerun-app' -DisplayName 'Rerun' -HistoryRetention 2d -Force
        $second = New-LakebaseProject 'rerun-app' -DisplayName 'Rerun' -HistoryRetention 2d -Force
        $second.ProjectId | Should -Be $first.ProjectId
        $second.CreateTime | Should -Be $first.CreateTime
        $second.HistoryRetention | Should -Be ([timespan]::FromDays(2))

        foreach ($run in 1..2) {
            $branch = New-LakebaseBranch -ProjectId rerun-app 'staging' -Protected -Force
            $role = $branch | New-LakebaseRole 'app_owner' -CreateDb -Force
            $database = $branch | New-LakebaseDatabase 'app' -OwnerRole $role.RoleId -Force
            $reader = $branch | New-LakebaseEndpoint 'reader' -MinCu 0.5 -MaxCu 1 -Force
        }
        $branch.IsProtected | Should -BeTrue
        @(Get-LakebaseBranch -ProjectId rerun-app | Where-Object BranchId -EQ staging).Count | Should -Be 1
        @($branch | Get-LakebaseRole | Where-Object PostgresRole -EQ app_owner).CreateDb | Should -Be $true
        @($branch | Get-LakebaseDatabase | Where-Object PostgresDatabase -EQ app).Count | Should -Be 1
        @($branch | Get-LakebaseEndpoint).EndpointId | Should -Be @('primary', 'reader')
        $reader.MaxCu | Should -Be 1
    }

    It 'updates what exists to the settings given' {
        (New-LakebaseProject 'rerun-app' -DisplayName 'Renamed' -Force).DisplayName | Should -Be 'Renamed'
        (New-LakebaseBranch -ProjectId rerun-app 'staging' -Force).IsProtected | Should -BeTrue -Because 'what is not given keeps its value'
        (New-LakebaseRole -ProjectId rerun-app -BranchId staging 'app_owner' -CreateRole -Force).CreateRole | Should -BeTrue
        (New-LakebaseEndpoint -ProjectId rerun-app -BranchId staging 'reader' -MinCu 0.5 -MaxCu 2 -Force).MaxCu | Should -Be 2
    }

    It 'says so when what exists cannot be updated into what was asked' {
        New-LakebaseBranch -ProjectId rerun-app 'feature' -Force | Out-Null
        { New-LakebaseBranch -ProjectId rerun-app 'feature' -SourceBranch staging -Force -ErrorAction Stop } |
            Should -Throw '*was made from projects/rerun-app/branches/production*cannot change where a branch comes from*'
        { New-LakebaseProject 'rerun-app' -PgVersion 14 -Force -ErrorAction Stop } | Should -Throw '*cannot change the version*'
    }

    It 'fails as before without -Force' {
        { New-LakebaseBranch -ProjectId rerun-app 'staging' -ErrorAction Stop } | Should -Throw '*already exists*'
    }

    It 'sizes a new branch''s read-write endpoint in the same call' {
        $branch = New-LakebaseBranch -ProjectId rerun-app 'sized' -MinCu 0.5 -MaxCu 1 -SuspendTimeout 10m
        $branch.BranchId | Should -Be 'sized'
        $primary = $branch | Get-LakebaseEndpoint | Where-Object Type -EQ ReadWrite
        $primary.MaxCu | Should -Be 1
        $primary.SuspendTimeout | Should -Be ([timespan]::FromMinutes(10))
        { New-LakebaseBranch -ProjectId rerun-app 'sized-nowait' -MaxCu 1 -NoWait -ErrorAction Stop } | Should -Throw '*-NoWait cannot go with*'
    }
}

Describe 'Conventions' {
    It 'supports -WhatIf on every cmdlet that changes something' {
        $changing = Get-Command -Module Lakebase | Where-Object Verb -In 'New', 'Set', 'Remove', 'Restore', 'Start', 'Stop'
        foreach ($command in $changing) { $command.Parameters.Keys | Should -Contain 'WhatIf' -Because "$($command.Name) changes something" }
    }

    It 'creates nothing and starts nothing with -WhatIf' {
        New-LakebaseProject 'whatif-app' -WhatIf
        { Get-LakebaseProject 'whatif-app' -ErrorAction Stop } | Should -Throw '*not*found*'
        $production | New-LakebaseRole 'whatif_role' -WhatIf
        ($production | Get-LakebaseRole).PostgresRole | Should -Not -Contain 'whatif_role'
        $elsewhere = Join-Path ([IO.Path]::GetTempPath()) ("lbw-" + [guid]::NewGuid().ToString('N').Substring(0, 10))
        Start-LakebaseLocal -StateRoot $elsewhere -Port 0 -WhatIf
        Get-LakebaseLocal -StateRoot $elsewhere | Should -BeNullOrEmpty
    }

    It 'stops with one terminating error for a bad combination of parameters, not one per piped object' {
        $errors = @()
        $caught = $null
        try { 'combo-a', 'combo-b', 'combo-c' | New-LakebaseProject -MinCu 4 -MaxCu 2 -ErrorVariable +errors } catch { $caught = $_ }
        $caught | Should -Not -BeNullOrEmpty
        $caught.FullyQualifiedErrorId | Should -BeLike 'InvalidArgument,*'
        $errors.Count | Should -Be 1
        (Get-LakebaseProject).ProjectId | Should -Not -Contain 'combo-a'
    }

    It 'takes durations the same way everywhere' {
        foreach ($command in Get-Command -Module Lakebase) {
            foreach ($parameter in $command.Parameters.Values | Where-Object { $_.ParameterType -in [timespan], [Nullable[timespan]] }) {
                $parameter.Attributes.TypeId.Name | Should -Contain 'DurationTransformationAttribute' -Because "$($command.Name) -$($parameter.Name)"
            }
        }
        (Get-Command Invoke-LakebaseQuery).Parameters['Timeout'].ParameterType | Should -Be ([timespan])
    }
}
