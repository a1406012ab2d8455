using System.Globalization;
using System.Text.Json;
using Lakebase.Local.Platform;
using Npgsql;
using NpgsqlTypes;

namespace Lakebase.Local.Storage;

/// <summary>A consistent copy of a branch's data at one moment; a restore starts from it and replays the branch's
/// archived WAL forward. <paramref name="CopyStarted"/> is when the copy of running data that made its files began:
/// the branch's own, or its source's for the snapshot the branch's history starts from (null for a template's, or a
/// copy of stopped data).</summary>
internal sealed record BaseSnapshot(string Directory, DateTimeOffset Time, NpgsqlLogSequenceNumber Lsn, int Timeline, string FirstWalFile,
    DateTimeOffset? CopyStarted)
{
    public string DataDirectory => Path.Combine(Directory, StateLayout.DataFolder);
}

/// <summary>What a branch's compute committed and held just before it stopped cleanly: a fence transaction begun at
/// <paramref name="Began"/>, and the names of its roles and databases.</summary>
internal sealed record StopFence(DateTimeOffset Began, string[] Roles, string[] Databases);

/// <summary>What a new branch's history starts from instead of a copy of its own: an immutable data directory (a
/// template, or a base snapshot of its source) and the source's archive, whose segments in <paramref name="Wal"/>
/// lead from that directory to the branch point; complete segments the source has not archived yet are taken from
/// <paramref name="WalDirectories"/>. <paramref name="CopyStarted"/> is when the copy that made the directory began
/// (null for a template): a file the branch holds, last written before then, is the directory's.</summary>
internal sealed record SharedHistory(string DataDirectory, string? SourceArchive = null, IReadOnlyList<string>? WalDirectories = null, WalRange? Wal = null,
    DateTimeOffset? CopyStarted = null);

/// <summary>What a point-in-time restore aims at: a moment (commits at or before it are kept) or a WAL position.</summary>
internal sealed record RecoveryTarget(DateTimeOffset? Time, NpgsqlLogSequenceNumber? Lsn)
{
    public bool IsReachedBy(BaseSnapshot snapshot) => Time is { } time ? snapshot.Time <= time : snapshot.Lsn <= Lsn!.Value;

    /// <summary>The recovery settings of a restore's first start, in standby mode from WAL placed in its pg_wal (see
    /// DataDirectoryCopier.LinkArchivedWal): no restore_command, so no process per segment. The timeline is pinned to
    /// the base snapshot's branch's own (which a snapshot shared with its source reaches through the timeline
    /// histories in the branch's archive), so a restore never follows another branch's timeline; the end is promoted
    /// into a new timeline of its own. The source's history is sealed past the target first (SealAsync), so the
    /// target is in that WAL.</summary>
    public IReadOnlyDictionary<string, string> RecoverySettings(int timeline) => new Dictionary<string, string>
    {
        [Time is null ? "recovery_target_lsn" : "recovery_target_time"] = Time is { } time
            ? time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture) + "+00"
            : Lsn!.Value.ToString(),
        ["recovery_target_inclusive"] = "on",
        ["recovery_target_timeline"] = timeline.ToString(CultureInfo.InvariantCulture),
        ["recovery_target_action"] = "promote",
        // Without hot standby the postmaster reports ready only once recovery has ended and the copy is promoted.
        ["hot_standby"] = "off",
        // Segments recovery is done with are removed, never renamed and written again: they are the archive's, linked.
        ["wal_recycle"] = "off",
        // The restore's writes reach the disk with the sync of the file system before the branch is recorded (a crash
        // before it rolls the create back), so the replay itself need not fsync.
        ["fsync"] = "off",
    };
}

/// <summary>
/// A branch's history: the WAL its compute archives continuously (basic_archive, into the branch's own folder) and
/// base snapshots to replay it from. Every branch gets a snapshot when it is made; more are taken while it runs, so
/// a restore replays a bounded amount of WAL and old history can be pruned.
/// </summary>
internal sealed class BranchHistory(StateLayout layout, ServiceAccount account, DataDirectoryCopier copier, SegmentSwitches switches,
    ILogger<BranchHistory> logger)
{
    private const string RecordFileName = "snapshot.json";
    private readonly KeyedLocks _gates = new();

    /// <summary>Holds a branch's history still: a snapshot being taken, pruning, the branch's removal and a copy of it
    /// take turns, so none of them removes what another is copying from or into, and a copy shares the snapshot just
    /// taken. Restores need no turn (they read finished snapshots only, and pruning runs in the project's queue with
    /// them).</summary>
    public Task<IDisposable> HoldAsync(string branchUid, CancellationToken cancellationToken) => _gates.LockAsync(branchUid, cancellationToken);

    /// <summary>The restore_command that reads a branch's archived WAL.</summary>
    public static string RestoreCommand(string archiveDirectory) => $"cp '{archiveDirectory.Replace("'", "'\\''")}/%f' '%p'";

    /// <summary>The branch's base snapshots, oldest first.</summary>
    public IReadOnlyList<BaseSnapshot> Snapshots(string branchUid)
    {
        var folder = layout.BranchSnapshots(branchUid);
        if (!Directory.Exists(folder)) return [];
        return Directory.EnumerateDirectories(folder)
            .Where(directory => !Path.GetFileName(directory).StartsWith(StateLayout.TemporaryPrefix, StringComparison.Ordinal))
            .Select(directory => ReadRecord(directory))
            .OfType<BaseSnapshot>()
            .OrderBy(snapshot => snapshot.Time)
            .ToList();
    }

    /// <summary>The newest snapshot a restore to <paramref name="target"/> can start from.</summary>
    public BaseSnapshot? BaseFor(string branchUid, RecoveryTarget target) => Snapshots(branchUid).LastOrDefault(target.IsReachedBy);

    /// <summary>
    /// Records the first snapshot of a branch being made (stopped, in its staging folder) without copying its data
    /// again: hard links to <paramref name="shared"/>'s immutable data directory, which the branch's archive (given
    /// the source's WAL from there to the branch point beforehand) replays forward to any moment of the branch. Without
    /// one, the branch's data is copied.
    /// </summary>
    public Task<BaseSnapshot> SnapshotNewBranchAsync(string branchDirectory, BranchPoint point, SharedHistory? shared, CancellationToken cancellationToken)
    {
        var data = Path.Combine(branchDirectory, StateLayout.DataFolder);
        var timeline = ControlData.Read(data).Timeline;
        return RecordAsync(branchDirectory, async target =>
        {
            if (shared is null) await copier.CopyStoppedAsync(data, target, cancellationToken).ConfigureAwait(false);
            else copier.LinkTree(shared.DataDirectory, target);
            return point;
        }, timeline, cancellationToken, shared?.CopyStarted);
    }

    /// <summary>Takes a snapshot of a running branch with the backup API, through <paramref name="admin"/>, a connection
    /// to its compute, to follow <paramref name="newest"/>; null when another snapshot followed it meanwhile (housekeeping
    /// and the WAL's scheduler may both find one due), when that compute no longer runs on the branch's data directory
    /// (a reset moved the branch to new data meanwhile) or the branch is gone. Files the branch has not written since
    /// its previous snapshot began (its own, or its source's that its history starts from; a copy keeps its files'
    /// modification times) are that snapshot's, by hard links: a snapshot copies what changed.</summary>
    public async Task<BaseSnapshot?> SnapshotRunningAsync(NpgsqlConnection admin, string branchUid, BaseSnapshot newest, CancellationToken cancellationToken)
    {
        using var hold = await HoldAsync(branchUid, cancellationToken).ConfigureAwait(false);
        var snapshots = Snapshots(branchUid);
        if (snapshots is not [.., var stillNewest] || stillNewest.Directory != newest.Directory) return null;
        var data = layout.BranchData(branchUid);
        await using (var directory = new NpgsqlCommand("SELECT current_setting('data_directory')", admin))
            if (!Directory.Exists(data) || Path.GetFullPath((string)(await directory.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!) != data) return null;
        var previous = snapshots.LastOrDefault(snapshot => snapshot.CopyStarted is not null);
        var started = DateTimeOffset.UtcNow;
        return await RecordAsync(layout.Branch(branchUid), async target =>
        {
            var (point, _) = await copier.CopyRunningAsync(admin, data, target, "lakebase base snapshot", cancellationToken,
                previous is null ? null : new UnchangedSince(previous.DataDirectory, previous.CopyStarted!.Value)).ConfigureAwait(false);
            // Recorded only once its data is durable.
            Posix.SyncFileSystem(target);
            return point;
        }, null, cancellationToken, started).ConfigureAwait(false);
    }

    /// <summary>
    /// Makes everything committed so far restorable. Recovery stops only at a commit past its target and replays only
    /// completed segments, so: commit a transaction that takes an xid (the fence) and switch to a new segment. The one
    /// switched from is complete and durable; until the archiver stores it, a restore takes it from pg_wal. Returns the
    /// WAL position after the fence and the last segment it completed. <paramref name="admin"/> is a connection to the
    /// compute of <paramref name="branchUid"/>.
    /// </summary>
    public async Task<(NpgsqlLogSequenceNumber End, string LastSegment)> SealAsync(NpgsqlConnection admin, string branchUid, CancellationToken cancellationToken)
    {
        await using (var fence = new NpgsqlCommand("SELECT txid_current()", admin))
            await fence.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await using var sw = new NpgsqlCommand("SELECT pg_current_wal_insert_lsn(), pg_walfile_name(pg_switch_wal())", admin);
        await using var reader = await sw.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var end = reader.GetFieldValue<NpgsqlLogSequenceNumber>(0);
        switches.Note(layout.BranchData(branchUid), end);
        return (end, reader.GetString(1));
    }

    /// <summary>
    /// Commits a fence (a transaction that takes an xid) on a branch's compute about to stop, and notes when it began
    /// and the roles and databases the cluster holds: once stopped, its WAL holds a commit past any moment before
    /// then, where a restore to that moment ends, so such a restore needs no running source to seal the history first
    /// (see SealAsync), nor to be asked what it holds. The note goes when the compute starts again
    /// (<see cref="ForgetStopFence"/>). <paramref name="admin"/> is a connection to the compute of <paramref name="branchUid"/>.
    /// </summary>
    public async Task FenceBeforeStopAsync(NpgsqlConnection admin, string branchUid, CancellationToken cancellationToken)
    {
        var began = DateTimeOffset.UtcNow;
        await using var fence = new NpgsqlCommand("SELECT txid_current(), array(SELECT rolname::text FROM pg_authid), array(SELECT datname::text FROM pg_database)", admin);
        await using var reader = await fence.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var record = new StopFence(began, reader.GetFieldValue<string[]>(1), reader.GetFieldValue<string[]>(2));
        // Written whole or not at all: a note cut short by a crash would not read.
        var staged = StopFenceFile(branchUid) + ".tmp";
        await File.WriteAllTextAsync(staged, JsonSerializer.Serialize(record), cancellationToken).ConfigureAwait(false);
        File.Move(staged, StopFenceFile(branchUid), overwrite: true);
    }

    public void ForgetStopFence(string branchUid) => File.Delete(StopFenceFile(branchUid));

    /// <summary>The fence of a branch whose compute stopped cleanly after it (see <see cref="FenceBeforeStopAsync"/>);
    /// null when it stopped without one, or runs. Asked while the compute is held stopped.</summary>
    public StopFence? StoppedFence(string branchUid) => ControlData.Read(layout.BranchData(branchUid)).ShutDown ? FenceNote(branchUid) : null;

    /// <summary>The last WAL segment of a branch whose compute stopped cleanly with its history sealed past
    /// <paramref name="target"/> as it lies (that segment, partly written, in its pg_wal): a moment before its stop's
    /// fence, or a position up to its shutdown checkpoint. Null when it is not (or runs).</summary>
    public string? SealedBeforeStop(string branchUid, RecoveryTarget target)
    {
        var control = ControlData.Read(layout.BranchData(branchUid));
        if (!control.ShutDown) return null;
        var sealedPast = target.Time is { } moment
            ? FenceNote(branchUid) is { } fence && fence.Began > moment
            : target.Lsn <= NpgsqlLogSequenceNumber.Parse(control.CheckpointLsn);
        return sealedPast ? control.CheckpointWalFile : null;
    }

    private StopFence? FenceNote(string branchUid) =>
        File.Exists(StopFenceFile(branchUid)) ? JsonSerializer.Deserialize<StopFence>(File.ReadAllText(StopFenceFile(branchUid))) : null;

    private string StopFenceFile(string branchUid) => Path.Combine(layout.Branch(branchUid), "stop-fence.json");

    /// <summary>Whether the branch has written <paramref name="bytes"/> of WAL or more since <paramref name="snapshot"/>
    /// (since the branch point, for the first one it shares with its source: what the source wrote before is the
    /// source's to bound): the segment holding the last of those bytes, counted past the positions Lakebase's own
    /// segment switches skipped, on the timeline the branch is on now, is complete (marked ready for the archiver, or
    /// archived already).</summary>
    public bool HasWrittenWalSince(string branchUid, BaseSnapshot snapshot, ulong bytes)
    {
        var data = layout.BranchData(branchUid);
        var segment = ControlData.WalFileName(ControlData.Read(data).Timeline, (ulong)snapshot.Lsn + SkippedSince(branchUid, snapshot) + bytes - 1,
            ControlData.WalSegmentSize(data));
        return File.Exists(Path.Combine(data, "pg_wal", "archive_status", segment + ".ready")) || File.Exists(Path.Combine(layout.BranchArchive(branchUid), segment));
    }

    /// <summary>The WAL positions after <paramref name="snapshot"/> that Lakebase's own segment switches skipped on the
    /// branch: not WAL it wrote.</summary>
    public ulong SkippedSince(string branchUid, BaseSnapshot snapshot) => switches.SkippedSince(layout.BranchData(branchUid), snapshot.Lsn);

    /// <summary>Forgets what is kept in memory about a branch removed for good.</summary>
    public void Forget(string branchUid) => switches.Forget(layout.BranchData(branchUid));

    /// <summary>
    /// Drops history older than <paramref name="windowStart"/>: every snapshot before the newest one at or before
    /// the window's start, and the archived WAL only those needed. Not while the history is held (a snapshot or a copy
    /// in progress, which may take long or be stuck on its compute): the caller's next round prunes.
    /// </summary>
    public void Prune(string branchUid, DateTimeOffset windowStart)
    {
        using var hold = _gates.TryLock(branchUid);
        if (hold is null) return;
        var snapshots = Snapshots(branchUid);
        var oldestKept = snapshots.LastOrDefault(snapshot => snapshot.Time <= windowStart);
        if (oldestKept is null || oldestKept == snapshots[0]) return;
        foreach (var snapshot in snapshots.TakeWhile(snapshot => snapshot != oldestKept))
        {
            logger.LogInformation("Pruning base snapshot {Snapshot} of branch {Branch}: older than its history window", Path.GetFileName(snapshot.Directory), branchUid);
            BranchStorage.DeleteDirectory(snapshot.Directory);
        }
        RemoveArchivedWalBefore(layout.BranchArchive(branchUid), oldestKept.FirstWalFile);
    }

    /// <summary>
    /// What pg_archivecleanup does: removes the archived WAL segments (and partial segments and backup history
    /// files) that come before <paramref name="firstKept"/>, of any timeline; timeline history files stay.
    /// </summary>
    public static void RemoveArchivedWalBefore(string archiveDirectory, string firstKept)
    {
        // A segment's name is its timeline (8 hex digits) then its position (16); only the position orders them.
        var keptPosition = firstKept[8..24];
        foreach (var file in Directory.EnumerateFiles(archiveDirectory))
        {
            var name = Path.GetFileName(file);
            if (name.Length < 24 || !ControlData.WalSegmentName().IsMatch(name[..24])) continue;
            var suffix = name[24..];
            if (suffix is not ("" or ".partial") && !(suffix.EndsWith(".backup", StringComparison.Ordinal))) continue;
            if (string.CompareOrdinal(name[8..24], keptPosition) < 0) File.Delete(file);
        }
    }

    /// <summary>
    /// After a restore promoted a copy into a new timeline (its compute runs and archives from then on): puts the
    /// timeline history files left in its pg_wal, those recovery wrote, into the branch's own archive now, so a restore
    /// of the branch finds them at once. Returns where the new timeline forked.
    /// </summary>
    public NpgsqlLogSequenceNumber AdoptTimelineHistory(string branchDirectory)
    {
        var walDirectory = Path.Combine(branchDirectory, StateLayout.DataFolder, "pg_wal");
        var archive = Path.Combine(branchDirectory, StateLayout.ArchiveFolder);
        var historyFiles = Directory.GetFiles(walDirectory, "*.history").OrderBy(Path.GetFileName, StringComparer.Ordinal).ToList();
        if (historyFiles.Count == 0) throw new InvalidOperationException("The restored copy was not promoted to a timeline of its own.");
        foreach (var file in historyFiles) Archive(file, archive);
        // Each line is "<parent timeline>\t<switch LSN>\t<reason>"; the last one is where the newest timeline began.
        var fork = File.ReadAllLines(historyFiles[^1]).Last(line => line.Length > 0 && char.IsAsciiDigit(line[0])).Split('\t')[1];
        return NpgsqlLogSequenceNumber.Parse(fork);
    }

    /// <summary>Copies a file into an archive the postgres account reads from, whole or not at all: the compute's
    /// archiver may store the same file meanwhile, and compares what it finds there.</summary>
    private void Archive(string file, string archive)
    {
        var target = Path.Combine(archive, Path.GetFileName(file));
        var partial = target + ".copying";
        File.Copy(file, partial, overwrite: true);
        if (account.UserName is not null) Posix.Chown(partial, account.Uid, account.Gid);
        File.Move(partial, target, overwrite: true);
    }

    private async Task<BaseSnapshot> RecordAsync(string branchDirectory, Func<string, Task<BranchPoint>> copy, int? timeline, CancellationToken cancellationToken,
        DateTimeOffset? copyStarted = null)
    {
        var folder = Path.Combine(branchDirectory, StateLayout.SnapshotsFolder);
        if (!Directory.Exists(folder)) account.CreateOwnedDirectory(folder);
        var final = Path.Combine(folder, DateTimeOffset.UtcNow.ToString("yyyyMMdd'T'HHmmssfffffff", CultureInfo.InvariantCulture));
        var staging = StateLayout.TemporarySibling(final);
        BranchStorage.DeleteDirectory(staging);
        account.CreateOwnedDirectory(staging);
        try
        {
            var data = Path.Combine(staging, StateLayout.DataFolder);
            var point = await copy(data).ConfigureAwait(false);
            var control = ControlData.Read(data);
            var record = new SnapshotRecord(point.Time, point.Lsn, timeline ?? control.Timeline, control.FirstWalFile, copyStarted);
            await File.WriteAllTextAsync(Path.Combine(staging, RecordFileName), JsonSerializer.Serialize(record), cancellationToken).ConfigureAwait(false);
            Directory.Move(staging, final);
            return ToSnapshot(final, record);
        }
        catch
        {
            BranchStorage.DeleteDirectory(staging);
            throw;
        }
    }

    private static BaseSnapshot? ReadRecord(string directory)
    {
        var file = Path.Combine(directory, RecordFileName);
        return File.Exists(file) && JsonSerializer.Deserialize<SnapshotRecord>(File.ReadAllText(file)) is { } record ? ToSnapshot(directory, record) : null;
    }

    private static BaseSnapshot ToSnapshot(string directory, SnapshotRecord record) =>
        new(directory, record.Time, NpgsqlLogSequenceNumber.Parse(record.Lsn), record.Timeline, record.FirstWalFile, record.CopyStarted);

    private sealed record SnapshotRecord(DateTimeOffset Time, string Lsn, int Timeline, string FirstWalFile, DateTimeOffset? CopyStarted = null);
}
