#requires -Version 7.4
<#
.SYNOPSIS
    The module on a bad network: N operations (branch creates, role creates, branch removals) through the
    fault-injecting proxy (tests/Lakebase.FaultProxy) under 30% 429, 10% 503, 10% lost answers and 10% 500 on polls.
    Prints how many completed, failed, and left an end state other than the one asked for (read directly from
    Lakebase Local), and the storm's time as a ratio to the same operations without faults, run just before.
#>
param([Parameter(Mandatory)] [string] $ModulePath, [int] $Operations = 16, [int] $Seed = 20)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
Import-Module (Join-Path $PSScriptRoot '../tests/Lakebase.FaultProxy/FaultProxy.psm1')
$root = Join-Path ([IO.Path]::GetTempPath()) "lakebase-bench-storm-$PID"
$direct = Connect-Lakebase -Local -StateRoot $root -Port 0 -NoDefault
$server = Get-LakebaseLocal -StateRoot $root
$token = ConvertTo-SecureString (Get-Content $server.AdminTokenFile -Raw).Trim() -AsPlainText -Force
$proxy = Start-FaultProxy -Upstream $server.ApiUrl -Seed $Seed
$viaProxy = Connect-Lakebase $proxy.Url -Token $token -NoDefault

$storm = @(
    @{ Status = 429; RetryAfter = 1; Probability = 0.3 }
    @{ Status = 503; RetryAfter = 1; Probability = 0.1 }
    @{ Fault = 'LoseAnswer'; Probability = 0.1 }
    @{ Method = 'GET'; PathPattern = '/operations/'; Status = 500; Probability = 0.1 }
)

# The operations of a run, and the end state each asks for: of every four, two branch creates, a role create, and
# the removal of the branch made two operations before.
function Get-Plan {
    foreach ($k in 1..$Operations) {
        switch ($k % 4) {
            { $_ -in 0, 1 } { @{ Kind = 'branch'; Id = "b$k" } }
            2 { @{ Kind = 'role'; Id = "storm_role_$k" } }
            3 { @{ Kind = 'removed'; Id = "b$($k - 2)" } }
        }
    }
}

function Invoke-Step([string] $Project, [hashtable] $Step) {
    switch ($Step.Kind) {
        'branch' { New-LakebaseBranch -ProjectId $Project $Step.Id -Ttl 1d -Context $viaProxy -ErrorAction Stop }
        'role' { New-LakebaseRole -ProjectId $Project -BranchId production $Step.Id -Context $viaProxy -ErrorAction Stop }
        'removed' { Remove-LakebaseBranch -ProjectId $Project $Step.Id -Purge -Confirm:$false -Context $viaProxy -ErrorAction Stop }
    }
}

function Invoke-Run([string] $Project, [hashtable[]] $Faults) {
    New-LakebaseProject $Project -Context $direct | Out-Null
    $plan = @(Get-Plan)
    Set-Fault $proxy $Faults
    $failed = [Collections.Generic.List[string]]::new()
    $clock = [Diagnostics.Stopwatch]::StartNew()
    foreach ($step in $plan) {
        try { Invoke-Step $Project $step | Out-Null }
        catch { $failed.Add("$($step.Kind) $($step.Id): $($_.Exception.Message)") }
    }
    $seconds = $clock.Elapsed.TotalSeconds
    $hits = (Get-FaultStat $proxy).Hits
    Set-Fault $proxy

    # The end state, read from Lakebase Local itself.
    $branches = @(Get-LakebaseBranch -ProjectId $Project -IncludeDeleted -Context $direct)
    $roles = @(Get-LakebaseRole -ProjectId $Project -BranchId production -Context $direct).PostgresRole
    $removed = @($plan | Where-Object Kind -eq 'removed' | ForEach-Object Id)
    $wrong = @($plan | Where-Object {
        $step = $_
        switch ($step.Kind) {
            'branch' {
                $branch = $branches | Where-Object BranchId -eq $step.Id
                if ($step.Id -in $removed) { $null -ne $branch } else { -not $branch -or $branch.State -ne 'READY' -or -not $branch.ExpireTime }
            }
            'role' { $step.Id -notin $roles }
            'removed' { $false }   # judged with its branch
        }
    })
    [pscustomobject]@{ Seconds = $seconds; Failed = $failed; Wrong = $wrong.Count; Hits = $hits }
}

try {
    $baseline = Invoke-Run 'calm' @()
    $result = Invoke-Run 'storm' $storm
    "Storm: $Operations operations through 30% 429, 10% 503, 10% lost answers, 10% 500 on polls (seed $Seed)"
    '  completed {0}, failed {1}, wrong end states {2}' -f ($Operations - $result.Failed.Count), $result.Failed.Count, $result.Wrong
    '  faults injected: {0} x 429, {1} x 503, {2} lost answers, {3} x 500 on polls' -f $result.Hits[0], $result.Hits[1], $result.Hits[2], $result.Hits[3]
    '  time {0:N1} s, {1:N2}x the same operations without faults ({2:N1} s; calm run: {3} failed, {4} wrong)' -f `
        $result.Seconds, ($result.Seconds / $baseline.Seconds), $baseline.Seconds, $baseline.Failed.Count, $baseline.Wrong
    $result.Failed | ForEach-Object { "  failed: $_" }
}
finally {
    Stop-FaultProxy $proxy
    Stop-LakebaseLocal -StateRoot $root -Confirm:$false
    Remove-Item $root -Recurse -Force -ErrorAction SilentlyContinue
}
