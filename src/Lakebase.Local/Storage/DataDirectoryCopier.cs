using System.Text.RegularExpressions;
using Lakebase.Local.Platform;
using Npgsql;
using NpgsqlTypes;

namespace Lakebase.Local.Storage;

/// <summary>Where a copy of a data directory was taken from its source.</summary>
internal sealed record BranchPoint(string Lsn, DateTimeOffset Time);

/// <summary>WAL segments by their place in the WAL, of any timeline: from <paramref name="First"/> through
/// <paramref name="Last"/>, or up to but not including it when <paramref name="LastIncluded"/> is false.</summary>
internal sealed record WalRange(string First, string Last, bool LastIncluded = true)
{
    public bool Contains(string walFileName)
    {
        var position = ControlData.WalPosition(walFileName);
        var toLast = string.CompareOrdinal(position, ControlData.WalPosition(Last));
        return string.CompareOrdinal(position, ControlData.WalPosition(First)) >= 0 && (LastIncluded ? toLast <= 0 : toLast < 0);
    }
}

/// <summary>An earlier copy of the same data directory that a new copy may share files with: a file the directory has
/// not written since before <paramref name="WrittenBefore"/> holds what the earlier copy took of it (PostgreSQL writes
/// its files in place, which moves their modification time, and nothing else writes a branch's data directory after it
/// is made). Both copies must never be written again: they share the file by a hard link.</summary>
internal sealed record UnchangedSince(string CopyDirectory, DateTimeOffset WrittenBefore);

/// <summary>
/// Consistent copies of PostgreSQL data directories, running or stopped, as pg_basebackup makes them: the files a
/// cluster needs and only the WAL its start replays, never the recycled segments, runtime state or temporary files.
/// Files are cloned where the file system can share blocks (reflink, APFS clones) and copied in the kernel elsewhere.
/// Branches, base snapshots, restores and read replicas are all made this way.
/// </summary>
internal sealed partial class DataDirectoryCopier(StateLayout layout, ServiceAccount account, SegmentSwitches switches, ILogger<DataDirectoryCopier> logger)
{
    /// <summary>How files are copied here: "reflink" (copy-on-write clones) or "copy".</summary>
    public const string ReflinkMode = "reflink";
    public const string PlainCopyMode = "copy";

    /// <summary>Top-level directories whose contents are runtime state a new cluster starts without (basebackup.c's
    /// excludeDirContents); the directories themselves must exist.</summary>
    private static readonly HashSet<string> RuntimeDirectories =
        ["pg_replslot", "pg_dynshmem", "pg_notify", "pg_serial", "pg_snapshots", "pg_stat_tmp", "pg_subtrans"];
    /// <summary>The postmaster's lock and command-line files, and files PostgreSQL is writing to replace another.</summary>
    private static readonly HashSet<string> RuntimeFiles =
        ["postmaster.pid", "postmaster.opts", "postgresql.auto.conf.tmp", "current_logfiles.tmp", "backup_manifest.tmp"];

    private readonly Lazy<bool> _reflinks = new(() => ProbeReflinks(layout.Root, logger));

    /// <summary>Whether copies share blocks with their source, found by cloning a file under the state root once.</summary>
    public string Mode => _reflinks.Value ? ReflinkMode : PlainCopyMode;

    /// <summary>Copies a stopped data directory; the copy's point is its last checkpoint. A cleanly stopped cluster
    /// needs only the WAL of that checkpoint; one that crashed keeps all of its WAL, which its start replays. Without
    /// <paramref name="withWal"/> no segment is copied: a restore links its WAL from an archive in their place.</summary>
    public async Task<BranchPoint> CopyStoppedAsync(string source, string target, CancellationToken cancellationToken, bool withWal = true)
    {
        var time = DateTimeOffset.UtcNow;
        var control = ControlData.Read(source);
        var wal = !withWal ? NoWal : control.ShutDown ? new WalRange(control.FirstWalFile, control.CheckpointWalFile) : null;
        await Task.Run(() => CopyTree(source, target, wal, tolerateVanishedFiles: false), cancellationToken).ConfigureAwait(false);
        return new BranchPoint(control.CheckpointLsn, time);
    }

    /// <summary>
    /// Copies a running cluster with the backup API: start backup (fast checkpoint), copy the files, stop backup, then
    /// copy the WAL segments from the backup's start to its stop and write backup_label. The copy's first start
    /// replays that WAL. A temporary slot holds the segments while the copy is made. Returns the branch point and the
    /// WAL the copy holds (complete segments, marked archived: the source archives the same ones). With
    /// <paramref name="unchanged"/> the files the source has not written since that copy are linked to it, not copied.
    /// </summary>
    public async Task<(BranchPoint Point, WalRange Wal)> CopyRunningAsync(NpgsqlConnection sourceAdmin, string source, string target, string label,
        CancellationToken cancellationToken, UnchangedSince? unchanged = null)
    {
        var slot = "lakebase_copy_" + Guid.NewGuid().ToString("N");
        await using (var batch = new NpgsqlBatch(sourceAdmin)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("SELECT pg_create_physical_replication_slot($1, true, true)") { Parameters = { new() { Value = slot } } },
                // pg_backup_start switches to a new segment before its checkpoint (a start never shares one with older timelines).
                new NpgsqlBatchCommand("SELECT pg_current_wal_insert_lsn()"),
                new NpgsqlBatchCommand("SELECT pg_backup_start($1, true)") { Parameters = { new() { Value = label } } },
            },
        })
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            switches.Note(source, reader.GetFieldValue<NpgsqlLogSequenceNumber>(0));
        }
        var backupStopped = false;
        try
        {
            await Task.Run(() => CopyTree(source, target, NoWal, tolerateVanishedFiles: true, unchanged), cancellationToken).ConfigureAwait(false);
            string lsn, backupLabel, stopFile;
            // pg_backup_stop switches to a new segment, so the one holding its end is complete and never written again.
            await using (var stop = new NpgsqlCommand("SELECT lsn::text, labelfile, pg_walfile_name(lsn) FROM pg_backup_stop(false)", sourceAdmin))
            await using (var reader = await stop.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                lsn = reader.GetString(0);
                backupLabel = reader.GetString(1);
                stopFile = reader.GetString(2);
            }
            backupStopped = true;
            switches.Note(source, NpgsqlLogSequenceNumber.Parse(lsn));
            // Every commit the copy holds is from before this moment.
            var point = new BranchPoint(lsn, DateTimeOffset.UtcNow);
            var wal = new WalRange(ControlData.BackupStartFile(backupLabel), stopFile);
            await Task.Run(() => CopyWal(source, target, wal), cancellationToken).ConfigureAwait(false);
            await account.WriteOwnedFileAsync(Path.Combine(target, "backup_label"), backupLabel, cancellationToken).ConfigureAwait(false);
            return (point, wal);
        }
        finally
        {
            if (!backupStopped)
            {
                await using var abort = new NpgsqlCommand("SELECT pg_backup_stop(false)", sourceAdmin);
                try { await abort.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false); }
                catch (PostgresException ex) { logger.LogWarning(ex, "Could not end the backup of {Directory}", source); }
            }
            await using var dropSlot = new NpgsqlCommand("SELECT pg_drop_replication_slot($1)", sourceAdmin);
            dropSlot.Parameters.AddWithValue(slot);
            await dropSlot.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Gives <paramref name="target"/> (new) the same files as <paramref name="source"/> by hard links: for trees that
    /// are never written again (templates, base snapshots), so a second name costs no space.
    /// </summary>
    public void LinkTree(string source, string target)
    {
        account.CreateOwnedDirectory(target, ModeOf(source));
        foreach (var entry in new DirectoryInfo(source).EnumerateFileSystemInfos())
        {
            var to = Path.Combine(target, entry.Name);
            if (entry is DirectoryInfo) LinkTree(entry.FullName, to);
            else LinkFile(entry.FullName, to);
        }
    }

    /// <summary>
    /// Puts the segments of <paramref name="wal"/> (and the timeline histories) from a branch's archive into another
    /// archive: by hard link, as archived WAL is never written again; what the target archive already holds (its own
    /// timeline histories) stays. A segment not archived yet comes from <paramref name="walDirectories"/> (see
    /// <see cref="PlaceSegment"/>).
    /// </summary>
    public void ShareArchivedWal(string sourceArchive, IReadOnlyList<string> walDirectories, string targetArchive, WalRange wal)
    {
        foreach (var name in WalNames(sourceArchive, walDirectories, wal))
        {
            var to = Path.Combine(targetArchive, name);
            if (!File.Exists(to)) PlaceSegment(name, sourceArchive, walDirectories, to);
        }
    }

    /// <summary>
    /// Puts the WAL a restore replays into its pg_wal: the segments of <paramref name="wal"/> and the timeline histories,
    /// from the source's archive by hard links (or from its pg_wal, <paramref name="pendingWal"/>, those the archiver has
    /// not stored yet), so recovery reads them in place instead of running a restore_command per segment. The restore
    /// runs with wal_recycle off, so PostgreSQL only reads and unlinks them, never renames one to a later segment and
    /// writes it (which would write into the archive); each segment is marked archived (.done), so the compute, which
    /// archives, removes them after recovery instead of archiving them again. The source's segment replaces the copy's
    /// own of that name, which may hold only its start (a segment the source went on writing after the snapshot), as in
    /// archive recovery. Returns the names put there, for <see cref="UnlinkArchivedWal"/>.
    /// </summary>
    public IReadOnlyList<string> LinkArchivedWal(string archive, string pendingWal, string walDirectory, WalRange wal)
    {
        var linked = new List<string>();
        foreach (var name in WalNames(archive, [pendingWal], wal))
        {
            var to = Path.Combine(walDirectory, name);
            File.Delete(to);
            PlaceSegment(name, archive, [pendingWal], to);
            linked.Add(name);
            if (name.EndsWith(".history", StringComparison.Ordinal)) continue;
            var done = Path.Combine(walDirectory, "archive_status", name + ".done");
            File.WriteAllBytes(done, []);
            if (account.UserName is not null) Posix.Chown(done, account.Uid, account.Gid);
        }
        return linked;
    }

    /// <summary>The timeline histories and the segments of <paramref name="wal"/> in an archive and in pg_wal folders.</summary>
    private static HashSet<string> WalNames(string archive, IReadOnlyList<string> walDirectories, WalRange wal) =>
        Directory.EnumerateFiles(archive).Concat(walDirectories.Where(Directory.Exists).SelectMany(Directory.EnumerateFiles))
            .Select(Path.GetFileName).OfType<string>()
            .Where(name => TakenWith(wal, name))
            .ToHashSet(StringComparer.Ordinal);

    /// <summary>
    /// Makes <paramref name="to"/> the archived file <paramref name="name"/>, by hard link. One not archived yet is copied
    /// from the first of <paramref name="walDirectories"/> that has it (PostgreSQL keeps a complete segment in pg_wal
    /// until it is archived); when the archive has it once copied, the copy gives way to it, since the source may have
    /// archived and recycled it meanwhile, under the copy.
    /// </summary>
    private void PlaceSegment(string name, string archive, IReadOnlyList<string> walDirectories, string to)
    {
        var archived = Path.Combine(archive, name);
        if (!File.Exists(archived) && walDirectories.Select(directory => Path.Combine(directory, name)).FirstOrDefault(File.Exists) is { } pending)
        {
            try { CopyFile(pending, to); }
            catch (FileNotFoundException) { }
            if (!File.Exists(archived)) return;
            File.Delete(to);
        }
        LinkFile(archived, to);
    }

    /// <summary>Removes from a restored copy's pg_wal what <see cref="LinkArchivedWal"/> linked there and recovery
    /// left (also renamed to .partial, and their archive status), so the branch's own compute, which recycles its
    /// segments once the restore settings are reset, never holds a name of an archived file.</summary>
    public static void UnlinkArchivedWal(string walDirectory, IEnumerable<string> names)
    {
        foreach (var name in names)
        {
            File.Delete(Path.Combine(walDirectory, name));
            File.Delete(Path.Combine(walDirectory, name + ".partial"));
            foreach (var status in Directory.EnumerateFiles(Path.Combine(walDirectory, "archive_status"), name + ".*")) File.Delete(status);
        }
    }

    /// <summary>A second name for a file that is never written again, or a copy when it has too many names already.</summary>
    private void LinkFile(string existing, string created)
    {
        if (!Posix.TryHardLink(existing, created)) CopyFile(existing, created);
    }

    /// <summary>
    /// Copies a tree as the postgres account would own it, leaving out what a base backup leaves out: the contents of
    /// pg_wal but for the segments of <paramref name="wal"/> (all of them when null), runtime directories' contents,
    /// the postmaster's files, temporary files and temporary relations. A running cluster may remove files while it
    /// is copied; the backup API makes that safe, so vanished files are skipped there. The directories are made
    /// first, then the files are copied on every core: a cluster is a thousand small files or more, and a copy's
    /// time goes to each file's system calls and to the new pages of the page cache, which cores take in parallel.
    /// </summary>
    private void CopyTree(string source, string target, WalRange? wal, bool tolerateVanishedFiles, UnchangedSince? unchanged = null)
    {
        var files = new List<FileCopy>();
        account.CreateOwnedDirectory(target, ModeOf(source));
        foreach (var entry in new DirectoryInfo(source).EnumerateFileSystemInfos())
        {
            var to = Path.Combine(target, entry.Name);
            if (entry is DirectoryInfo)
            {
                if (RuntimeDirectories.Contains(entry.Name)) account.CreateOwnedDirectory(to, ModeOf(entry.FullName));
                else if (entry.Name == "pg_wal") CreateWalDirectory(entry.FullName, to, wal ?? AllWal, files);
                else AddDirectory(entry.FullName, to, tolerateVanishedFiles, Within(unchanged, entry.Name), files);
            }
            else if (!RuntimeFiles.Contains(entry.Name) && !IsTemporary(entry.Name))
            {
                files.Add(new FileCopy(entry, to, unchanged));
            }
        }
        try
        {
            Parallel.ForEach(files, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
                file => CopyEntry(file.Entry, file.Target, tolerateVanishedFiles, file.Unchanged));
        }
        catch (AggregateException failed)
        {
            // The first failure as it was thrown, as a copy on one thread would report it.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failed.InnerExceptions[0]);
        }
    }

    /// <summary>A file of a tree being copied, and what it may be linked to instead (see <see cref="UnchangedSince"/>).</summary>
    private sealed record FileCopy(FileSystemInfo Entry, string Target, UnchangedSince? Unchanged);

    private static readonly WalRange AllWal = new("000000000000000000000000", "FFFFFFFFFFFFFFFFFFFFFFFF");
    private static readonly WalRange NoWal = new("FFFFFFFFFFFFFFFFFFFFFFFF", "000000000000000000000000");

    private static UnchangedSince? Within(UnchangedSince? unchanged, string name) =>
        unchanged is null ? null : unchanged with { CopyDirectory = Path.Combine(unchanged.CopyDirectory, name) };

    /// <summary>Makes the directories of a subtree and adds its files to <paramref name="files"/>.</summary>
    private void AddDirectory(string source, string target, bool tolerateVanishedFiles, UnchangedSince? unchanged, List<FileCopy> files)
    {
        IEnumerable<FileSystemInfo> entries;
        try
        {
            account.CreateOwnedDirectory(target, ModeOf(source));
            entries = new DirectoryInfo(source).EnumerateFileSystemInfos().ToList();
        }
        catch (Exception ex) when (tolerateVanishedFiles && ex is DirectoryNotFoundException or FileNotFoundException)
        {
            return;
        }
        foreach (var entry in entries.Where(entry => !IsTemporary(entry.Name)))
        {
            var to = Path.Combine(target, entry.Name);
            if (entry is DirectoryInfo) AddDirectory(entry.FullName, to, tolerateVanishedFiles, Within(unchanged, entry.Name), files);
            else files.Add(new FileCopy(entry, to, unchanged));
        }
    }

    /// <summary>Whether a file of a pg_wal or an archive goes with the WAL of <paramref name="wal"/>: a timeline history
    /// (a start may follow any of them) or a segment in the range.</summary>
    private static bool TakenWith(WalRange wal, string name) =>
        name.EndsWith(".history", StringComparison.Ordinal) || (ControlData.WalSegmentName().IsMatch(name) && wal.Contains(name));

    /// <summary>An empty pg_wal (with archive_status); the segments of <paramref name="wal"/> and the timeline
    /// histories are added to <paramref name="files"/>.</summary>
    private void CreateWalDirectory(string source, string target, WalRange wal, List<FileCopy> files)
    {
        account.CreateOwnedDirectory(target, ModeOf(source));
        account.CreateOwnedDirectory(Path.Combine(target, "archive_status"));
        foreach (var file in new DirectoryInfo(source).EnumerateFiles())
        {
            if (TakenWith(wal, file.Name))
                files.Add(new FileCopy(file, Path.Combine(target, file.Name), null));
        }
    }

    /// <summary>The WAL a backup copy replays, from the source's pg_wal (held there by the copy's slot), each segment
    /// marked done so the copy does not archive again what its source archives.</summary>
    private void CopyWal(string sourceData, string targetData, WalRange wal)
    {
        var target = Path.Combine(targetData, "pg_wal");
        foreach (var file in Directory.EnumerateFiles(Path.Combine(sourceData, "pg_wal")))
        {
            var name = Path.GetFileName(file);
            if (!ControlData.WalSegmentName().IsMatch(name) || !wal.Contains(name)) continue;
            CopyFile(file, Path.Combine(target, name));
            var done = Path.Combine(target, "archive_status", name + ".done");
            File.WriteAllBytes(done, []);
            if (account.UserName is not null) Posix.Chown(done, account.Uid, account.Gid);
        }
    }

    private void CopyEntry(FileSystemInfo entry, string target, bool tolerateVanishedFiles, UnchangedSince? unchanged)
    {
        try
        {
            if (entry.LinkTarget is { } link)
            {
                File.CreateSymbolicLink(target, link);
                return;
            }
            if (unchanged is not null && IsUnchanged((FileInfo)entry, Path.Combine(unchanged.CopyDirectory, entry.Name), unchanged.WrittenBefore) &&
                Posix.TryHardLink(Path.Combine(unchanged.CopyDirectory, entry.Name), target))
                return;
            CopyFile(entry.FullName, target);
        }
        catch (FileNotFoundException) when (tolerateVanishedFiles)
        {
        }
    }

    /// <summary>Whether <paramref name="file"/> was last written before <paramref name="writtenBefore"/> and its earlier
    /// copy <paramref name="copied"/> has its size. Its modification time comes from the kernel's coarse clock, a few
    /// milliseconds behind, so a second of margin covers it.</summary>
    private static bool IsUnchanged(FileInfo file, string copied, DateTimeOffset writtenBefore)
    {
        file.Refresh();
        var earlier = new FileInfo(copied);
        return file.Exists && file.LastWriteTimeUtc < writtenBefore.UtcDateTime - TimeSpan.FromSeconds(1) && earlier.Exists && earlier.Length == file.Length;
    }

    /// <summary>One file, cloned where the file system shares blocks, else copied by the kernel (File.Copy uses
    /// copy_file_range/sendfile), owned by the postgres account.</summary>
    private void CopyFile(string source, string target)
    {
        if (_reflinks.Value && Posix.TryClone(source, target))
        {
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(target, File.GetUnixFileMode(source));
        }
        else File.Copy(source, target);
        if (account.UserName is not null) Posix.Chown(target, account.Uid, account.Gid);
    }

    /// <summary>A directory's permissions, which a copy keeps (PostgreSQL checks its data directory's).</summary>
    private static UnixFileMode ModeOf(string path) => OperatingSystem.IsWindows() ? default : File.GetUnixFileMode(path);

    /// <summary>Temporary files (pgsql_tmp*) and temporary relations (t{backend}_{relfilenode}[.n|_fork]), which no
    /// copy needs, and the relation cache's init files, which a start rebuilds.</summary>
    private static bool IsTemporary(string name) =>
        name.StartsWith("pgsql_tmp", StringComparison.Ordinal) || name.StartsWith("pg_internal.init", StringComparison.Ordinal) || TemporaryRelation().IsMatch(name);

    [GeneratedRegex(@"^t\d+_\d+")]
    private static partial Regex TemporaryRelation();

    /// <summary>Clones a small file once to learn whether this file system shares blocks (ext4 does not; XFS with
    /// reflink=1, btrfs and APFS do).</summary>
    private static bool ProbeReflinks(string directory, ILogger logger)
    {
        var source = Path.Combine(directory, StateLayout.TemporaryPrefix + "reflink-probe-" + Guid.NewGuid().ToString("N"));
        var target = source + "-clone";
        try
        {
            File.WriteAllBytes(source, new byte[4096]);
            var cloned = Posix.TryClone(source, target);
            logger.LogInformation("Data directories are copied with {Mode} under {Root}", cloned ? "reflinks" : "plain copies", directory);
            return cloned;
        }
        finally
        {
            File.Delete(target);
            File.Delete(source);
        }
    }
}
