#requires -Version 7.4
<#
.SYNOPSIS
    A tour of Lakebase on Lakebase Local: a project, SQL from the pipeline, a branch per pull request with its own
    copy of the data, instant restore of a dropped table, resizing, roles, jobs and safe deletes.
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

    Step 'SQL from the pipeline: a migration in one transaction, then typed rows'
    $production = $project | Get-LakebaseBranch -BranchId production
    $production | Invoke-LakebaseQuery -Transaction -As NonQuery -Query @"
CREATE TABLE orders (id int PRIMARY KEY, item text NOT NULL, amount numeric(10, 2) NOT NULL, placed timestamptz NOT NULL DEFAULT now());
INSERT INTO orders (id, item, amount) SELECT g, 'item ' || g, round((g * 7.31)::numeric % 500, 2) FROM generate_series(1, 1000) g;
"@ | Out-Null
    $production | Invoke-LakebaseQuery 'SELECT id, item, amount, placed FROM orders WHERE amount > @min' -Parameters @{ min = 490 } |
        Sort-Object amount -Descending | Select-Object -First 3 | Format-Table

    Step 'A branch per pull request, expiring in a week: its own copy of the data, changed freely'
    $pr = $project | New-LakebaseBranch -Name 'pr-1042' -Ttl 7d
    $pr | Format-Table
    $pr | Invoke-LakebaseQuery -As NonQuery 'ALTER TABLE orders ADD COLUMN discount numeric; DELETE FROM orders WHERE id > 600' | Out-Null
    $project | New-LakebaseBranch -Name 'pr-1043' -Ttl 2h | Out-Null
    $project | Get-LakebaseBranch | ForEach-Object {
        [pscustomobject]@{ Branch = $_.BranchId; Orders = $_ | Invoke-LakebaseQuery 'SELECT count(*) FROM orders' -As Scalar }
    } | Format-Table

    Step 'Instant restore: a table dropped by mistake comes back from a branch at a moment before'
    $beforeMistake = $production | Invoke-LakebaseQuery 'SELECT now()' -As Scalar
    $production | Invoke-LakebaseQuery -As NonQuery 'DROP TABLE orders' | Out-Null
    $recovery = $project | New-LakebaseBranch -Name 'recover-orders' -AsOf $beforeMistake -Ttl 1d
    $recovery | Format-Table
    $recovery | Invoke-LakebaseQuery 'SELECT count(*) AS orders, sum(amount) AS total FROM orders' | Format-Table

    Step 'Any PostgreSQL tool connects with a short-lived credential'
    $psql = Get-Command psql -ErrorAction SilentlyContinue
    if ($psql) { & $psql ($pr | Get-LakebaseCredential -AsConnectionString) -c "SELECT current_user, current_setting('server_version') AS version" }
    else { $pr | Get-LakebaseCredential | Format-List UserName, Host, Port, Database, ExpireTime }

    Step 'Computes: every branch has a read-write endpoint on its own loopback address'
    $project | Get-LakebaseBranch | Get-LakebaseEndpoint | Format-Table

    Step 'Resize one endpoint (only the changed limits are sent)'
    Set-LakebaseEndpoint -ProjectId shop -BranchId pr-1042 primary -MinCu 1 -MaxCu 4 | Format-Table

    Step 'Roles and databases are real PostgreSQL objects on the branch'
    $pr | New-LakebaseRole 'reporting' -CreateDb | Format-Table
    $pr | New-LakebaseDatabase 'analytics' -OwnerRole reporting | Format-Table

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
