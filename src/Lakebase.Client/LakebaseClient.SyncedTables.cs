using Lakebase.Contract.Local;
using Lakebase.Contract.Models;
using Lakebase.Contract.Models.Catalogs;

namespace Lakebase.Client;

/// <summary>Reverse ETL: catalogs, synced tables, the pipeline updates that sync them, and Lakebase Local's Delta table registry.</summary>
public sealed partial class LakebaseClient
{
    private const string Pipelines = "/api/2.0/pipelines/";
    private const string LocalDeltaTables = "/api/2.0/lakebase-local/unity-catalog/tables";

    public Task<Operation> CreateCatalogAsync(string catalogId, Catalog catalog, CancellationToken cancellationToken = default) =>
        SendAsync<Operation>(HttpMethod.Post, "catalogs" + Query(("catalog_id", catalogId)), catalog, cancellationToken);
    public Task<Catalog> GetCatalogAsync(string name, CancellationToken cancellationToken = default) => GetAsync<Catalog>(name, cancellationToken);
    public Task<Operation> DeleteCatalogAsync(string name, CancellationToken cancellationToken = default) =>
        SendAsync<Operation>(HttpMethod.Delete, name, null, cancellationToken);

    public Task<Operation> CreateSyncedTableAsync(string syncedTableId, SyncedTable table, CancellationToken cancellationToken = default) =>
        SendAsync<Operation>(HttpMethod.Post, "synced_tables" + Query(("synced_table_id", syncedTableId)), table, cancellationToken);
    public Task<SyncedTable> GetSyncedTableAsync(string name, CancellationToken cancellationToken = default) => GetAsync<SyncedTable>(name, cancellationToken);
    public Task<Operation> DeleteSyncedTableAsync(string name, CancellationToken cancellationToken = default) =>
        SendAsync<Operation>(HttpMethod.Delete, name, null, cancellationToken);

    /// <summary>Starts an update of a synced table's pipeline (the Pipelines API); returns its update id.</summary>
    public async Task<string> StartPipelineUpdateAsync(string pipelineId, bool fullRefresh, CancellationToken cancellationToken = default)
    {
        var started = await _transport.SendAsync<StartUpdateResponse>(HttpMethod.Post, Pipelines + pipelineId + "/updates",
            new { full_refresh = fullRefresh }, "pipelines/" + pipelineId, cancellationToken).ConfigureAwait(false);
        return started.UpdateId ?? throw new InvalidOperationException($"Pipeline {pipelineId} started an update without an id.");
    }

    public async Task<PipelineUpdate> GetPipelineUpdateAsync(string pipelineId, string updateId, CancellationToken cancellationToken = default)
    {
        var response = await _transport.SendAsync<GetUpdateResponse>(HttpMethod.Get, Pipelines + pipelineId + "/updates/" + updateId, null,
            "pipelines/" + pipelineId, cancellationToken).ConfigureAwait(false);
        return response.Update ?? throw new InvalidOperationException($"Update {updateId} of pipeline {pipelineId} has no state.");
    }

    /// <summary>
    /// Polls a synced table until no sync is pending (or until <paramref name="isDone"/> says so) (its state is ONLINE without a running update) and returns it;
    /// reports ongoing_sync_progress as it goes; throws when its pipeline failed.
    /// </summary>
    public async Task<SyncedTable> WaitForSyncAsync(string name, IProgress<SyncedTable>? progress = null, TimeSpan? timeout = null,
        Func<SyncedTable, CancellationToken, Task<bool>>? isDone = null, CancellationToken cancellationToken = default)
    {
        var started = _clock.GetTimestamp();
        for (var attempt = 1; ; attempt++)
        {
            var table = await GetSyncedTableAsync(name, cancellationToken).ConfigureAwait(false);
            var state = table.Status?.DetailedState ?? "";
            if (state is SyncedTableState.OfflineFailed or SyncedTableState.OnlinePipelineFailed)
                throw new LakebaseApiException("SYNC_FAILED", $"The sync of {name} failed: {table.Status?.Message}", 0, name);
            var done = isDone is null
                ? table.Status?.OngoingSyncProgress is null
                    && state is SyncedTableState.Online or SyncedTableState.OnlineNoPendingUpdate or SyncedTableState.OnlineContinuousUpdate
                : await isDone(table, cancellationToken).ConfigureAwait(false);
            if (done) return table;
            progress?.Report(table);
            var elapsed = _clock.GetElapsedTime(started);
            if (timeout is { } limit && elapsed >= limit) throw new TimeoutException($"Timed out after {Deadline.Describe(limit)} waiting for the sync of {name}.");
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(250 * attempt, 2000)), _clock, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Lakebase Local only: registers an existing Delta table directory under a three-part name, without copying it.</summary>
    public Task<LocalDeltaTable> RegisterLocalDeltaTableAsync(string fullName, string path, CancellationToken cancellationToken = default)
    {
        if (!IsLocal) throw new InvalidOperationException("Only Lakebase Local registers Delta table directories; a workspace has Unity Catalog.");
        return _transport.SendAsync<LocalDeltaTable>(HttpMethod.Post, LocalDeltaTables, new LocalDeltaTable { Name = fullName, Path = path }, fullName, cancellationToken);
    }

    public async Task<IReadOnlyList<LocalDeltaTable>> ListLocalDeltaTablesAsync(CancellationToken cancellationToken = default)
    {
        if (!IsLocal) throw new InvalidOperationException("Only Lakebase Local has a Delta table registry; a workspace has Unity Catalog.");
        var list = await _transport.SendAsync<LocalDeltaTableList>(HttpMethod.Get, LocalDeltaTables, null, "unity-catalog", cancellationToken).ConfigureAwait(false);
        return list.Tables;
    }
}
