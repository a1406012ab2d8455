<#
.SYNOPSIS
    A database branch per pull request: create it (or reuse it on a re-run), migrate it, diff it against its parent,
    and remove it when the pull request is gone. Called by azure-pipelines.yml; runs the same against a workspace and
    against Lakebase Local.
.EXAMPLE
    ./pr-branch.ps1 -Action Open -ProjectId my-app -PullRequestId 42 -MigrationsPath ./migrations -SummaryPath ./schema-diff.md
.EXAMPLE
    ./pr-branch.ps1 -Action Prune -ProjectId my-app -ActivePullRequestIds 41, 43
#>
[CmdletBinding(SupportsShouldProcess)]
param(
    [Parameter(Mandatory)] [ValidateSet('Open', 'Prune')] [string] $Action,
    [Parameter(Mandatory)] [string] $ProjectId,
    # Open: the pull request whose branch to create or reuse.
    [int] $PullRequestId,
    # Open: *.sql files applied in name order; each is applied once (recorded in schema_migrations).
    [string] $MigrationsPath,
    # Open: where to write the Markdown job summary with the schema diff.
    [string] $SummaryPath,
    [string] $ParentBranch = 'production',
    [TimeSpan] $Ttl = [TimeSpan]::FromDays(3),
    # Prune: the pull requests still open; every pr-<id> branch of another id is removed.
    [int[]] $ActivePullRequestIds = @()
)
$ErrorActionPreference = 'Stop'

if ($Action -eq 'Prune') {
    $stale = Get-LakebaseBranch -ProjectId $ProjectId |
        Where-Object { $_.BranchId -match '^pr-(\d+)$' -and [int]$Matches[1] -notin $ActivePullRequestIds }
    $stale | Remove-LakebaseBranch -WhatIf:$WhatIfPreference -Confirm:$false
    return
}

if ($PullRequestId -le 0) { throw '-PullRequestId is required to open a pull request branch.' }
$branchId = "pr-$PullRequestId"
# A re-run finds the branch of the first run and goes on from there.
$branch = Get-LakebaseBranch -ProjectId $ProjectId | Where-Object BranchId -EQ $branchId
if (-not $branch) {
    $branch = New-LakebaseBranch -ProjectId $ProjectId -Name $branchId -SourceBranch $ParentBranch -Ttl $Ttl
}

# Pending migrations, all in one transaction: all of them apply, or none does.
$branch | Invoke-LakebaseQuery -As NonQuery -Query 'CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())' | Out-Null
$applied = @(($branch | Invoke-LakebaseQuery -Query 'SELECT version FROM schema_migrations').version)
$pending = @(Get-ChildItem -Path $MigrationsPath -Filter '*.sql' | Sort-Object Name | Where-Object BaseName -NotIn $applied)
if ($pending) {
    $script = (@($pending | ForEach-Object { Get-Content -Raw $_.FullName }) + 'INSERT INTO schema_migrations (version) SELECT unnest(@versions)') -join "`n;`n"
    $branch | Invoke-LakebaseQuery -As NonQuery -Transaction -Query $script -Parameters @{ versions = [string[]]$pending.BaseName } | Out-Null
}
Write-Host "Applied $($pending.Count) migration(s) to $branchId."

# The schema diff against the parent, for the job summary.
$diff = Compare-LakebaseBranch -ProjectId $ProjectId -BranchId $branchId -ReferenceBranchId $ParentBranch -AsText
$summary = "## Schema changes of $branchId against $ParentBranch`n`n" + $(if ($diff) { "``````diff`n$diff``````" } else { 'No schema changes.' })
if ($SummaryPath) {
    Set-Content -Path $SummaryPath -Value $summary
    if ($env:TF_BUILD) { Write-Host "##vso[task.uploadsummary]$((Resolve-Path $SummaryPath).Path)" }
}
if ($env:TF_BUILD) { Write-Host "##vso[task.setvariable variable=LAKEBASE_BRANCH]$branchId" }
$branch
