using System.Threading.Channels;
using Lakebase.Contract;
using Lakebase.Contract.Models;
using Lakebase.Delta;
using Lakebase.Local.ControlPlane;
using Lakebase.Local.State;

namespace Lakebase.Local.SyncedTables;

/// <summary>How often CONTINUOUS synced tables look for new Delta versions (--sync-interval).</summary>
internal sealed record SyncOptions(TimeSpan ContinuousInterval);

/// <summary>
/// The pipelines of synced tables: runs each requested sync (initial snapshot, pipeline update, CONTINUOUS poll) one
/// at a time, and keeps each table's status (state, progress, last sync) as it goes. At start it resumes syncs a
/// stop cut off: the database holds the last version synced, so nothing is lost or applied twice.
/// </summary>
internal sealed class SyncScheduler(Provisioning provisioning, UnityCatalog unityCatalog, SyncOptions options, ILogger<SyncScheduler> logger)
    : BackgroundService
{
    private readonly Channel<(string Table, string? UpdateId)> _requests = Channel.CreateUnbounded<(string, string?)>();
    private StateStore Store => provisioning.Catalog.Store;

    public SyncedTable? Get(string name) => Store.Get<SyncedTable>(name);

    /// <summary>Whether the table's branch and its project are there and not deleted. A deleted (not yet purged) one
    /// can be undeleted: its synced tables keep their records but do not sync meanwhile. A purge takes them along.</summary>
    public bool OnLiveBranch(SyncedTable table) =>
        Store.Get<Branch>(table.Spec!.Branch!) is { Status.DeleteTime: null }
        && Store.Get<Project>(ResourceName.Parse(table.Spec.Branch!).ProjectName) is { DeleteTime: null };

    public IEnumerable<SyncedTable> All() => Store.List<SyncedTable>(ResourceKind.SyncedTable, null);

    /// <summary>Records a table's status and, in the same write, the state of the update that changed it, so a client
    /// never sees the table synced while its update still runs.</summary>
    public void Save(SyncedTable table, PipelineUpdate? update = null) => Record(table, update, withTable: true);

    private void SaveUpdate(SyncedTable table, PipelineUpdate update) => Record(table, update, withTable: false);

    /// <summary>Writes nothing when the table was deleted meanwhile: its updates went with it.</summary>
    private void Record(SyncedTable table, PipelineUpdate? update, bool withTable)
    {
        lock (provisioning.MetadataGate)
        {
            if (Store.Get<SyncedTable>(table.Name!) is null) return;
            Store.Write(batch =>
            {
                if (withTable) batch.Put(ResourceKind.SyncedTable, table, table.Name!, table.Spec!.Branch);
                if (update is not null) batch.Put(ResourceKind.PipelineUpdate, update, UpdateName(table, update.UpdateId!), table.Name);
            });
        }
    }

    public void Request(string tableName, string? updateId) => _requests.Writer.TryWrite((tableName, updateId));

    /// <summary>Starts a pipeline update (POST /api/2.0/pipelines/{id}/updates).</summary>
    public PipelineUpdate StartUpdate(string pipelineId, bool fullRefresh)
    {
        var table = PipelineTable(pipelineId);
        var update = new PipelineUpdate
        {
            PipelineId = pipelineId,
            UpdateId = Guid.NewGuid().ToString(),
            State = "QUEUED",
            Cause = "API_CALL",
            FullRefresh = fullRefresh,
            CreationTime = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
        };
        SaveUpdate(table, update);
        Request(table.Name!, update.UpdateId);
        return update;
    }

    public PipelineUpdate GetUpdate(string pipelineId, string updateId) =>
        Store.Get<PipelineUpdate>(UpdateName(PipelineTable(pipelineId), updateId)) is { } update && update.PipelineId == pipelineId
            ? update
            : throw new ApiException(ErrorCodes.NotFound, $"Update '{updateId}' of pipeline '{pipelineId}' does not exist.");

    private SyncedTable PipelineTable(string pipelineId) => All().FirstOrDefault(t => t.Status!.PipelineId == pipelineId)
        ?? throw new ApiException(ErrorCodes.NotFound, $"Pipeline '{pipelineId}' does not exist.");

    private List<PipelineUpdate> Updates(SyncedTable table) => Store.List<PipelineUpdate>(ResourceKind.PipelineUpdate, table.Name);

    /// <summary>Updates are recorded under their synced table, so a client polling one across a restart still finds
    /// it, and a delete of the table takes them along.</summary>
    private static string UpdateName(SyncedTable table, string updateId) => $"{table.Name}/updates/{updateId}";

    public PipelineInfo GetPipeline(string pipelineId)
    {
        var table = PipelineTable(pipelineId);
        var updates = Updates(table).OrderByDescending(u => u.CreationTime).ToList();
        return new PipelineInfo
        {
            PipelineId = pipelineId,
            Name = $"Synced table {table.SyncedTableId}",
            State = updates.Any(u => u.State is "QUEUED" or "RUNNING") ? "RUNNING"
                : table.Status!.DetailedState is SyncedTableState.OfflineFailed or SyncedTableState.OnlinePipelineFailed ? "FAILED" : "IDLE",
            LatestUpdates = updates.Select(u => new PipelineUpdateStateInfo
            {
                UpdateId = u.UpdateId,
                State = u.State,
                CreationTime = DateTimeOffset.FromUnixTimeMilliseconds(u.CreationTime ?? 0).ToString("O"),
            }).ToList(),
        };
    }

    /// <summary>After the synced table is deleted: its PostgreSQL table stays, now writable, without the sync's bookkeeping.</summary>
    public async Task ReleaseAsync(SyncedTable table, CancellationToken cancel)
    {
        await using var connection = await provisioning.ConnectAsync(table.Spec!.Branch!, table.Spec.PostgresDatabase!, cancel);
        await TableSync.ReleaseAsync(connection, TargetOf(table), cancel);
    }

    protected override async Task ExecuteAsync(CancellationToken stopping)
    {
        // Resumes what a stop cut off: the syncs under way and the updates still queued or running.
        foreach (var table in All())
        {
            var open = Updates(table).Where(u => u.State is "QUEUED" or "RUNNING").ToList();
            foreach (var update in open) Request(table.Name!, update.UpdateId);
            if (open.Count == 0 && table.Status!.DetailedState is SyncedTableState.ProvisioningInitialSnapshot
                    or SyncedTableState.OnlineTriggeredUpdate or SyncedTableState.ProvisioningPipelineResources)
                Request(table.Name!, null);
        }
        using var poll = new PeriodicTimer(options.ContinuousInterval);
        var polling = Task.Run(async () =>
        {
            while (await poll.WaitForNextTickAsync(stopping))
                foreach (var table in All().Where(t => t.Spec!.SchedulingPolicy == SchedulingPolicy.Continuous
                             && t.Status!.LastProcessedCommitVersion is not null && OnLiveBranch(t)))
                    Request(table.Name!, null);
        }, stopping);
        await foreach (var (name, updateId) in _requests.Reader.ReadAllAsync(stopping))
        {
            try { await SyncAsync(name, updateId, stopping); }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested) { break; }
        }
        try { await polling; }
        catch (OperationCanceledException) { }
    }

    private static SyncTarget TargetOf(SyncedTable table)
    {
        var parts = table.SyncedTableId!.Split('.');
        return new SyncTarget(table.Name!, parts[1], parts[2], table.Spec!.PrimaryKeyColumns!, table.Spec.TimeseriesKey, table.Spec.TypeOverrides ?? []);
    }

    private async Task SyncAsync(string name, string? updateId, CancellationToken stopping)
    {
        var table = Get(name);
        if (table is null) return; // deleted meanwhile, and its updates with it
        var update = updateId is null ? null : Store.Get<PipelineUpdate>(UpdateName(table, updateId));
        if (!OnLiveBranch(table))
        {
            // Nothing to sync into until the branch is undeleted; an update asked for meanwhile fails.
            if (update is not null)
            {
                update.State = "FAILED";
                SaveUpdate(table, update);
            }
            return;
        }
        var spec = table.Spec!;
        var status = table.Status!;
        var started = ControlPlane.Catalog.Now();
        long? synced = null;
        try
        {
            var source = unityCatalog.Resolve("source_table_full_name", spec.SourceTableFullName);
            var latest = source.LatestVersion();
            await using var connection = await provisioning.ConnectAsync(spec.Branch!, spec.PostgresDatabase!, stopping);
            var target = TargetOf(table);
            await TableSync.EnsureStateAsync(connection, target.Schema, stopping);
            synced = await TableSync.SyncedVersionAsync(connection, name, stopping);
            var fullRefresh = synced is null || spec.SchedulingPolicy == SchedulingPolicy.Snapshot || update?.FullRefresh == true;
            if (!fullRefresh && synced >= latest && update is null)
            {
                Settle(table, synced, null, null);
                return;
            }
            if (update is not null) update.State = "RUNNING";
            status.DetailedState = synced is null ? SyncedTableState.ProvisioningInitialSnapshot
                : spec.SchedulingPolicy == SchedulingPolicy.Continuous ? SyncedTableState.OnlineContinuousUpdate
                : SyncedTableState.OnlineTriggeredUpdate;
            status.Message = fullRefresh ? $"Loading a snapshot of version {latest}." : $"Applying versions {synced + 1} to {latest}.";
            status.OngoingSyncProgress = new SyncedTableSyncProgress { LatestVersionCurrentlyProcessing = latest, SyncProgressCompletion = 0, SyncedRowCount = 0 };
            Save(table, update);
            var lastSaved = DateTime.UtcNow;
            void Progress(SyncProgress p)
            {
                var progress = status.OngoingSyncProgress!;
                progress.SyncedRowCount = p.SyncedRows;
                progress.TotalRowCount = p.TotalRows;
                progress.SyncProgressCompletion = p.TotalRows is > 0 ? Math.Min(1.0, (double)p.SyncedRows / p.TotalRows.Value) : null;
                var elapsed = (DateTimeOffset.UtcNow - started).TotalSeconds;
                progress.EstimatedCompletionTimeSeconds = p.TotalRows is > 0 && p.SyncedRows > 0
                    ? elapsed * (p.TotalRows.Value - p.SyncedRows) / p.SyncedRows : null;
                if (DateTime.UtcNow - lastSaved > TimeSpan.FromMilliseconds(500))
                {
                    Save(table);
                    lastSaved = DateTime.UtcNow;
                }
            }
            DateTimeOffset commitTime;
            if (fullRefresh)
            {
                var snapshot = await source.OpenSnapshotAsync(latest, stopping);
                commitTime = snapshot.Timestamp;
                await TableSync.SnapshotAsync(connection, source, snapshot, target, Progress, stopping);
            }
            else if (synced < latest)
            {
                commitTime = (await source.OpenSnapshotAsync(latest, stopping)).Timestamp;
                await TableSync.ApplyChangesAsync(connection, source, synced.Value + 1, latest, commitTime, target, Progress, stopping);
            }
            else commitTime = status.LastSync?.DeltaTableSyncInfo?.DeltaCommitTime ?? started;
            status.LastSync = new SyncedTableLastSync
            {
                DeltaTableSyncInfo = new DeltaTableSyncInfo { DeltaCommitVersion = latest, DeltaCommitTime = commitTime },
                SyncStartTime = started,
                SyncEndTime = ControlPlane.Catalog.Now(),
            };
            status.LastSyncTime = status.LastSync.SyncEndTime;
            Settle(table, latest, null, update);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stopping.IsCancellationRequested)
        {
            logger.LogWarning("Sync of {Table} failed: {Message}", name, ex.Message);
            Settle(table, synced, ex is Npgsql.PostgresException pg ? $"PostgreSQL refused the sync: {pg.MessageText} (SQLSTATE {pg.SqlState})." : ex.Message, update);
        }
    }

    /// <summary>The status at rest: online with the version synced, or failed with the error and the last good data
    /// kept; the update that ran ends with it.</summary>
    private void Settle(SyncedTable table, long? version, string? error, PipelineUpdate? update)
    {
        if (update is not null) update.State = error is null ? "COMPLETED" : "FAILED";
        var status = table.Status!;
        status.OngoingSyncProgress = null;
        status.LastProcessedCommitVersion = version;
        if (error is not null)
        {
            status.DetailedState = version is null ? SyncedTableState.OfflineFailed : SyncedTableState.OnlinePipelineFailed;
            status.Message = error;
        }
        else
        {
            status.DetailedState = table.Spec!.SchedulingPolicy == SchedulingPolicy.Continuous
                ? SyncedTableState.OnlineContinuousUpdate : SyncedTableState.OnlineNoPendingUpdate;
            status.Message = $"Synced Delta version {version}.";
        }
        Save(table, update);
    }
}
