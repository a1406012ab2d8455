using Lakebase.Local.Platform;
using Npgsql;

namespace Lakebase.Local.Storage;

/// <summary>Where a copy of a data directory was taken from its source.</summary>
internal sealed record BranchPoint(string Lsn, DateTimeOffset Time);

/// <summary>
/// Consistent copies of PostgreSQL data directories, running or stopped, with copy-on-write where the filesystem has
/// it. Branches and base snapshots are both made this way.
/// </summary>
internal sealed class DataDirectoryCopier(ServiceAccount account, ILogger<DataDirectoryCopier> logger)
{
    /// <summary>Copies a stopped data directory; the copy's point is its last checkpoint.</summary>
    public async Task<BranchPoint> CopyStoppedAsync(string source, string target, CancellationToken cancellationToken)
    {
        var time = DateTimeOffset.UtcNow;
        await CopyTreeAsync(source, target, tolerateVanishedFiles: false, cancellationToken).ConfigureAwait(false);
        return new BranchPoint(ControlData.Read(target).CheckpointLsn, time);
    }

    /// <summary>
    /// Copies a running cluster with the backup API: start backup (fast checkpoint), copy the directory, stop backup,
    /// copy pg_wal again, write backup_label. The copy's first start replays WAL to the backup's end point. A
    /// temporary slot holds the WAL the copy needs while it is made.
    /// </summary>
    public async Task<BranchPoint> CopyRunningAsync(NpgsqlConnection sourceAdmin, string source, string target, string label, CancellationToken cancellationToken)
    {
        var slot = "lakebase_copy_" + Guid.NewGuid().ToString("N");
        await using (var batch = new NpgsqlBatch(sourceAdmin)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("SELECT pg_create_physical_replication_slot($1, true, true)") { Parameters = { new() { Value = slot } } },
                new NpgsqlBatchCommand("SELECT pg_backup_start($1, true)") { Parameters = { new() { Value = label } } },
            },
        })
        {
            await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        var backupStopped = false;
        try
        {
            await CopyTreeAsync(source, target, tolerateVanishedFiles: true, cancellationToken).ConfigureAwait(false);
            string lsn, backupLabel;
            await using (var stop = new NpgsqlCommand("SELECT lsn::text, labelfile FROM pg_backup_stop(false)", sourceAdmin))
            await using (var reader = await stop.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                lsn = reader.GetString(0);
                backupLabel = reader.GetString(1);
            }
            backupStopped = true;
            await CopyTreeAsync(Path.Combine(source, "pg_wal"), Path.Combine(target, "pg_wal"), tolerateVanishedFiles: true, cancellationToken, contentsOnly: true)
                .ConfigureAwait(false);
            // The copy's first start replays all the WAL copied, which may run past the backup's end: its moment is
            // when the copy was complete, so every commit it holds is from before that time.
            var point = new BranchPoint(lsn, DateTimeOffset.UtcNow);
            await account.WriteOwnedFileAsync(Path.Combine(target, "backup_label"), backupLabel, cancellationToken).ConfigureAwait(false);
            RemoveRuntimeFiles(target);
            return point;
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

    /// <summary>What a copy of a running cluster must not take along: its postmaster's lock files and its slots.</summary>
    public static void RemoveRuntimeFiles(string dataDirectory)
    {
        foreach (var leftover in new[] { "postmaster.pid", "postmaster.opts" })
            File.Delete(Path.Combine(dataDirectory, leftover));
        var slots = Path.Combine(dataDirectory, "pg_replslot");
        if (Directory.Exists(slots)) foreach (var slotDirectory in Directory.EnumerateDirectories(slots)) Directory.Delete(slotDirectory, true);
    }

    /// <summary>
    /// cp -a as the postgres account, with reflinks where the filesystem supports them (XFS, btrfs; APFS clones on
    /// macOS). Copying a running cluster can race with files PostgreSQL removes; the backup API makes that safe, so
    /// "No such file" errors are tolerated there.
    /// </summary>
    public async Task CopyTreeAsync(string source, string target, bool tolerateVanishedFiles, CancellationToken cancellationToken, bool contentsOnly = false)
    {
        var from = contentsOnly ? Path.Combine(source, ".") : source;
        IReadOnlyList<string> copy = OperatingSystem.IsMacOS() ? ["cp", "-cRp", from, target] : ["cp", "-a", "--reflink=auto", from, target];
        var result = await CommandRunner.RunAsync(account.Wrap(copy), cancellationToken).ConfigureAwait(false);
        if (result.Succeeded) return;
        var errors = result.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (tolerateVanishedFiles && errors.All(line => line.Contains("No such file or directory", StringComparison.Ordinal))) return;
        throw new IOException($"Copying {source} failed: {result.StandardError.Trim()}");
    }
}
