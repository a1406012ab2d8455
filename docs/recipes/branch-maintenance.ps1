<#
.SYNOPSIS
    Scheduled maintenance of Lakebase branches: removes expired and stale branches, reports every endpoint's size
    limits, state and last activity, and checks that each project's history window reaches back as far as the team's
    required restore point. Run it with -WhatIf first to see what it would remove.
.EXAMPLE
    ./branch-maintenance.ps1 -WhatIf                    # what would go, and the report
.EXAMPLE
    ./branch-maintenance.ps1 -StaleAfter 30d -RequiredRestoreWindow 14d -Confirm:$false
#>
[CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
param(
    # The projects to look after; all of them by default.
    [string[]] $ProjectId,
    # A branch none of whose endpoints was used for this long is stale. Default, protected, root branches and branches
    # with children are never removed.
    [TimeSpan] $StaleAfter = [TimeSpan]::FromDays(14),
    # How far back every project must be restorable (its history window, history_retention_duration).
    [TimeSpan] $RequiredRestoreWindow = [TimeSpan]::FromDays(7),
    # The moment to judge by; now by default (a later time previews a future run).
    [DateTimeOffset] $At = [DateTimeOffset]::Now
)
$ErrorActionPreference = 'Stop'

$projects = if ($ProjectId) { $ProjectId | ForEach-Object { Get-LakebaseProject -ProjectId $_ } } else { Get-LakebaseProject }
$candidates = [Collections.Generic.List[object]]::new()
$endpoints = [Collections.Generic.List[object]]::new()
$windows = [Collections.Generic.List[object]]::new()

foreach ($project in $projects) {
    $branches = @($project | Get-LakebaseBranch)
    $parents = @($branches.SourceBranch | Where-Object { $_ })
    $branchEndpoints = @($branches | Get-LakebaseEndpoint)

    foreach ($branch in $branches) {
        $own = @($branchEndpoints | Where-Object BranchId -EQ $branch.BranchId)
        $lastUsed = @($own.LastActiveTime | Where-Object { $_ }) + @($branch.CreateTime) | Sort-Object -Descending | Select-Object -First 1
        # A branch without ExpireTime never expires: test for it first, as $null -lt <any date> is true in PowerShell.
        $reason = if ($null -ne $branch.ExpireTime -and $branch.ExpireTime -lt $At) { "expired at $($branch.ExpireTime.ToString('u'))" }
        elseif ($lastUsed -lt $At - $StaleAfter) { "unused since $($lastUsed.ToString('u'))" }
        if (-not $reason -or $branch.IsDefault -or $branch.IsProtected -or -not $branch.SourceBranch -or $branch.Name -in $parents) { continue }
        $remove = $PSCmdlet.ShouldProcess($branch.Name, "Remove branch ($reason)")
        if ($remove) { $branch | Remove-LakebaseBranch -Confirm:$false }
        $candidates.Add([pscustomobject]@{ Branch = $branch.Name; Reason = $reason; Removed = $remove })
    }

    foreach ($endpoint in $branchEndpoints) {
        $endpoints.Add([pscustomobject]@{
                Endpoint = "$($endpoint.ProjectId)/$($endpoint.BranchId)/$($endpoint.EndpointId)"
                State = $endpoint.State; MinCu = $endpoint.MinCu; MaxCu = $endpoint.MaxCu; LastActive = $endpoint.LastActiveTime
            })
    }

    $covers = $project.HistoryRetention -ge $RequiredRestoreWindow
    if (-not $covers) { Write-Warning "Project $($project.ProjectId) keeps $($project.HistoryRetention.TotalDays) days of history; $($RequiredRestoreWindow.TotalDays) are required (Set-LakebaseProject -HistoryRetention)." }
    $windows.Add([pscustomobject]@{ Project = $project.ProjectId; HistoryRetention = $project.HistoryRetention; Required = $RequiredRestoreWindow; Covers = $covers })
}

[pscustomobject]@{ Branches = $candidates.ToArray(); Endpoints = $endpoints.ToArray(); HistoryWindows = $windows.ToArray() }
