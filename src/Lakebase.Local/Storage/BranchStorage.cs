using Lakebase.Local.Compute;
using Lakebase.Local.Platform;
using Npgsql;

namespace Lakebase.Local.Storage;

/// <summary>Where a child branch was taken from its parent.</summary>
internal sealed record BranchPoint(string Lsn, DateTimeOffset Time);

/// <summary>
/// Branch data on disk: one PostgreSQL data directory per branch, made from a per-major template cluster (initdb runs
/// once per major, never per project) or cloned from the parent branch with copy-on-write where the filesystem has it.
/// Each branch also owns its WAL archive, so point-in-time restore never follows a sibling's timeline.
/// </summary>
internal sealed class BranchStorage(StateLayout layout, PostgresInstallation installation, ServiceAccount account, ILogger<BranchStorage> logger)
{
    /// <summary>The cluster's bootstrap superuser; only Lakebase Local itself logs in as it.</summary>
    public const string AdminRole = "lakebase_admin";
    /// <summary>The role Lakebase grants to project owners in place of real superuser.</summary>
    public const string SuperuserRole = "databricks_superuser";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(5);
    private readonly SemaphoreSlim _templateLock = new(1, 1);

    public StateLayout Layout => layout;
    public PostgresInstallation Installation => installation;
    public ServiceAccount Account => account;

    /// <summary>Creates the state root's shared folders; when running as root they must be traversable by the
    /// postgres account while the admin token stays private.</summary>
    public void Initialize()
    {
        const UnixFileMode traversable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
            UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        foreach (var directory in new[] { layout.Root, layout.BranchesDirectory, layout.ComputesDirectory, layout.TemplatesDirectory, layout.SocketsDirectory })
        {
            Directory.CreateDirectory(directory);
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(directory, traversable);
        }
    }

    /// <summary>Makes a new project's root branch from the template of <paramref name="major"/>.</summary>
    public async Task CreateFromTemplateAsync(string branchUid, int major, CancellationToken cancellationToken)
    {
        var template = await EnsureTemplateAsync(major, cancellationToken).ConfigureAwait(false);
        await BuildBranchAsync(branchUid, async staging =>
        {
            await CopyTreeAsync(Path.Combine(template, StateLayout.DataFolder), Path.Combine(staging, StateLayout.DataFolder), tolerateVanishedFiles: false, cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Makes <paramref name="targetUid"/> a copy of a stopped branch; the branch point is its last checkpoint.</summary>
    public async Task<BranchPoint> CloneStoppedAsync(string sourceUid, string targetUid, int major, CancellationToken cancellationToken)
    {
        var time = DateTimeOffset.UtcNow;
        await BuildBranchAsync(targetUid, staging => CopyTreeAsync(layout.BranchData(sourceUid), Path.Combine(staging, StateLayout.DataFolder),
            tolerateVanishedFiles: false, cancellationToken), cancellationToken).ConfigureAwait(false);
        var control = await CommandRunner.RunCheckedAsync(account.Wrap([installation.Get(major).Tool("pg_controldata"), layout.BranchData(targetUid)]), cancellationToken)
            .ConfigureAwait(false);
        var lsn = control.StandardOutput.Split('\n').First(line => line.StartsWith("Latest checkpoint location:", StringComparison.Ordinal))
            .Split(':', 2)[1].Trim();
        return new BranchPoint(lsn, time);
    }

    /// <summary>
    /// Makes <paramref name="targetUid"/> a consistent copy of a running branch with the backup API: start backup
    /// (fast checkpoint), copy the directory, stop backup, copy pg_wal again, write backup_label. The copy's first
    /// start replays WAL to the backup's end point. A temporary slot holds the WAL the copy needs.
    /// </summary>
    public async Task<BranchPoint> CloneRunningAsync(NpgsqlConnection sourceAdmin, string sourceUid, string targetUid, CancellationToken cancellationToken)
    {
        var slot = "lakebase_clone_" + targetUid.Replace('-', '_');
        await using (var batch = new NpgsqlBatch(sourceAdmin)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("SELECT pg_create_physical_replication_slot($1, true, true)") { Parameters = { new() { Value = slot } } },
                new NpgsqlBatchCommand("SELECT pg_backup_start($1, true)") { Parameters = { new() { Value = "lakebase branch " + targetUid } } },
            },
        })
        {
            await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        var backupStopped = false;
        try
        {
            BranchPoint? point = null;
            await BuildBranchAsync(targetUid, async staging =>
            {
                var target = Path.Combine(staging, StateLayout.DataFolder);
                await CopyTreeAsync(layout.BranchData(sourceUid), target, tolerateVanishedFiles: true, cancellationToken).ConfigureAwait(false);
                string lsn, label;
                await using (var stop = new NpgsqlCommand("SELECT lsn::text, labelfile FROM pg_backup_stop(false)", sourceAdmin))
                await using (var reader = await stop.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
                {
                    await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                    lsn = reader.GetString(0);
                    label = reader.GetString(1);
                }
                backupStopped = true;
                point = new BranchPoint(lsn, DateTimeOffset.UtcNow);
                await CopyTreeAsync(Path.Combine(layout.BranchData(sourceUid), "pg_wal"), Path.Combine(target, "pg_wal"), tolerateVanishedFiles: true, cancellationToken, contentsOnly: true)
                    .ConfigureAwait(false);
                await File.WriteAllTextAsync(Path.Combine(target, "backup_label"), label, cancellationToken).ConfigureAwait(false);
                if (account.UserName is not null) Posix.Chown(Path.Combine(target, "backup_label"), account.Uid, account.Gid);
            }, cancellationToken).ConfigureAwait(false);
            return point!;
        }
        finally
        {
            if (!backupStopped)
            {
                await using var abort = new NpgsqlCommand("SELECT pg_backup_stop(false)", sourceAdmin);
                try { await abort.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false); }
                catch (PostgresException ex) { logger.LogWarning(ex, "Could not end the backup of branch {Uid}", sourceUid); }
            }
            await using var dropSlot = new NpgsqlCommand("SELECT pg_drop_replication_slot($1)", sourceAdmin);
            dropSlot.Parameters.AddWithValue(slot);
            await dropSlot.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>Removes a branch's data for good.</summary>
    public void Delete(string branchUid) => DeleteDirectory(layout.Branch(branchUid));

    public static void DeleteDirectory(string path)
    {
        if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
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

    /// <summary>Removes staging folders of creates that never finished and branch data no metadata refers to.</summary>
    public void RemoveOrphans(IReadOnlySet<string> knownBranchUids)
    {
        foreach (var directory in Directory.EnumerateDirectories(layout.BranchesDirectory))
        {
            var name = Path.GetFileName(directory);
            if (name.StartsWith(StateLayout.TemporaryPrefix, StringComparison.Ordinal) || !knownBranchUids.Contains(name))
            {
                logger.LogInformation("Removing unfinished or orphaned branch data {Directory}", directory);
                DeleteDirectory(directory);
            }
        }
    }

    /// <summary>Builds a branch in a staging folder and renames it into place only when complete.</summary>
    private async Task BuildBranchAsync(string branchUid, Func<string, Task> build, CancellationToken cancellationToken)
    {
        var final = layout.Branch(branchUid);
        var staging = StateLayout.TemporarySibling(final);
        DeleteDirectory(staging);
        account.CreateOwnedDirectory(staging);
        try
        {
            await build(staging).ConfigureAwait(false);
            foreach (var leftover in new[] { "postmaster.pid", "postmaster.opts" })
                File.Delete(Path.Combine(staging, StateLayout.DataFolder, leftover));
            var slots = Path.Combine(staging, StateLayout.DataFolder, "pg_replslot");
            if (Directory.Exists(slots)) foreach (var slotDirectory in Directory.EnumerateDirectories(slots)) Directory.Delete(slotDirectory, true);
            account.CreateOwnedDirectory(Path.Combine(staging, StateLayout.ArchiveFolder));
            cancellationToken.ThrowIfCancellationRequested();
            Directory.Move(staging, final);
        }
        catch
        {
            DeleteDirectory(staging);
            throw;
        }
    }

    /// <summary>
    /// cp -a as the postgres account, with reflinks where the filesystem supports them (XFS, btrfs; APFS clones on
    /// macOS). Copying a running cluster can race with files PostgreSQL removes; the backup API makes that safe, so
    /// "No such file" errors are tolerated there.
    /// </summary>
    private async Task CopyTreeAsync(string source, string target, bool tolerateVanishedFiles, CancellationToken cancellationToken, bool contentsOnly = false)
    {
        var from = contentsOnly ? Path.Combine(source, ".") : source;
        IReadOnlyList<string> copy = OperatingSystem.IsMacOS() ? ["cp", "-cRp", from, target] : ["cp", "-a", "--reflink=auto", from, target];
        var result = await CommandRunner.RunAsync(account.Wrap(copy), cancellationToken).ConfigureAwait(false);
        if (result.Succeeded) return;
        var errors = result.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (tolerateVanishedFiles && errors.All(line => line.Contains("No such file or directory", StringComparison.Ordinal))) return;
        throw new IOException($"Copying {source} failed: {result.StandardError.Trim()}");
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
            var postgres = await PostgresProcess.StartAsync(binaries, account, data, StartTimeout, cancellationToken).ConfigureAwait(false);
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
