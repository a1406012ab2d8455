#requires -Version 7.4
<#
.SYNOPSIS
    Instant restore on Lakebase Local: the time to branch at a past moment (New-LakebaseBranch -AsOf), as the database
    grows and as the WAL to replay grows, each against a branch from the head of the same data made just before; and
    both on PostgreSQL 17 next to 15 (the server lets new projects use 15 for this comparison), as ratios.
    Each measurement also prints the copy limit: the time to `cp -a` the source's data files (without pg_wal) and
    `sync`, in the same run; the disk each of the two branches added (du, which counts files shared by hard
    links once: what the branch alone holds), next to the size of the data files; and what the restore of the branch
    at a past time wrote besides PostgreSQL's start: the base snapshot it copied and the WAL it replayed (with the
    seconds PostgreSQL took to replay it, and the ratio to the head without them). Both write
    into the page cache, whose rate on this machine is measured first: into memory the kernel has not used for a while
    (a VM that hands freed memory back to its host pays a fault per page there) and into memory just freed.
    -HoldSnapshots holds off every base snapshot after a branch's first, the worst case: each branch at a past time
    then replays all of its source's WAL since the snapshot it shares.
    The last section runs a branch at a past time as an overlay on its base snapshot (--overlays, as root on Linux)
    next to a copy of it (the default), on two more servers, with the first writes to the restored table, which copy
    its file up into the overlay; -PairMB sizes its database.
    -WarmPageCache frees 1 GB of page cache just before each branch is made (writes a file and removes it), so on a
    VM that hands long-unused memory back to its host the branch writes into memory just freed, as on a machine
    whose page cache runs at memory speed: it shows what the VM's fault per page costs each kind of branch.
#>
param([Parameter(Mandatory)] [string] $ModulePath, [int[]] $SizesMB = @(10, 100, 200), [int[]] $WalMB = @(0, 64, 256), [switch] $HoldSnapshots, [switch] $WarmPageCache,
    [int] $PairMB = 100)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$mainRoot = Join-Path ([IO.Path]::GetTempPath()) "lakebase-bench-pitr-$PID"
# The state root of the server the functions below work on (the last section switches between two).
$root = $mainRoot

# Starts Lakebase Local on a state root of its own and makes it the default connection.
function Start-Server([string] $StateRoot, [string[]] $Arguments) {
    New-Item -ItemType Directory $StateRoot | Out-Null
    if (-not $IsWindows) { chmod 755 $StateRoot }
    Start-Process dotnet -ArgumentList (@((Join-Path (Split-Path $ModulePath) 'local/Lakebase.Local.dll'), '--root', $StateRoot, '--port', '0', '--proxy-port', '0') + $Arguments) `
        -RedirectStandardOutput (Join-Path $StateRoot 'bench-server.log') -PassThru
    while (-not (Get-LakebaseLocal -StateRoot $StateRoot)) { Start-Sleep -Milliseconds 100 }
    Connect-Lakebase -Local -StateRoot $StateRoot | Out-Null
}

# As a user runs it, a source that wrote more WAL since its newest base snapshot than half the data it holds gets a new
# one in the background, beside the branches being made.
$held = $HoldSnapshots ? @('--snapshot-check-interval', '3600') : @()
$servers = @{ $mainRoot = Start-Server $mainRoot (@('--legacy-pg-version', '15') + $held) }

# Rows of ~1 kB, so a table of N MB has about N * 1000 rows.
function Add-Data($Branch, [int] $MB) {
    $Branch | Invoke-LakebaseQuery -As NonQuery -Query "CREATE TABLE IF NOT EXISTS filler (id bigserial, pad text); INSERT INTO filler (pad) SELECT repeat(md5(g::text), 30) FROM generate_series(1, $($MB * 1000)) g" | Out-Null
}

# Writes about MB megabytes of WAL without growing the database: a scratch table filled, then dropped.
function Add-Wal($Branch, [int] $MB) {
    $Branch | Invoke-LakebaseQuery -As NonQuery -Query "CREATE TABLE scratch AS SELECT repeat(md5(g::text), 30) AS pad FROM generate_series(1, $($MB * 1000)) g; DROP TABLE scratch" | Out-Null
}

# Megabytes on disk that a branch alone adds: du counts a file with several names once, under the first folder it
# meets it in, so with the templates and every other branch listed first, the branch's own line leaves out what it
# shares (its first base snapshot, its source's archived WAL, an overlay's lower layer) and what runs beside it (the
# source's snapshots).
function Get-BranchDiskMB($Project, [string] $BranchId) {
    $branch = Join-Path $root "branches/$((Get-LakebaseBranch -ProjectId $Project -BranchId $BranchId).Raw.Uid)"
    $others = @(Join-Path $root 'templates') + (Get-ChildItem (Join-Path $root 'branches') -Directory | Where-Object FullName -ne $branch).FullName
    # -x: an overlay's mount shows files its layers already hold.
    [long] (-split (du -skx @others $branch | Select-Object -Last 1))[0] / 1024
}

# The copy limit: cp -a of the source's data files (pg_wal left out) and sync, as fast as any copy can be.
function Measure-CopyLimit($Source) {
    $data = Join-Path $root "branches/$($Source.Raw.Uid)/pgdata"
    $target = Join-Path $root 'copy-limit'
    New-Item -ItemType Directory $target | Out-Null
    $entries = (Get-ChildItem -Force $data | Where-Object Name -ne 'pg_wal').FullName
    $clock = [Diagnostics.Stopwatch]::StartNew()
    cp -a @entries $target
    sync
    $seconds = $clock.Elapsed.TotalSeconds
    $megabytes = [long] (-split (du -sk $target))[0] / 1024
    Remove-Item $target -Recurse -Force
    [pscustomobject]@{ Seconds = $seconds; MB = $megabytes }
}

# Megabytes per second that dd writes into the page cache (no sync): 1 GB after a first GB has used up the memory
# freed lately (which such a VM keeps a while), so into memory long unused; then, once both files are removed, 1 GB
# into the memory just freed.
function Measure-PageCache {
    $files = 1..3 | ForEach-Object { Join-Path $root "page-cache-probe-$_" }
    $rates = foreach ($file in $files) {
        $clock = [Diagnostics.Stopwatch]::StartNew()
        dd if=/dev/zero of=$file bs=1M count=1024 status=none
        [math]::Round(1024 / $clock.Elapsed.TotalSeconds)
        if ($file -eq $files[1]) { Remove-Item $files[0..1] }
    }
    '{0} MB/s into memory long unused, {1} MB/s into memory just freed' -f $rates[1], $rates[2]
    Remove-Item $files[2]
}

# Megabytes of the base snapshot the restore of a branch at a past time copied: all of it but its WAL (its first
# snapshot shares that one's files, by hard links; the archive's WAL is linked in), or, as an overlay on it, the files
# the replay wrote (copied up, or new) but WAL.
function Get-CopiedMB($Project, [string] $BranchId) {
    $branch = Join-Path $root "branches/$((Get-LakebaseBranch -ProjectId $Project -BranchId $BranchId).Raw.Uid)"
    $data = if (Test-Path "$branch/overlay") { "$branch/overlay/upper" } else { (Get-ChildItem "$branch/base_snapshots" -Directory | Sort-Object Name | Select-Object -First 1).FullName + '/pgdata' }
    $files = Get-ChildItem $data -Directory | Where-Object Name -ne 'pg_wal' | Get-ChildItem -Recurse -File
    (($files + (Get-ChildItem $data -File)) | Measure-Object Length -Sum).Sum / 1MB
}

# The WAL the restore of a branch at a past time replayed, from its PostgreSQL log: megabytes of WAL positions and
# the seconds PostgreSQL says the replay took.
function Get-Replay($Project, [string] $BranchId) {
    $log = Get-Content (Join-Path $root "branches/$((Get-LakebaseBranch -ProjectId $Project -BranchId $BranchId).Raw.Uid)/postgres.log") -Raw
    $lsn = { param($text) $high, $low = $text -split '/'; [Convert]::ToUInt64($high, 16) * 4GB + [Convert]::ToUInt64($low, 16) }
    if ($log -notmatch 'redo starts at (\S+)') { return [pscustomobject]@{ MB = 0; Seconds = 0 } }
    $start = & $lsn $Matches[1]
    $null = $log -match 'redo done at (\S+).*elapsed: ([\d.]+) s'
    [pscustomobject]@{ MB = ((& $lsn $Matches[1]) - $start) / 1MB; Seconds = [double] $Matches[2] }
}

# Seconds from the request until its operation is done, polled every 10 ms so the wait's backoff is not measured.
function Measure-Operation([scriptblock] $Start) {
    if ($WarmPageCache) {
        $file = Join-Path $root 'page-cache-warmer'
        dd if=/dev/zero of=$file bs=1M count=1024 status=none
        Remove-Item $file
    }
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
    $limit = Measure-CopyLimit $Source
    $head = Measure-Operation { New-LakebaseBranch -ProjectId $Project -Name "$id-head" -SourceBranch $Source.BranchId -NoExpiry -NoWait }
    $headDisk = Get-BranchDiskMB $Project "$id-head"
    $past = Measure-Operation { New-LakebaseBranch -ProjectId $Project -Name "$id-past" -SourceBranch $Source.BranchId -AsOf $moment -NoExpiry -NoWait }
    $pastDisk = Get-BranchDiskMB $Project "$id-past"
    $replay = Get-Replay $Project "$id-past"
    $copied = Get-CopiedMB $Project "$id-past"
    $rows = Get-LakebaseBranch -ProjectId $Project -BranchId "$id-past" | Invoke-LakebaseQuery -As Scalar -Query 'SELECT count(*) FROM marks'
    if ($rows -ne 1) { throw "The branch at $moment holds $rows marks, not 1." }
    ('  {0,-28} from head {1,6:N2} s   at a past time {2,6:N2} s   ratio {3,5:N2}x   copied {4:N0} MB, replayed {5:N0} MB in {6:N2} s' -f $Label, $head, $past,
        ($past / $head), $copied, $replay.MB, $replay.Seconds) + [Environment]::NewLine +
        ('  {0,-28} copy limit {1,5:N2} s ({2:N0} MB)   head / (2x limit + 0.5 s) {3,4:N2}   disk: head {4:N0} MB, past {5:N0} MB   (past - replay) / head {6,5:N2}' -f '',
        $limit.Seconds, $limit.MB, ($head / (2 * $limit.Seconds + 0.5)), $headDisk, $pastDisk, (($past - $replay.Seconds) / $head))
    [pscustomobject]@{ Head = $head; Past = $past }
}

try {
    'Page-cache writes on this machine (dd, 1 GB, no sync)'
    "  $(Measure-PageCache)"

    'Branch at a past time, by database size (base snapshot copied, little WAL to replay)'
    foreach ($size in $SizesMB) {
        $project = "pitr-size-$size"
        New-LakebaseProject $project | Out-Null
        Add-Data (Get-LakebaseBranch -ProjectId $project -BranchId production) $size
        # A branch made after loading starts its own history with the data in its first base snapshot.
        $source = New-LakebaseBranch -ProjectId $project -Name loaded -NoExpiry
        (Measure-Restore $project $source "$size MB database")[0]
    }

    'Branch at a past time, by WAL written since the base snapshot (100 MB database; the WAL is a scratch table filled and dropped)'
    New-LakebaseProject 'pitr-wal' | Out-Null
    Add-Data (Get-LakebaseBranch -ProjectId 'pitr-wal' -BranchId production) 100
    foreach ($wal in $WalMB) {
        $source = New-LakebaseBranch -ProjectId 'pitr-wal' -Name "wal-$wal" -NoExpiry
        if ($wal -gt 0) { Add-Wal $source $wal }
        (Measure-Restore 'pitr-wal' $source "$wal MB of WAL to replay")[0]
    }

    'PostgreSQL 17 next to 15: a branch of a 100 MB database from the head and at a past time (medians of 3, alternated)'
    $byMajor = @{ 15 = @(); 17 = @() }
    foreach ($major in 15, 17) {
        New-LakebaseProject "pitr-pg$major" -PgVersion $major | Out-Null
        Add-Data (Get-LakebaseBranch -ProjectId "pitr-pg$major" -BranchId production) 100
    }
    foreach ($round in 1..3) {
        foreach ($major in 15, 17) {
            $source = New-LakebaseBranch -ProjectId "pitr-pg$major" -Name "loaded-$round" -NoExpiry
            $measured = Measure-Restore "pitr-pg$major" $source "PostgreSQL $major, round $round"
            $measured[0]
            $byMajor[$major] += $measured[1]
        }
    }
    function Get-Median([double[]] $Values) { ($Values | Sort-Object)[[int][math]::Floor($Values.Count / 2)] }
    foreach ($measure in 'Head', 'Past') {
        $old = Get-Median $byMajor[15].$measure
        $new = Get-Median $byMajor[17].$measure
        '  {0,-28} 15: {1,6:N2} s   17: {2,6:N2} s   17/15 {3,5:N2}x' -f ($measure -eq 'Head' ? 'branch from the head' : 'branch at a past time'), $old, $new, ($new / $old)
    }

    # Two more servers, one with --overlays (which takes effect as root on Linux) and one as users run it, each with a
    # base snapshot every second a WAL segment completes, so the source's newest snapshot holds all of its data.
    "An overlay next to a copy: a branch of a $PairMB MB database at a moment just past, then its first and second write to that table (medians of 3, alternated)"
    $pair = foreach ($copies in $false, $true) {
        $stateRoot = "$mainRoot-$($copies ? 'copy' : 'overlay')"
        $servers[$stateRoot] = Start-Server $stateRoot (@('--base-snapshot-interval', '1') + ($copies ? @() : @('--overlays')))
        New-LakebaseProject 'pair' | Out-Null
        Add-Data (Get-LakebaseBranch -ProjectId 'pair' -BranchId production) $PairMB
        [pscustomobject]@{ Root = $stateRoot; Mode = (Get-LakebaseLocal -StateRoot $stateRoot).CopyMode; Runs = [Collections.Generic.List[object]]::new() }
    }
    Start-Sleep -Seconds 3
    foreach ($round in 1..3) {
        foreach ($server in ($round % 2 ? $pair : $pair[1, 0])) {
            $root = $server.Root
            Connect-Lakebase -Local -StateRoot $root | Out-Null
            $source = Get-LakebaseBranch -ProjectId 'pair' -BranchId production
            $source | Invoke-LakebaseQuery -As NonQuery -Query 'CREATE TABLE IF NOT EXISTS marks (at timestamptz DEFAULT clock_timestamp()); INSERT INTO marks DEFAULT VALUES' | Out-Null
            $moment = [DateTimeOffset]::Now
            $source | Invoke-LakebaseQuery -As NonQuery -Query 'INSERT INTO marks DEFAULT VALUES' | Out-Null
            $past = Measure-Operation { New-LakebaseBranch -ProjectId 'pair' -Name "past-$round" -SourceBranch production -AsOf $moment -NoExpiry -NoWait }
            $branch = Get-LakebaseBranch -ProjectId 'pair' -BranchId "past-$round"
            $copied = Get-CopiedMB 'pair' "past-$round"
            $writes = 1..2 | ForEach-Object { (Measure-Command { $branch | Invoke-LakebaseQuery -As NonQuery -Query 'UPDATE filler SET pad = pad WHERE id = 1' }).TotalSeconds }
            # The disk the branch adds once it has written the table.
            $run = [pscustomobject]@{ Past = $past; First = $writes[0]; Second = $writes[1]; Copied = $copied; Disk = Get-BranchDiskMB 'pair' "past-$round" }
            $server.Runs.Add($run)
            '  {0,-8} round {1}  at a past time {2,5:N2} s   first write {3,5:N2} s, second {4,5:N2} s   copied {5:N0} MB   disk {6:N0} MB' -f $server.Mode, $round,
                $run.Past, $run.First, $run.Second, $run.Copied, $run.Disk
        }
    }
    foreach ($measure in 'Past', 'First', 'Disk') {
        $layered, $copied = $pair | ForEach-Object { Get-Median $_.Runs.$measure }
        '  {0,-28} {1}: {2,6:N2}   {3}: {4,6:N2}   ratio {5,5:N2}x' -f @{ Past = 'branch at a past time (s)'; First = 'first write (s)'; Disk = 'disk (MB)' }[$measure],
            $pair[0].Mode, $layered, $pair[1].Mode, $copied, ($layered / $copied)
    }
}
finally {
    foreach ($stateRoot in $servers.Keys) {
        Stop-LakebaseLocal -StateRoot $stateRoot -Confirm:$false
        if (-not $servers[$stateRoot].HasExited) { $servers[$stateRoot].Kill() }
        Remove-Item $stateRoot -Recurse -Force -ErrorAction SilentlyContinue
    }
}
