#requires -Version 7.4
<#
.SYNOPSIS
    A tour of Lakebase on Lakebase Local: a project, a branch per pull request, resizing, roles, safe deletes.
.DESCRIPTION
    Starts Lakebase Local on a fresh state root (so it never touches your own), walks through what an admin or a
    pipeline does every day, and stops the server at the end.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)]
    [string] $ModulePath,
    [string] $StateRoot = (Join-Path ([IO.Path]::GetTempPath()) "lakebase-demo-$PID")
)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath

function Step([string] $Text) { Write-Host "`n== $Text" -ForegroundColor Cyan }

try {
    Step 'Connect to Lakebase Local (it starts on demand)'
    Connect-Lakebase -Local -StateRoot $StateRoot -Port 0 | Format-List Host, UserName, AuthType, IsLocal

    Step 'Create a project: production branch, primary endpoint, databricks_postgres and your role'
    $project = New-LakebaseProject -ProjectId 'shop' -DisplayName 'Shop' -MinCu 0.5 -MaxCu 2
    $project | Format-Table

    Step 'A branch per pull request, expiring in a week'
    $project | New-LakebaseBranch -Name 'pr-1042' -Ttl 7d | Format-Table
    $project | New-LakebaseBranch -Name 'pr-1043' -Ttl 2h | Format-Table
    $project | Get-LakebaseBranch | Format-Table

    Step 'Computes: every branch has a read-write endpoint on its own loopback address'
    $project | Get-LakebaseBranch | Get-LakebaseEndpoint | Format-Table

    Step 'Resize one endpoint (only the changed limits are sent)'
    Set-LakebaseEndpoint -ProjectId shop -BranchId pr-1042 primary -MinCu 1 -MaxCu 4 | Format-Table

    Step 'Roles and databases are real PostgreSQL objects on the branch'
    $branch = Get-LakebaseBranch -ProjectId shop pr-1042
    $branch | New-LakebaseRole 'reporting' -CreateDb | Format-Table
    $branch | New-LakebaseDatabase 'analytics' -OwnerRole reporting | Format-Table

    Step 'Long waits as jobs'
    $job = $project | New-LakebaseBranch -Name 'nightly' -Ttl 1d -AsJob
    $job | Wait-Job | Receive-Job | Format-Table

    Step 'Clean up what expires within a day (shown with -WhatIf, then done)'
    $expiring = $project | Get-LakebaseBranch | Where-Object { $_.ExpireTime -and $_.ExpireTime -lt (Get-Date).AddDays(1) }
    $expiring | Remove-LakebaseBranch -WhatIf
    $expiring | Remove-LakebaseBranch -Purge -Confirm:$false
    $project | Get-LakebaseBranch | Format-Table

    Step 'Errors carry the service error code'
    Get-LakebaseBranch -ProjectId shop 'no-such-branch' -ErrorAction Continue
}
finally {
    Step 'Stop Lakebase Local'
    Stop-LakebaseLocal -StateRoot $StateRoot -Confirm:$false
    Remove-Item $StateRoot -Recurse -Force -ErrorAction SilentlyContinue
}
