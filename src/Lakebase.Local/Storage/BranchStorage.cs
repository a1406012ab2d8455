using Lakebase.Contract.Local;
using Lakebase.Local.Postgres;
using Lakebase.Local.Platform;
using Npgsql;

namespace Lakebase.Local.Storage;

/// <summary>
/// Branch data on disk: one PostgreSQL data directory per branch, made from a per-major template cluster (initdb runs
/// once per major, never per project) or cloned from the parent branch with copy-on-write where the filesystem has it.
/// Each branch also owns its WAL archive, so point-in-time restore never follows a sibling's timeline.
/// </summary>
internal sealed class BranchStorage(StateLayout layout, PostgresInstallation installation, ServiceAccount account, DataDirectoryCopier copier,
    DataOverlays overlays, BranchHistory history, ILogger<BranchStorage> logger)
{
    /// <summary>The cluster's bootstrap superuser; only Lakebase Local itself logs in as it.</summary>
    public const string AdminRole = "lakebase_admin";
    /// <summary>The role Lakebase grants to project owners in place of real superuser.</summary>
    public const string SuperuserRole = "databricks_superuser";

    private const string AutoConfFileName = "postgresql.auto.conf";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(5);
    private readonly SemaphoreSlim _templateLock = new(1, 1);

    public StateLayout Layout => layout;
    public PostgresInstallation Installation => installation;
    public ServiceAccount Account => account;
    public BranchHistory History => history;
    public DataDirectoryCopier Copier => copier;
    public DataOverlays Overlays => overlays;

    /// <summary>How a branch gets its parent's files here, for Get-LakebaseLocal: "reflink" (every copy shares blocks),
    /// "overlay" (a branch at a past time is an overlay on its base snapshot, others are copies) or "copy".</summary>
    public string CopyMode => copier.Mode == DataDirectoryCopier.PlainCopyMode && overlays.Available ? DataOverlays.OverlayMode : copier.Mode;

    /// <summary>Creates the state root's shared folders; when running as root they must be traversable by the
    /// postgres account (the root itself is closed to everyone else, see StateRootAccess).</summary>
    public void Initialize()
    {
        const UnixFileMode traversable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
            UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        foreach (var directory in new[] { layout.BranchesDirectory, layout.ComputesDirectory, layout.TemplatesDirectory, layout.SocketsDirectory })
        {
            Directory.CreateDirectory(directory);
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(directory, traversable);
        }
    }

    /// <summary>Makes a new project's root branch from the template of <paramref name="major"/>, which its first base
    /// snapshot shares.</summary>
    public async Task CreateFromTemplateAsync(string branchUid, int major, CancellationToken cancellationToken)
    {
        var template = Path.Combine(await EnsureTemplateAsync(major, cancellationToken).ConfigureAwait(false), StateLayout.DataFolder);
        await BuildBranchAsync(branchUid, async data =>
            (await copier.CopyStoppedAsync(template, data, cancellationToken).ConfigureAwait(false), new SharedHistory(template)), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Makes <paramref name="targetUid"/> a copy of a stopped branch; the branch point is its last checkpoint.</summary>
    public Task<BranchPoint> CloneStoppedAsync(string sourceUid, string targetUid, CancellationToken cancellationToken) =>
        BuildBranchAsync(targetUid, async data =>
        {
            var source = layout.BranchData(sourceUid);
            var point = await copier.CopyStoppedAsync(source, data, cancellationToken).ConfigureAwait(false);
            // A source that stopped cleanly shares its WAL up to the segment of its last checkpoint, which the new branch
            // continues on its own; one that crashed needs all of its WAL replayed, so the branch gets a snapshot of its own.
            var control = ControlData.Read(source);
            return (point, control.ShutDown ? SharedFrom(sourceUid, data, control.CheckpointWalFile, lastIncluded: false) : null);
        }, cancellationToken);

    /// <summary>Whether the branch's compute stopped cleanly before <paramref name="moment"/>, so its data is as it was
    /// then: a cleanly stopped cluster's control file was last written after its last commit, in whole seconds. Asked
    /// while the compute is held stopped.</summary>
    public bool StoppedBefore(string branchUid, DateTimeOffset moment) =>
        ControlData.Read(layout.BranchData(branchUid)) is { ShutDown: true } control && control.UpdateTime.AddSeconds(1) <= moment;

    /// <summary>Makes <paramref name="targetUid"/> a consistent copy of a running branch; its first start replays WAL to
    /// the copy's end point.</summary>
    public Task<BranchPoint> CloneRunningAsync(NpgsqlConnection sourceAdmin, string sourceUid, string targetUid, CancellationToken cancellationToken) =>
        BuildBranchAsync(targetUid, async data =>
        {
            var (point, wal) = await copier.CopyRunningAsync(sourceAdmin, layout.BranchData(sourceUid), data, "lakebase branch " + targetUid, cancellationToken)
                .ConfigureAwait(false);
            return (point, SharedFrom(sourceUid, data, wal.Last, lastIncluded: true));
        }, cancellationToken);

    /// <summary>
    /// Makes <paramref name="targetUid"/> the source branch as it was at <paramref name="target"/>: copies the newest
    /// base snapshot before the target and puts the source's WAL from there through <paramref name="lastSegment"/> in its
    /// pg_wal; the branch's own compute, started
    /// by <paramref name="startCompute"/> (which returns an admin connection to it), replays that WAL up to the target
    /// on its first start and promotes the copy into a timeline of its own, so a restore costs one PostgreSQL start, not
    /// two. Then the WAL linked from the source is taken out of pg_wal, the restore settings are reset, and the new
    /// branch's history (the new timeline's history, and the source's snapshot and WAL up to the fork, shared) is
    /// recorded and synced. The source's history must already be sealed past the target, in <paramref name="lastSegment"/>
    /// (see BranchHistory.SealAsync).
    /// A crash before this returns leaves a create that is rolled back (see Recovery), so the copy is never used half-made.
    /// </summary>
    public async Task<BranchPoint> RestoreAsync(string sourceUid, string targetUid, RecoveryTarget target, string lastSegment,
        Func<CancellationToken, Task<NpgsqlConnection>> startCompute, CancellationToken cancellationToken)
    {
        var snapshot = history.BaseFor(sourceUid, target)
            ?? throw new InvalidOperationException($"Branch {sourceUid} has no base snapshot from before the restore target.");
        var sourceArchive = layout.BranchArchive(sourceUid);
        var sourceWal = Path.Combine(layout.BranchData(sourceUid), "pg_wal");
        var (linkedWal, autoConf) = await StageBranchAsync(targetUid, async data =>
        {
            // An overlay on the snapshot where the machine mounts them, else a copy of it without its WAL (the archive's
            // takes its place); what the restore adds before its start goes into the overlay's upper layer or the copy.
            var written = data;
            if (overlays.Available) written = overlays.Stage(snapshot.DataDirectory, data);
            else await copier.CopyStoppedAsync(snapshot.DataDirectory, data, cancellationToken, withWal: false).ConfigureAwait(false);
            var linked = copier.LinkArchivedWal(sourceArchive, sourceWal, Path.Combine(written, "pg_wal"), new WalRange(snapshot.FirstWalFile, lastSegment));
            // postgresql.auto.conf, read at every start after the compute's own settings, so whichever start comes first
            // (the create's, or a connection's) restores, and never recycles a linked segment.
            var snapshotAutoConf = Path.Combine(snapshot.DataDirectory, AutoConfFileName);
            var autoConf = File.Exists(snapshotAutoConf) ? await File.ReadAllTextAsync(snapshotAutoConf, cancellationToken).ConfigureAwait(false) : "";
            await account.WriteOwnedFileAsync(Path.Combine(written, AutoConfFileName), autoConf + string.Concat(target.RecoverySettings(snapshot.Timeline)
                .Select(setting => $"{setting.Key} = {ComputeConfiguration.Quote(setting.Value)}\n")), cancellationToken).ConfigureAwait(false);
            await account.WriteOwnedFileAsync(Path.Combine(written, "standby.signal"), "", cancellationToken).ConfigureAwait(false);
            return (linked, autoConf);
        }, cancellationToken).ConfigureAwait(false);

        var branch = layout.Branch(targetUid);
        overlays.MountIfLayered(branch);
        var data = layout.BranchData(targetUid);
        DateTimeOffset? lastReplayedCommit = null;
        await using (var connection = await startCompute(cancellationToken).ConfigureAwait(false))
        {
            if (target.Time is null)
            {
                await using var query = new NpgsqlCommand("SELECT pg_last_xact_replay_timestamp()", connection);
                lastReplayedCommit = await query.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is DateTime time ? new DateTimeOffset(time, TimeSpan.Zero) : null;
            }
            // The linked segments go before wal_recycle is back on, so the compute never renames one and writes it.
            DataDirectoryCopier.UnlinkArchivedWal(Path.Combine(data, "pg_wal"), linkedWal);
            // The restore settings go (replaced whole, as ALTER SYSTEM does, without a round trip per setting), so no
            // later start or copy of the branch (a read replica's) restores again.
            var staged = Path.Combine(data, AutoConfFileName + ".tmp");
            await account.WriteOwnedFileAsync(staged, autoConf, cancellationToken).ConfigureAwait(false);
            File.Move(staged, Path.Combine(data, AutoConfFileName), overwrite: true);
            await using (var reload = new NpgsqlCommand("SELECT pg_reload_conf()", connection))
                await reload.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            // A backend reloads after the postmaster has: once this one fsyncs, every process started from now on does.
            await using var fsync = new NpgsqlCommand("SELECT current_setting('fsync')", connection);
            while ((string?)await fsync.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) != "on")
                await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }
        var fork = history.AdoptTimelineHistory(branch);
        var point = new BranchPoint(fork.ToString(), target.Time ?? lastReplayedCommit ?? snapshot.Time);
        // The source's WAL from the snapshot through the segment the new timeline forked in (complete: the history was
        // sealed past the target; in its archive, or still in its pg_wal).
        var forkSegment = ControlData.WalFileName(snapshot.Timeline, (ulong)fork, ControlData.WalSegmentSize(data));
        await StartHistoryAsync(branch, point, new SharedHistory(snapshot.DataDirectory, sourceArchive, [sourceWal], new WalRange(snapshot.FirstWalFile, forkSegment), snapshot.CopyStarted),
            cancellationToken).ConfigureAwait(false);
        // The replay ran with fsync off: its writes, the snapshot and the archive reach the disk before the branch is recorded.
        Posix.SyncFileSystem(branch);
        return point;
    }

    /// <summary>What a branch copied from <paramref name="sourceUid"/> into <paramref name="data"/> shares of its
    /// history: the source's newest base snapshot and its WAL from there up to <paramref name="last"/>, where the copy
    /// continues on its own. The complete segments the copy took along, or else the source's, stand in for those its
    /// source has not archived yet.</summary>
    private SharedHistory? SharedFrom(string sourceUid, string data, string last, bool lastIncluded) => history.Snapshots(sourceUid) is [.., var newest]
        ? new SharedHistory(newest.DataDirectory, layout.BranchArchive(sourceUid), [Path.Combine(data, "pg_wal"), Path.Combine(layout.BranchData(sourceUid), "pg_wal")],
            new WalRange(newest.FirstWalFile, last, lastIncluded), newest.CopyStarted)
        : null;

    /// <summary>Removes a branch's data for good, once no snapshot of it is being taken (see <see cref="Discard"/>).</summary>
    public async Task DeleteAsync(string branchUid, CancellationToken cancellationToken)
    {
        using var hold = await history.HoldAsync(branchUid, cancellationToken).ConfigureAwait(false);
        Discard(layout.Branch(branchUid));
        history.Forget(branchUid);
    }

    /// <summary>Takes a folder out of the state for good: unmounted and renamed into the trash at once, its files deleted
    /// in the background, since a file system frees a branch's thousands of files in a fifth of a second or more, which
    /// a delete need not wait for. The trash a stopped server left is emptied at its next start (<see cref="EmptyTrash"/>).</summary>
    public void Discard(string directory)
    {
        if (!Directory.Exists(directory)) return;
        Mounts.DetachUnder(directory);
        Directory.CreateDirectory(layout.TrashDirectory);
        var trashed = Path.Combine(layout.TrashDirectory, Path.GetFileName(directory) + "-" + Guid.NewGuid().ToString("N"));
        Directory.Move(directory, trashed);
        DeleteInBackground(trashed);
    }

    /// <summary>Deletes, in the background, what the trash still holds (a server that stopped before its background
    /// deletes ended), so neither a large leftover nor one the file system refuses to free holds up a start.</summary>
    public void EmptyTrash()
    {
        if (!Directory.Exists(layout.TrashDirectory)) return;
        foreach (var leftover in Directory.EnumerateDirectories(layout.TrashDirectory)) DeleteInBackground(leftover);
    }

    private void DeleteInBackground(string trashed) => _ = Task.Run(() =>
    {
        try { DeleteDirectory(trashed); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning(ex, "Could not delete {Directory}; the next start tries again", trashed);
        }
    });

    /// <summary>Removes a folder and its contents, a branch's overlay unmounted first (see DataOverlays). A process that
    /// is dying (a restore's postmaster just killed, its children still exiting) may add a file while the folder is
    /// emptied, so a "not empty" failure is retried a few times before it is reported.</summary>
    public static void DeleteDirectory(string path)
    {
        if (Directory.Exists(path)) Mounts.DetachUnder(path);
        for (var attempt = 1; Directory.Exists(path); attempt++)
        {
            try
            {
                Directory.Delete(path, recursive: true);
            }
            catch (IOException) when (attempt < 20 && Directory.Exists(path))
            {
                Thread.Sleep(50);
            }
        }
    }

    /// <summary>Moves a folder no metadata refers to into the quarantine folder (a lost or replaced state.db must not
    /// cost the data), unmounted (its layers hold the data); returns where it went.</summary>
    public string Quarantine(string directory)
    {
        Directory.CreateDirectory(layout.QuarantineDirectory);
        Mounts.DetachUnder(directory);
        var destination = Path.Combine(layout.QuarantineDirectory,
            $"{DateTime.UtcNow:yyyyMMddTHHmmssZ}-{Path.GetFileName(Path.GetDirectoryName(directory))}-{Path.GetFileName(directory)}");
        Directory.Move(directory, destination);
        return destination;
    }

    /// <summary>Bytes of relation data in the branch (all databases), from the files themselves so a suspended
    /// branch reports its size without waking.</summary>
    public long LogicalSize(string branchUid)
    {
        var data = layout.BranchData(branchUid);
        return new[] { "base", "global" }.Select(folder => Path.Combine(data, folder)).Where(Directory.Exists)
            .SelectMany(folder => new DirectoryInfo(folder).EnumerateFiles("*", SearchOption.AllDirectories))
            .Sum(file => { try { return file.Length; } catch (IOException) { return 0L; } });
    }

    /// <summary>
    /// Builds a branch in a staging folder and renames it into place only when complete, with its WAL archive and
    /// its first base snapshot, so its history is restorable from the moment it exists. The snapshot shares what the
    /// build says it can (see SharedHistory), so a branch costs one copy of its data.
    /// </summary>
    private async Task<BranchPoint> BuildBranchAsync(string branchUid, Func<string, Task<(BranchPoint Point, SharedHistory? Shared)>> build,
        CancellationToken cancellationToken)
    {
        var point = await StageBranchAsync(branchUid, async data =>
        {
            var (point, shared) = await build(data).ConfigureAwait(false);
            await StartHistoryAsync(Path.GetDirectoryName(data)!, point, shared, cancellationToken).ConfigureAwait(false);
            return point;
        }, cancellationToken).ConfigureAwait(false);
        // The copy, its new directories and the rename reach the disk before the branch is recorded as ready.
        Posix.SyncFileSystem(layout.Branch(branchUid));
        return point;
    }

    /// <summary>Gives a new branch (its folder <paramref name="branchDirectory"/>, stopped or restored) its history: the
    /// WAL it shares with its source, taken into its archive, and its first base snapshot at <paramref name="point"/>.</summary>
    private async Task StartHistoryAsync(string branchDirectory, BranchPoint point, SharedHistory? shared, CancellationToken cancellationToken)
    {
        if (shared is { SourceArchive: { } sourceArchive, Wal: { } wal })
            copier.ShareArchivedWal(sourceArchive, shared.WalDirectories ?? [], Path.Combine(branchDirectory, StateLayout.ArchiveFolder), wal);
        await history.SnapshotNewBranchAsync(branchDirectory, point, shared, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Makes a branch's folder (its data directory, built by <paramref name="build"/>, and an empty WAL
    /// archive) in a staging folder, renamed into place only when complete; a failure leaves nothing behind.</summary>
    private async Task<T> StageBranchAsync<T>(string branchUid, Func<string, Task<T>> build, CancellationToken cancellationToken)
    {
        var final = layout.Branch(branchUid);
        var staging = StateLayout.TemporarySibling(final);
        DeleteDirectory(staging);
        account.CreateOwnedDirectory(staging);
        try
        {
            account.CreateOwnedDirectory(Path.Combine(staging, StateLayout.ArchiveFolder));
            var result = await build(Path.Combine(staging, StateLayout.DataFolder)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            Directory.Move(staging, final);
            return result;
        }
        catch
        {
            DeleteDirectory(staging);
            throw;
        }
    }

    /// <summary>The ready-to-clone template cluster of a major version, made on first use.</summary>
    private async Task<string> EnsureTemplateAsync(int major, CancellationToken cancellationToken)
    {
        var template = layout.Template(major);
        if (Directory.Exists(template)) return template;
        await _templateLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Directory.Exists(template)) return template;
            var binaries = installation.Get(major);
            var staging = StateLayout.TemporarySibling(template);
            DeleteDirectory(staging);
            account.CreateOwnedDirectory(staging);
            var data = Path.Combine(staging, StateLayout.DataFolder);
            logger.LogInformation("Creating the PostgreSQL {Major} template cluster", major);
            await CommandRunner.RunCheckedAsync(account.Wrap([binaries.Tool("initdb"), "-D", data, "-U", AdminRole, "-A", "trust",
                "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"]), cancellationToken).ConfigureAwait(false);
            // The postgres processes listen on a private Unix socket only; the proxy is the front door and does the auth.
            await File.WriteAllTextAsync(Path.Combine(data, "pg_hba.conf"), "local all all trust\nlocal replication all trust\n", cancellationToken).ConfigureAwait(false);
            await File.AppendAllTextAsync(Path.Combine(data, "postgresql.conf"), $"\ninclude_if_exists = '{ComputeConfiguration.FileName}'\n", cancellationToken).ConfigureAwait(false);

            var socket = Path.Combine(layout.SocketsDirectory, $"template-{major}");
            account.CreateOwnedDirectory(socket);
            new ComputeConfiguration(socket, null, 0.5, 0.5, new Dictionary<string, string>(), 0.5).WriteTo(data, 0.5);
            var postgres = await PostgresProcess.StartAsync(binaries, account, data, socket, StartTimeout, cancellationToken).ConfigureAwait(false);
            try
            {
                await using var connection = new NpgsqlConnection(AdminConnectionString(socket, "postgres"));
                await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
                await using var setup = new NpgsqlCommand(
                    $"CREATE ROLE {SuperuserRole} NOLOGIN CREATEDB CREATEROLE; " +
                    $"GRANT pg_read_all_data, pg_write_all_data, pg_monitor, pg_signal_backend, pg_checkpoint TO {SuperuserRole} WITH ADMIN OPTION;",
                    connection);
                await setup.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                await postgres.StopAsync(TimeSpan.FromSeconds(30), CancellationToken.None).ConfigureAwait(false);
                DeleteDirectory(socket);
            }
            File.Delete(Path.Combine(data, ComputeConfiguration.FileName));
            Directory.Move(staging, template);
            // initdb ran with --no-sync: one sync of the file system covers its output and the rename.
            Posix.SyncFileSystem(template);
            return template;
        }
        finally
        {
            _templateLock.Release();
        }
    }

    public static string AdminConnectionString(string socketDirectory, string database) => new NpgsqlConnectionStringBuilder
    {
        Host = socketDirectory,
        Port = 5432,
        Username = AdminRole,
        Database = database,
        Pooling = false,
        Timeout = 30,
        CommandTimeout = 0,
    }.ConnectionString;

}
