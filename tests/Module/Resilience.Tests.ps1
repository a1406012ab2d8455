# The module as a CI job on a bad network drives it: through a fault-injecting proxy (tests/Lakebase.FaultProxy) in
# front of a real Lakebase Local, with each end state read directly from Lakebase Local, not through the proxy.
BeforeAll {
    Import-Module $env:LAKEBASE_MODULE_PATH -Force
    Import-Module (Join-Path $PSScriptRoot '../Lakebase.FaultProxy/FaultProxy.psm1') -Force
    $script:root = Join-Path ([IO.Path]::GetTempPath()) ("lbr-" + [guid]::NewGuid().ToString('N').Substring(0, 10))
    $script:direct = Connect-Lakebase -Local -StateRoot $root -Port 0 -NoDefault
    $server = Get-LakebaseLocal -StateRoot $root
    $script:token = (Get-Content $server.AdminTokenFile -Raw).Trim()
    $script:proxy = Start-FaultProxy -Upstream $server.ApiUrl
    # Through the fault proxy the module sees a workspace, so it trusts Lakebase Local's CA only when the profile
    # names it, as a user with a company CA would.
    $script:configFile = Join-Path $root 'databrickscfg'
    Set-Content $configFile "[faulty]`nhost = $($proxy.Url)`ntoken = $token`nlocal_ca_certificate_file = $($server.CaCertificateFile)`n"
    $env:DATABRICKS_CONFIG_FILE = $configFile
    try { $script:faulty = Connect-Lakebase -Profile faulty -NoDefault }
    finally { Remove-Item Env:DATABRICKS_CONFIG_FILE }
    New-LakebaseProject resilient -Context $direct | Out-Null
    $script:project = @{ ProjectId = 'resilient' }

    # Runs a command that must fail (with -ErrorAction Stop) and returns its error record.
    function Get-Failure([scriptblock] $Command) {
        try { & $Command | Out-Null } catch { return $_ }
        throw 'The command did not fail.'
    }
}

AfterAll {
    if ($proxy) { Stop-FaultProxy $proxy }
    Stop-LakebaseLocal -StateRoot $root -Confirm:$false
    Remove-Item $root -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'The module through a network that fails' {
    AfterEach {
        Set-Fault $proxy
    }

    Context '-Timeout is one deadline for the whole cmdlet' {
        It 'ends with the deadline error naming the operation while every poll still fails, and the wait resumes' {
            Set-Fault $proxy @{ Method = 'GET'; PathPattern = '/operations/'; Status = 503; RetryAfter = 1 }
            $failure = Get-Failure { New-LakebaseBranch @project deadline -Ttl 1h -Timeout 8s -Context $faulty -ErrorAction Stop }

            $failure.FullyQualifiedErrorId | Should -BeLike 'Timeout,*'
            $failure.Exception.Message | Should -BeLike '*Timed out after 8 s*may still be running*'
            $failure.Exception.Message -match 'resume with `Wait-LakebaseOperation (projects/resilient/branches/deadline/operations/\S+)`' | Should -BeTrue
            $operation = $Matches[1]
            # The proxy was still failing every poll: none got through, yet the cmdlet ended.
            (Get-FaultStat $proxy).Hits[0] | Should -BeGreaterThan 0

            Set-Fault $proxy
            (Wait-LakebaseOperation $operation -Context $faulty).Done | Should -BeTrue
            (Get-LakebaseBranch @project deadline -Context $direct).State | Should -Be 'READY'
        }

        It 'counts the request that starts the operation' {
            Set-Fault $proxy @{ Method = 'POST'; PathPattern = '/branches$'; Status = 429; RetryAfter = 1 }
            $failure = Get-Failure { New-LakebaseBranch @project never-started -Ttl 1h -Timeout 2s -Context $faulty -ErrorAction Stop }
            $failure.FullyQualifiedErrorId | Should -BeLike 'Timeout,*'
            $failure.Exception.Message | Should -BeLike '*Timed out after 2 s before the service answered*'
            (Get-LakebaseBranch @project -Context $direct).BranchId | Should -Not -Contain 'never-started'
        }
    }

    Context 'A call that took effect is a success' {
        It 'returns the branch a create made when its answer was lost' {
            Set-Fault $proxy @{ Method = 'POST'; PathPattern = '/branches$'; Fault = 'LoseAnswer'; Times = 1 }
            $branch = New-LakebaseBranch @project lost-answer -Ttl 1d -Context $faulty
            (Get-FaultStat $proxy).Hits[0] | Should -Be 1
            $branch.BranchId | Should -Be 'lost-answer'
            $branch.State | Should -Be 'READY'
            $stored = Get-LakebaseBranch @project lost-answer -Context $direct
            $stored.State | Should -Be 'READY'
            $stored.ExpireTime | Should -Not -BeNullOrEmpty
        }

        It 'returns the project a create made when its answer was lost' {
            Set-Fault $proxy @{ Method = 'POST'; PathPattern = '/projects$'; Fault = 'LoseAnswer'; Times = 1 }
            $created = New-LakebaseProject lost-project -DisplayName 'Lost answer' -Context $faulty
            (Get-FaultStat $proxy).Hits[0] | Should -Be 1
            $created.ProjectId | Should -Be 'lost-project'
            (Get-LakebaseProject lost-project -Context $direct).DisplayName | Should -Be 'Lost answer'
        }

        It 'returns the role a create made when its answer was lost (the service answers 400, not 409)' {
            Set-Fault $proxy @{ Method = 'POST'; PathPattern = '/roles$'; Fault = 'LoseAnswer'; Times = 1 }
            $role = New-LakebaseRole @project -BranchId production lost_role -CreateDb -Context $faulty
            (Get-FaultStat $proxy).Hits[0] | Should -Be 1
            $role.PostgresRole | Should -Be 'lost_role'
            @(Get-LakebaseRole @project -BranchId production -Context $direct | Where-Object PostgresRole -eq lost_role) | Should -HaveCount 1
        }

        It 'says an earlier attempt may have made it when what exists is not what was asked' {
            New-LakebaseBranch @project taken -Ttl 1d -Context $direct | Out-Null
            Set-Fault $proxy @{ Method = 'POST'; PathPattern = '/branches$'; Fault = 'LoseAnswer'; Times = 1 }
            $failure = Get-Failure { New-LakebaseBranch @project taken -NoExpiry -Protected -Context $faulty -ErrorAction Stop }
            $failure.FullyQualifiedErrorId | Should -BeLike 'ALREADY_EXISTS,*'
            $failure.Exception.Message | Should -BeLike '*earlier attempt*may have created it*spec.is_protected*'
            (Get-LakebaseBranch @project taken -Context $direct).IsProtected | Should -BeFalse
        }

        It 'still refuses a create of something that existed before, when no answer was lost' {
            $failure = Get-Failure { New-LakebaseBranch @project taken -Ttl 1d -Context $faulty -ErrorAction Stop }
            $failure.FullyQualifiedErrorId | Should -BeLike 'ALREADY_EXISTS,*'
            $failure.Exception.Message | Should -Not -BeLike '*earlier attempt*'
        }

        It 'treats NOT_FOUND on a delete re-sent after a lost answer as done' {
            New-LakebaseBranch @project doomed -Ttl 1d -Context $direct | Out-Null
            Set-Fault $proxy @{ Method = 'DELETE'; PathPattern = '/branches/doomed$'; Fault = 'LoseAnswer'; Times = 1 }
            { Remove-LakebaseBranch @project doomed -Purge -Confirm:$false -Context $faulty -ErrorAction Stop } | Should -Not -Throw
            (Get-FaultStat $proxy).Hits[0] | Should -Be 1
            (Get-LakebaseBranch @project -IncludeDeleted -Context $direct).BranchId | Should -Not -Contain 'doomed'
        }
    }

    Context 'Polling tolerates transient errors' {
        It 'waits through 500s and dropped connections on the operation GET' {
            Set-Fault $proxy @{ Method = 'GET'; PathPattern = '/operations/'; Status = 500; Times = 3 },
                @{ Method = 'GET'; PathPattern = '/operations/'; Fault = 'Drop'; Times = 2 }
            $branch = New-LakebaseBranch @project through-500s -Ttl 1d -Context $faulty
            (Get-FaultStat $proxy).Hits | Should -Be @(3, 2)
            $branch.State | Should -Be 'READY'
            (Get-LakebaseBranch @project through-500s -Context $direct).State | Should -Be 'READY'
        }
    }

    Context 'Credential errors inside Invoke-LakebaseQuery' {
        It 'shows the error Get-LakebaseCredential shows, with the error_code, and asks again on the next call' {
            $production = @{ ProjectId = 'resilient'; BranchId = 'production'; Context = $faulty }
            $refusal = @{ Method = 'POST'; PathPattern = '/credentials$'; Status = 500; Message = 'credential service down'; Times = 1 }
            Set-Fault $proxy $refusal
            $expected = Get-Failure { Get-LakebaseCredential @production -ErrorAction Stop }
            Set-Fault $proxy $refusal
            $failure = Get-Failure { Invoke-LakebaseQuery @production 'SELECT 1' -As Scalar -ErrorAction Stop }

            # The same record but for the cmdlet named in the id: error_code, category, target and message.
            $failure.FullyQualifiedErrorId | Should -BeLike 'INTERNAL_ERROR,*InvokeLakebaseQueryCommand'
            $expected.FullyQualifiedErrorId | Should -BeLike 'INTERNAL_ERROR,*GetLakebaseCredentialCommand'
            $failure.CategoryInfo.Category | Should -Be $expected.CategoryInfo.Category
            $failure.TargetObject | Should -Be $expected.TargetObject
            $failure.ToString() | Should -Be $expected.ToString()
            $failure.ToString() | Should -BeLike '*credential service down*'
            # The fault is over (Times = 1): the very next query asks for a credential again and runs.
            Invoke-LakebaseQuery @production 'SELECT 41 + 1' -As Scalar | Should -Be 42
        }
    }

    Context 'The retry budget' {
        It 'follows retry_timeout_seconds of the profile and keeps the last error_code and message' {
            Add-Content $configFile "[impatient]`nhost = $($proxy.Url)`ntoken = $token`nretry_timeout_seconds = 2`n"
            $env:DATABRICKS_CONFIG_FILE = $configFile
            try {
                $impatient = Connect-Lakebase -Profile impatient -NoDefault
            }
            finally {
                Remove-Item Env:DATABRICKS_CONFIG_FILE
            }
            Set-Fault $proxy @{ Method = 'GET'; PathPattern = '/projects/resilient$'; Status = 503; RetryAfter = 1; Message = 'gateway overloaded' }
            $failure = Get-Failure { Get-LakebaseProject resilient -Context $impatient -ErrorAction Stop }
            $failure.FullyQualifiedErrorId | Should -BeLike 'TEMPORARILY_UNAVAILABLE,*'
            $failure.ToString() | Should -BeLike '*gateway overloaded*retrying for 2 s*'
        }
    }

    Context 'A storm of 429s and 503s' {
        It 'completes every operation with the end state asked for' {
            Set-Fault $proxy @{ Status = 429; RetryAfter = 0; Probability = 0.3 }, @{ Status = 503; RetryAfter = 0; Probability = 0.1 }
            $names = 'storm-1', 'storm-2'
            foreach ($name in $names) { New-LakebaseBranch @project $name -Ttl 2d -Context $faulty | Out-Null }
            New-LakebaseRole @project -BranchId production storm_role -Context $faulty | Out-Null
            Remove-LakebaseBranch @project storm-2 -Purge -Confirm:$false -Context $faulty
            (Get-FaultStat $proxy).Hits | Measure-Object -Sum | ForEach-Object Sum | Should -BeGreaterThan 0

            Set-Fault $proxy
            $branches = Get-LakebaseBranch @project -IncludeDeleted -Context $direct
            ($branches | Where-Object BranchId -in $names).BranchId | Sort-Object | Should -Be 'storm-1'
            $branches | Where-Object BranchId -in $names | ForEach-Object { $_.State | Should -Be 'READY' }
            @(Get-LakebaseRole @project -BranchId production -Context $direct | Where-Object PostgresRole -eq storm_role) | Should -HaveCount 1
        }
    }
}
