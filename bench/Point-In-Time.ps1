#requires -Version 7.4
<#
.SYNOPSIS
    Instant restore on Lakebase Local: the time to branch at a past moment (New-LakebaseBranch -AsOf), as the database
    grows and as the WAL to replay grows, each against a branch from the head of the same data made just before.
#>
param([Parameter(Mandatory)] [string] $ModulePath, [int[]] $SizesMB = @(10, 100, 200), [int[]] $WalMB = @(0, 64, 256))
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$root = Join-Path ([IO.Path]::GetTempPath()) "lakebase-bench-pitr-$PID"
Connect-Lakebase -Local -StateRoot $root -Port 0 | Out-Null

# Rows of ~1 kB, so a table of N MB has about N * 1000 rows.
function Add-Data($Branch, [int] $MB) {
    $Branch | Invoke-LakebaseQuery -As NonQuery -Query "CREATE TABLE IF NOT EXISTS filler (id bigserial, pad text); INSERT INTO filler (pad) SELECT repeat(md5(g::text), 30) FROM generate_series(1, $($MB * 1000)) g" | Out-Null
}

# Seconds from the request until its operation is done, polled every 10 ms so the wait's backoff is not measured.
function Measure-Operation([scriptblock] $Start) {
    $clock = [Diagnostics.Stopwatch]::StartNew()
    $operation = & $Start
    while (-not ($state = Get-LakebaseOperation $operation).Done) { Start-Sleep -Milliseconds 10 }
    if ($state.ErrorCode) { throw "$($state.ErrorCode): $($state.ErrorMessage)" }
    $clock.Elapsed.TotalSeconds
}

# Branches at a moment just past, and from the head, of the same data; returns both times in seconds.
function Measure-Restore($Project, $Source, [string] $Label) {
    $Source | Invoke-LakebaseQuery -As NonQuery -Query 'CREATE TABLE IF NOT EXISTS marks (at timestamptz DEFAULT clock_timestamp()); INSERT INTO marks DEFAULT VALUES' | Out-Null
    $moment = [DateTimeOffset]::Now
    $Source | Invoke-LakebaseQuery -As NonQuery -Query 'INSERT INTO marks DEFAULT VALUES' | Out-Null
    $id = "b$([guid]::NewGuid().ToString('N').Substring(0, 8))"
    $head = Measure-Operation { New-LakebaseBranch -ProjectId $Project -Name "$id-head" -SourceBranch $Source.BranchId -NoExpiry -NoWait }
    $past = Measure-Operation { New-LakebaseBranch -ProjectId $Project -Name "$id-past" -SourceBranch $Source.BranchId -AsOf $moment -NoExpiry -NoWait }
    $rows = Get-LakebaseBranch -ProjectId $Project -BranchId "$id-past" | Invoke-LakebaseQuery -As Scalar -Query 'SELECT count(*) FROM marks'
    if ($rows -ne 1) { throw "The branch at $moment holds $rows marks, not 1." }
    '  {0,-28} from head {1,6:N2} s   at a past time {2,6:N2} s   ratio {3,5:N2}x' -f $Label, $head, $past, ($past / $head)
}

try {
    'Branch at a past time, by database size (base snapshot copied, little WAL to replay)'
    foreach ($size in $SizesMB) {
        $project = "pitr-size-$size"
        New-LakebaseProject $project | Out-Null
        Add-Data (Get-LakebaseBranch -ProjectId $project -BranchId production) $size
        # A branch made after loading starts its own history with the data in its first base snapshot.
        $source = New-LakebaseBranch -ProjectId $project -Name loaded -NoExpiry
        Measure-Restore $project $source "$size MB database"
    }

    'Branch at a past time, by WAL written since the base snapshot (100 MB database)'
    New-LakebaseProject 'pitr-wal' | Out-Null
    Add-Data (Get-LakebaseBranch -ProjectId 'pitr-wal' -BranchId production) 100
    foreach ($wal in $WalMB) {
        $source = New-LakebaseBranch -ProjectId 'pitr-wal' -Name "wal-$wal" -NoExpiry
        if ($wal -gt 0) { Add-Data $source $wal }
        Measure-Restore 'pitr-wal' $source "$wal MB of WAL to replay"
    }
}
finally {
    Stop-LakebaseLocal -StateRoot $root -Confirm:$false
    Remove-Item $root -Recurse -Force -ErrorAction SilentlyContinue
}
