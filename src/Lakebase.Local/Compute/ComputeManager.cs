using System.Collections.Concurrent;
using Lakebase.Local.Postgres;
using Lakebase.Contract;
using Lakebase.Local.Platform;
using Lakebase.Local.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Lakebase.Local.Compute;

/// <summary>What the control plane asks a compute to be. A read-write compute serves the branch's own data directory;
/// a read-only one is a hot standby of it with a data directory of its own.</summary>
internal sealed record ComputeTarget(
    string EndpointUid,
    string BranchUid,
    int Major,
    double MinCu,
    double MaxCu,
    IReadOnlyDictionary<string, string> PgSettings,
    ComputeTarget? Primary = null)
{
    public bool ReadOnly => Primary is not null;
}

/// <summary>What a running compute was configured for and the size it runs at now (null until known: a compute adopted
/// from an earlier run of the server keeps whatever size it had until the autoscaler sets one).</summary>
internal sealed record ComputeSizing(ComputeTarget Target, double? CurrentCu);

/// <summary>
/// Starts, stops and tracks the postgres process of each endpoint. Calls for one endpoint are serialised; different
/// endpoints proceed in parallel. Postmasters are detached, so a restarted server adopts the ones still running.
/// </summary>
internal sealed class ComputeManager(BranchStorage storage, ILogger<ComputeManager> logger) : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan FenceTimeout = TimeSpan.FromSeconds(5);
    /// <summary>How long a waking read replica may replay without progress before it is taken as unable to catch up.</summary>
    private static readonly TimeSpan CatchUpStall = TimeSpan.FromSeconds(30);
    private readonly ConcurrentDictionary<string, PostgresProcess> _running = new();
    private readonly KeyedLocks _locks = new();
    private readonly ConcurrentDictionary<string, DateTimeOffset> _lastActive = new();
    private readonly ConcurrentDictionary<string, ComputeSizing> _sizing = new();
    private readonly ConcurrentDictionary<string, string> _degraded = new();
    private readonly ConcurrentDictionary<string, int> _inUse = new();
    private readonly ConcurrentDictionary<string, PgBouncerProcess> _poolers = new();

    private StateLayout Layout => storage.Layout;

    public bool IsRunning(string endpointUid) => _running.TryGetValue(endpointUid, out var process) && process.IsAlive;

    /// <summary>Records use of the compute (a session, an admin change); the suspend timer counts from the last use.
    /// A read replica streams from its primary, so readers keep the primary awake too.</summary>
    public void MarkActive(string endpointUid)
    {
        var now = DateTimeOffset.UtcNow;
        _lastActive[endpointUid] = now;
        if (_sizing.TryGetValue(endpointUid, out var sizing) && sizing.Target.Primary is { } primary) _lastActive[primary.EndpointUid] = now;
    }

    /// <summary>Why the compute cannot serve (a read replica that could not catch up with its primary); null when it can.</summary>
    public string? DegradedReason(string endpointUid) => _degraded.GetValueOrDefault(endpointUid);

    public IReadOnlyCollection<string> RunningEndpoints => _running.Keys.ToList();

    public DateTimeOffset? LastActive(string endpointUid) => _lastActive.TryGetValue(endpointUid, out var time) ? time : null;

    /// <summary>The running compute's limits and current size; null when it is not running.</summary>
    public ComputeSizing? Sizing(string endpointUid) => IsRunning(endpointUid) ? _sizing.GetValueOrDefault(endpointUid) : null;

    /// <summary>The postmaster's process id, for sampling the CPU its process tree uses.</summary>
    public int? ProcessId(string endpointUid) => _running.TryGetValue(endpointUid, out var process) ? process.Pid : null;

    public string SocketDirectory(string endpointUid) => Layout.Socket(endpointUid);

    public string DataDirectory(ComputeTarget target) => target.ReadOnly
        ? Path.Combine(Layout.Compute(target.EndpointUid), StateLayout.DataFolder)
        : Layout.BranchData(target.BranchUid);

    /// <summary>Starts the compute unless it runs already; returns once it answers queries. A compute that runs but
    /// is not ready yet (crash recovery, adopted while starting) is waited for, not started a second time.</summary>
    public async Task EnsureRunningAsync(ComputeTarget target, CancellationToken cancellationToken)
    {
        using var gate = await LockAsync(target.EndpointUid, cancellationToken).ConfigureAwait(false);
        if (_running.TryGetValue(target.EndpointUid, out var running) && running.IsAlive)
        {
            await running.WaitUntilReadyAsync(StartTimeout, cancellationToken).ConfigureAwait(false);
            return;
        }
        if (TryAdopt(target))
        {
            await _running[target.EndpointUid].WaitUntilReadyAsync(StartTimeout, cancellationToken).ConfigureAwait(false);
            return;
        }
        NpgsqlLogSequenceNumber? primaryEnd = null;
        if (target.Primary is { } primary)
        {
            await EnsureRunningAsync(primary, cancellationToken).ConfigureAwait(false);
            primaryEnd = await EnsureStandbyAsync(target, cancellationToken).ConfigureAwait(false);
        }
        var data = DataDirectory(target);
        storage.Account.CreateOwnedDirectory(SocketDirectory(target.EndpointUid));
        // Like Lakebase, a compute starts (and wakes) at its minimum size; the autoscaler grows it from there.
        Configuration(target).WriteTo(data, target.MinCu);
        if (!target.ReadOnly) storage.History.ForgetStopFence(target.BranchUid);
        var started = DateTime.UtcNow;
        var process = await PostgresProcess.StartAsync(storage.Installation.Get(target.Major), storage.Account, data, SocketDirectory(target.EndpointUid), StartTimeout, cancellationToken)
            .ConfigureAwait(false);
        if (primaryEnd is { } end) await CatchUpAsync(target, process, end, cancellationToken).ConfigureAwait(false);
        _degraded.TryRemove(target.EndpointUid, out _);
        _running[target.EndpointUid] = process;
        _sizing[target.EndpointUid] = new ComputeSizing(target, target.MinCu);
        _lastActive[target.EndpointUid] = DateTimeOffset.UtcNow;
        logger.LogInformation("Started compute {Endpoint} in {Elapsed} ms", target.EndpointUid, (DateTime.UtcNow - started).TotalMilliseconds);
    }

    /// <summary>Starts the compute and its PgBouncer unless they run; returns the directory of the pooler's private
    /// socket. The pooler is started under the compute's lock, so a suspend cannot slip between the two.</summary>
    public async Task<string> EnsurePoolerAsync(ComputeTarget target, TimeSpan clientIdleTimeout, CancellationToken cancellationToken)
    {
        while (true)
        {
            await EnsureRunningAsync(target, cancellationToken).ConfigureAwait(false);
            using var gate = await LockAsync(target.EndpointUid, cancellationToken).ConfigureAwait(false);
            if (!IsRunning(target.EndpointUid)) continue;
            if (!(_poolers.TryGetValue(target.EndpointUid, out var pooler) && pooler.IsAlive))
            {
                var configuration = new PoolerConfiguration(SocketDirectory(target.EndpointUid), Layout.Pooler(target.EndpointUid),
                    Configuration(target).ConnectionsCu, clientIdleTimeout);
                pooler = await PgBouncerProcess.StartAsync(storage.Account, configuration, cancellationToken).ConfigureAwait(false);
                _poolers[target.EndpointUid] = pooler;
                logger.LogInformation("Started the pooler of {Endpoint} (pool size {PoolSize})", target.EndpointUid, configuration.PoolSize);
            }
            return pooler.Configuration.Directory;
        }
    }

    /// <summary>Takes over a postmaster that kept serving this compute while the server was down (ready or still in
    /// crash recovery); false when none runs.</summary>
    public bool TryAdopt(ComputeTarget target)
    {
        if (PostgresProcess.Adopt(DataDirectory(target)) is not { } process) return false;
        _running[target.EndpointUid] = process;
        _sizing[target.EndpointUid] = new ComputeSizing(target, null);
        _lastActive[target.EndpointUid] = DateTimeOffset.UtcNow;
        return true;
    }

    /// <summary>Applies new limits or settings: a reload when that is enough, a restart when shared memory changes.
    /// A running compute keeps its current size, moved into the new limits. Settings PostgreSQL rejects, or a
    /// restart that fails, leave the compute as it was with <paramref name="previous"/>, and throw ArgumentException
    /// saying why.</summary>
    public async Task ApplyAsync(ComputeTarget target, ComputeTarget previous, CancellationToken cancellationToken)
    {
        using (await LockAsync(target.EndpointUid, cancellationToken).ConfigureAwait(false))
        {
            var data = DataDirectory(target);
            if (!Directory.Exists(data)) return;
            var configFile = Path.Combine(data, ComputeConfiguration.FileName);
            var before = File.Exists(configFile) ? await File.ReadAllTextAsync(configFile, cancellationToken).ConfigureAwait(false) : "";
            var size = Math.Clamp(Sizing(target.EndpointUid)?.CurrentCu ?? target.MinCu, target.MinCu, target.MaxCu);
            Configuration(target).WriteTo(data, size);
            if (await CheckConfigurationAsync(target, data, cancellationToken).ConfigureAwait(false) is { } rejected)
            {
                await File.WriteAllTextAsync(configFile, before, CancellationToken.None).ConfigureAwait(false);
                throw new ArgumentException($"PostgreSQL rejects the settings: {rejected}");
            }
            if (!IsRunning(target.EndpointUid)) return;
            var after = await File.ReadAllTextAsync(configFile, cancellationToken).ConfigureAwait(false);
            if (before == after) return;
            if (await ReloadAsync(target.EndpointUid, cancellationToken).ConfigureAwait(false) == 0)
            {
                _sizing[target.EndpointUid] = new ComputeSizing(target, size);
                return;
            }
            await StopLockedAsync(target.EndpointUid, cancellationToken).ConfigureAwait(false);
        }
        try
        {
            await EnsureRunningAsync(target, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
            await EnsureRunningAsync(previous, CancellationToken.None).ConfigureAwait(false);
            throw new ArgumentException($"The compute did not start with the new settings, so it runs with its previous ones: {ex.Message}", ex);
        }
    }

    /// <summary>postgres -C parses the configuration as a start would, without starting (also beside a running
    /// server): null when it is valid, else PostgreSQL's complaint.</summary>
    private async Task<string?> CheckConfigurationAsync(ComputeTarget target, string data, CancellationToken cancellationToken)
    {
        var check = await CommandRunner.RunAsync(storage.Account.Wrap([storage.Installation.Get(target.Major).Tool("postgres"), "-D", data, "-C", "port"]),
            cancellationToken).ConfigureAwait(false);
        if (check.Succeeded) return null;
        // The LOG lines name each bad setting; the FATAL line after them only says the file has errors.
        const string log = "LOG:  ";
        var reasons = check.StandardError.Split('\n').Where(line => line.Contains(log, StringComparison.Ordinal))
            .Select(line => line[(line.IndexOf(log, StringComparison.Ordinal) + log.Length)..].Trim()).ToList();
        return reasons.Count > 0 ? string.Join("; ", reasons) : check.StandardError.Trim();
    }

    /// <summary>Moves a running compute to another size within the limits it runs with. Only the per-query memory
    /// settings follow the size, and they change with a reload; what needs a restart is sized for the maximum.</summary>
    public async Task ResizeAsync(string endpointUid, double cu, CancellationToken cancellationToken)
    {
        using var _ = await LockAsync(endpointUid, cancellationToken).ConfigureAwait(false);
        if (Sizing(endpointUid) is not { } sizing) return;
        var size = Math.Clamp(cu, sizing.Target.MinCu, sizing.Target.MaxCu);
        if (sizing.CurrentCu == size) return;
        Configuration(sizing.Target).WriteTo(DataDirectory(sizing.Target), size);
        await ReloadAsync(endpointUid, cancellationToken).ConfigureAwait(false);
        _sizing[endpointUid] = sizing with { CurrentCu = size };
    }

    /// <summary>Fast shutdown of the compute; a no-op when it is not running.</summary>
    public async Task StopAsync(string endpointUid, CancellationToken cancellationToken)
    {
        using var _ = await LockAsync(endpointUid, cancellationToken).ConfigureAwait(false);
        await StopLockedAsync(endpointUid, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops the compute and removes a read-only compute's own data (a full copy of its branch's, so it goes
    /// to the trash as a branch's does).</summary>
    public async Task DeleteAsync(string endpointUid, CancellationToken cancellationToken)
    {
        await StopAsync(endpointUid, cancellationToken).ConfigureAwait(false);
        _degraded.TryRemove(endpointUid, out _);
        storage.Discard(Layout.Compute(endpointUid));
        BranchStorage.DeleteDirectory(SocketDirectory(endpointUid));
        BranchStorage.DeleteDirectory(Layout.Pooler(endpointUid));
    }

    /// <summary>A connection as the bootstrap superuser over the compute's private socket; the compute must be running.
    /// Opening one does not count as use: the suspend monitor opens them too.</summary>
    public async Task<NpgsqlConnection> OpenConnectionAsync(string endpointUid, string database, CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(BranchStorage.AdminConnectionString(SocketDirectory(endpointUid), database));
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        return connection;
    }

    /// <summary>Process ids of the postmasters this server runs or adopted.</summary>
    public IReadOnlyCollection<int> Postmasters => _running.Values.Select(process => process.Pid).ToList();

    /// <summary>
    /// Runs <paramref name="work"/> with the compute held as it is, and tells it whether the compute runs. A stopped
    /// compute stays stopped (a client connecting waits), so its data directory can be copied whole; a running one
    /// is marked in use, so it is not suspended, and clients keep reaching it.
    /// </summary>
    public async Task<T> HoldAsync<T>(string endpointUid, Func<bool, Task<T>> work, CancellationToken cancellationToken)
    {
        var gate = await LockAsync(endpointUid, cancellationToken).ConfigureAwait(false);
        try
        {
            using var use = Use(endpointUid);
            var running = IsRunning(endpointUid);
            if (running) gate.Dispose();
            return await work(running).ConfigureAwait(false);
        }
        finally
        {
            gate.Dispose();
        }
    }

    /// <summary>Suspends the compute unless Lakebase Local is using it (checked under its lock, so work that starts
    /// using it meanwhile is never cut off).</summary>
    public async Task SuspendAsync(string endpointUid, CancellationToken cancellationToken)
    {
        using var _ = await LockAsync(endpointUid, cancellationToken).ConfigureAwait(false);
        if (!InUse(endpointUid)) await StopLockedAsync(endpointUid, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Marks the compute in use by Lakebase Local itself (a backup, an admin change) until disposed: the
    /// suspend monitor leaves a compute in use running, however long the work takes. Lakebase Local's own work is
    /// not activity: it neither moves the endpoint's last_active_time nor keeps an idle compute awake afterwards.</summary>
    public IDisposable Use(string endpointUid)
    {
        _inUse.AddOrUpdate(endpointUid, 1, (_, count) => count + 1);
        return new Releaser(() => _inUse.AddOrUpdate(endpointUid, 0, (_, count) => count - 1));
    }

    public bool InUse(string endpointUid) => _inUse.GetValueOrDefault(endpointUid) > 0;

    public async ValueTask DisposeAsync()
    {
        foreach (var endpointUid in _running.Keys.ToList())
        {
            try { await StopAsync(endpointUid, CancellationToken.None).ConfigureAwait(false); }
            catch (Exception ex) when (ex is IOException or InvalidOperationException) { logger.LogWarning(ex, "Could not stop compute {Endpoint}", endpointUid); }
        }
    }

    /// <summary>Makes the compute re-read its configuration; returns how many changed settings wait for a restart.
    /// pg_file_settings reads the files afresh in this backend, so the count does not depend on when the backend
    /// gets the postmaster's reload signal (pg_settings.pending_restart would).</summary>
    private async Task<long> ReloadAsync(string endpointUid, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(endpointUid, "postgres", cancellationToken).ConfigureAwait(false);
        await using var reload = new NpgsqlCommand("SELECT pg_reload_conf(); SELECT count(*) FROM pg_file_settings WHERE error IS NOT NULL", connection);
        return Convert.ToInt64(await reload.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false));
    }

    /// <summary>The pooler goes first, closing its clients, so none is left waiting on a compute that is gone. A
    /// read-write compute commits a fence first, so its branch can be restored to a moment before the stop without
    /// waking it (see BranchHistory.FenceBeforeStopAsync).</summary>
    private async Task StopLockedAsync(string endpointUid, CancellationToken cancellationToken)
    {
        if (_poolers.TryRemove(endpointUid, out var pooler)) await pooler.StopAsync().ConfigureAwait(false);
        _sizing.TryRemove(endpointUid, out var sizing);
        if (!_running.TryRemove(endpointUid, out var process)) return;
        if (sizing?.Target is { ReadOnly: false } target) await FenceAsync(target, cancellationToken).ConfigureAwait(false);
        await process.StopAsync(StopTimeout, cancellationToken).ConfigureAwait(false);
        logger.LogInformation("Stopped compute {Endpoint}", endpointUid);
    }

    /// <summary>A compute that cannot take the fence soon (still recovering, stuck), or whose fence cannot be noted (a
    /// file system that refuses the write), stops without one: a restore to a moment before its stop then wakes it to
    /// seal its history.</summary>
    private async Task FenceAsync(ComputeTarget target, CancellationToken cancellationToken)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(FenceTimeout);
        try
        {
            await using var admin = await OpenConnectionAsync(target.EndpointUid, "postgres", bounded.Token).ConfigureAwait(false);
            await storage.History.FenceBeforeStopAsync(admin, target.BranchUid, bounded.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or IOException or UnauthorizedAccessException or TimeoutException ||
            (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            logger.LogInformation("Compute {Endpoint} stops without a fence: {Reason}", target.EndpointUid, ex.Message);
        }
    }

    /// <summary>A standby must allow at least as many connections as its primary, or PostgreSQL refuses to replay.</summary>
    private ComputeConfiguration Configuration(ComputeTarget target) => new(
        SocketDirectory(target.EndpointUid),
        target.ReadOnly ? null : Layout.BranchArchive(target.BranchUid),
        target.MinCu,
        target.MaxCu,
        target.Primary is { } primary ? StandbySettings(target, primary) : target.PgSettings,
        ConnectionsCu: target.Primary is { } primaryTarget ? Math.Max(target.MaxCu, primaryTarget.MaxCu) : target.MaxCu);

    /// <summary>A standby streams from its primary's private socket, and restores from the branch's WAL archive what
    /// the primary has recycled meanwhile, so it catches up after any time asleep.</summary>
    private Dictionary<string, string> StandbySettings(ComputeTarget target, ComputeTarget primary) => new(target.PgSettings)
    {
        ["primary_conninfo"] = $"host={Libpq.Quote(SocketDirectory(primary.EndpointUid))} port=5432 " +
            $"user={BranchStorage.AdminRole} application_name={target.EndpointUid}",
        ["restore_command"] = BranchHistory.RestoreCommand(Layout.BranchArchive(target.BranchUid)),
    };

    /// <summary>
    /// A read-only compute's data directory: a copy of the running primary made with the backup API (as branches are
    /// made) and marked as a standby. One whose next start would need WAL that neither it, the primary nor the archive
    /// holds any more (history pruned) is made afresh. Returns the primary's WAL end, which the standby must reach
    /// before it serves.
    /// </summary>
    private async Task<NpgsqlLogSequenceNumber> EnsureStandbyAsync(ComputeTarget target, CancellationToken cancellationToken)
    {
        var home = Layout.Compute(target.EndpointUid);
        var existing = Path.Combine(home, StateLayout.DataFolder);
        await using var primaryAdmin = await OpenConnectionAsync(target.Primary!.EndpointUid, "postgres", cancellationToken).ConfigureAwait(false);
        if (Directory.Exists(existing) && !CanReplayFrom(target, existing))
        {
            logger.LogWarning("Read replica {Endpoint} needs WAL that is no longer kept; copying its primary afresh", target.EndpointUid);
            BranchStorage.DeleteDirectory(home);
        }
        if (!Directory.Exists(existing))
        {
            var staging = StateLayout.TemporarySibling(home);
            BranchStorage.DeleteDirectory(staging);
            storage.Account.CreateOwnedDirectory(staging);
            try
            {
                var data = Path.Combine(staging, StateLayout.DataFolder);
                _ = await storage.Copier.CopyRunningAsync(primaryAdmin, Layout.BranchData(target.BranchUid), data, "lakebase replica " + target.EndpointUid, cancellationToken)
                    .ConfigureAwait(false);
                await storage.Account.WriteOwnedFileAsync(Path.Combine(data, "standby.signal"), "", cancellationToken).ConfigureAwait(false);
                Directory.Move(staging, home);
            }
            catch
            {
                BranchStorage.DeleteDirectory(staging);
                throw;
            }
        }
        await using var end = new NpgsqlCommand("SELECT pg_current_wal_flush_lsn()", primaryAdmin);
        return (NpgsqlLogSequenceNumber)(await end.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>Whether the first WAL segment a start of this standby replays is still somewhere it can read it.</summary>
    private bool CanReplayFrom(ComputeTarget target, string standbyData)
    {
        var first = ControlData.Read(standbyData).FirstWalFile;
        return new[] { Path.Combine(standbyData, "pg_wal"), Layout.BranchArchive(target.BranchUid), Path.Combine(Layout.BranchData(target.BranchUid), "pg_wal") }
            .Any(directory => File.Exists(Path.Combine(directory, first)));
    }

    /// <summary>
    /// Holds a woken read replica back until it has replayed everything its primary had when it woke, so it never
    /// serves older data. One that stops making progress short of that is stopped and reported DEGRADED (its copy is
    /// dropped, so the next connection makes a fresh one).
    /// </summary>
    private async Task CatchUpAsync(ComputeTarget target, PostgresProcess process, NpgsqlLogSequenceNumber primaryEnd, CancellationToken cancellationToken)
    {
        var replayed = default(NpgsqlLogSequenceNumber);
        var progressed = DateTime.UtcNow;
        await using (var connection = await OpenConnectionAsync(target.EndpointUid, "postgres", cancellationToken).ConfigureAwait(false))
        await using (var position = new NpgsqlCommand("SELECT coalesce(pg_last_wal_replay_lsn(), '0/0')", connection))
        {
            while (DateTime.UtcNow - progressed < CatchUpStall)
            {
                var now = (NpgsqlLogSequenceNumber)(await position.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
                if (now >= primaryEnd) return;
                if (now > replayed) (replayed, progressed) = (now, DateTime.UtcNow);
                await Task.Delay(20, cancellationToken).ConfigureAwait(false);
            }
        }
        var reason = $"The read replica could not catch up with its primary: it replayed WAL to {replayed}, the primary is at {primaryEnd}, " +
            "and the WAL between is no longer available. It is copied from the primary afresh at the next connection.";
        _degraded[target.EndpointUid] = reason;
        logger.LogWarning("Read replica {Endpoint} is degraded: {Reason}", target.EndpointUid, reason);
        await process.StopAsync(StopTimeout, CancellationToken.None).ConfigureAwait(false);
        BranchStorage.DeleteDirectory(Layout.Compute(target.EndpointUid));
        throw new InvalidOperationException(reason);
    }

    private Task<IDisposable> LockAsync(string endpointUid, CancellationToken cancellationToken) => _locks.LockAsync(endpointUid, cancellationToken);
}
