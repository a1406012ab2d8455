using Lakebase.Contract;
using Lakebase.Contract.Models;
using Lakebase.Delta;
using Lakebase.Local.ControlPlane;
using Lakebase.Local.State;

namespace Lakebase.Local.SyncedTables;

/// <summary>
/// Synced tables: a Unity Catalog Delta table copied into a PostgreSQL table of a branch and kept in sync by its
/// pipeline (<see cref="SyncScheduler"/>). Everything a request can get wrong is refused with a 400 before anything is made.
/// </summary>
internal sealed class SyncedTableService(Provisioning provisioning, OperationRunner operations, UnityCatalog unityCatalog,
    CatalogService catalogs, SyncScheduler scheduler)
{
    private StateStore Store => provisioning.Catalog.Store;

    public async Task<Operation> CreateAsync(string? syncedTableId, SyncedTable body, CancellationToken cancel)
    {
        if (string.IsNullOrEmpty(syncedTableId)) throw ApiException.Required("synced_table_id");
        var parts = UnityCatalog.SplitName("synced_table_id", syncedTableId);
        var spec = body.Spec ?? new SyncedTableSpec();
        // Inside a Lakebase catalog the branch and database default to the catalog's and must match it when given.
        if (catalogs.Find(parts[0]) is { } catalog)
        {
            if (spec.Branch is { Length: > 0 } b && b != catalog.Status!.Branch)
                throw ApiException.InvalidParameter($"synced_table.spec.branch must be the catalog's branch {catalog.Status.Branch}, got '{b}'.");
            if (spec.PostgresDatabase is { Length: > 0 } d && d != catalog.Status!.PostgresDatabase)
                throw ApiException.InvalidParameter($"synced_table.spec.postgres_database must be the catalog's database {catalog.Status.PostgresDatabase}, got '{d}'.");
            spec.Branch = catalog.Status!.Branch;
            spec.PostgresDatabase = catalog.Status.PostgresDatabase;
        }
        if (string.IsNullOrEmpty(spec.Branch)) throw ApiException.Required("synced_table.spec.branch");
        if (string.IsNullOrEmpty(spec.PostgresDatabase)) throw ApiException.Required("synced_table.spec.postgres_database");
        if (!UnityCatalog.NamePart().IsMatch(spec.PostgresDatabase))
            throw ApiException.InvalidParameter($"synced_table.spec.postgres_database must contain only letters, digits and '_', got '{spec.PostgresDatabase}'.");
        var branch = CatalogService.ParseBranch("synced_table.spec.branch", spec.Branch);
        if (spec.PrimaryKeyColumns is not { Count: > 0 }) throw ApiException.Required("synced_table.spec.primary_key_columns");
        spec.SchedulingPolicy ??= "SYNCED_TABLE_SCHEDULING_POLICY_UNSPECIFIED";
        if (spec.SchedulingPolicy is not (SchedulingPolicy.Snapshot or SchedulingPolicy.Triggered or SchedulingPolicy.Continuous))
            throw ApiException.InvalidParameter($"synced_table.spec.scheduling_policy must be SNAPSHOT, TRIGGERED or CONTINUOUS, got '{spec.SchedulingPolicy}'.");
        if (!string.IsNullOrEmpty(spec.ExistingPipelineId) && spec.NewPipelineSpec is not null)
            throw ApiException.InvalidParameter("Give at most one of synced_table.spec.existing_pipeline_id and synced_table.spec.new_pipeline_spec.");
        // Both carry SQL (a column's compute expression, an index definition) that the sync would run as Lakebase
        // Local's admin role; refused rather than ignored, so a script that needs them learns it here.
        if (spec.ExtraColumns is { Count: > 0 } || spec.ExtraIndexDefinitions is { Count: > 0 })
            throw ApiException.InvalidParameter("synced_table.spec.extra_columns and extra_index_definitions are not supported by Lakebase Local; " +
                "add the columns or indexes to the PostgreSQL table after the first sync (CREATE INDEX is allowed on synced tables).");
        var source = unityCatalog.Resolve("synced_table.spec.source_table_full_name", spec.SourceTableFullName);
        await CheckSourceAsync(source, spec, cancel);
        spec.CreateDatabaseObjectsIfMissing ??= true;

        var name = ResourceName.SyncedTable(syncedTableId);
        lock (provisioning.MetadataGate)
        {
            provisioning.Catalog.RequireBranch(branch);
            if (Store.Get<SyncedTable>(name.ToString()) is not null)
                throw ApiException.BadRequest($"Synced table '{syncedTableId}' already exists.");
            var table = new SyncedTable
            {
                Name = name.ToString(),
                SyncedTableId = syncedTableId,
                Uid = Guid.NewGuid().ToString(),
                CreateTime = ControlPlane.Catalog.Now(),
                Spec = spec,
                Status = new SyncedTableStatus
                {
                    DetailedState = SyncedTableState.ProvisioningPipelineResources,
                    Message = "Provisioning the pipeline.",
                    PipelineId = string.IsNullOrEmpty(spec.ExistingPipelineId) ? Guid.NewGuid().ToString() : spec.ExistingPipelineId,
                    Project = branch.ProjectName,
                    ProvisioningPhase = "PROVISIONING_PHASE_MAIN",
                    UnityCatalogProvisioningState = "ACTIVE",
                },
            };
            return operations.Start(name, OperationVerb.Create, batch => batch.Put(ResourceKind.SyncedTable, table, table.Name!, branch.ToString()),
                async work =>
                {
                    await CatalogService.EnsureDatabaseAsync(provisioning, branch.ToString(), spec.PostgresDatabase, spec.CreateDatabaseObjectsIfMissing == true, work);
                    table.Status.DetailedState = SyncedTableState.ProvisioningInitialSnapshot;
                    table.Status.Message = "Waiting for the initial snapshot.";
                    scheduler.Save(table);
                    scheduler.Request(table.Name!, null);
                    return table;
                },
                () =>
                {
                    Store.Write(batch => batch.DeleteTree(name.ToString()));
                    return Task.CompletedTask;
                });
        }
    }

    /// <summary>The source must be readable, have the key columns, only supported types, and the CDF when syncing incrementally.</summary>
    private static async Task CheckSourceAsync(DeltaTable source, SyncedTableSpec spec, CancellationToken cancel)
    {
        DeltaSnapshot snapshot;
        try { snapshot = await source.OpenSnapshotAsync(null, cancel); }
        catch (DeltaException ex) { throw ApiException.BadRequest($"Source table '{spec.SourceTableFullName}' cannot be read: {ex.Message}"); }
        var fields = snapshot.Metadata.Schema.Fields;
        foreach (var key in spec.PrimaryKeyColumns!.Append(spec.TimeseriesKey).OfType<string>())
            if (fields.All(f => f.Name != key))
                throw ApiException.InvalidParameter($"Column '{key}' is not a column of '{spec.SourceTableFullName}' ({string.Join(", ", fields.Select(f => f.Name))}).");
        foreach (var typeOverride in spec.TypeOverrides ?? [])
            if (fields.All(f => f.Name != typeOverride.ColumnName))
                throw ApiException.InvalidParameter($"type_overrides names column '{typeOverride.ColumnName}', which is not a column of '{spec.SourceTableFullName}'.");
        foreach (var field in fields) PostgresColumn.For(field, spec.TypeOverrides);
        if (spec.SchedulingPolicy != SchedulingPolicy.Snapshot && !snapshot.Metadata.ChangeDataFeedEnabled)
            throw ApiException.InvalidParameter($"{spec.SchedulingPolicy} sync needs the Change Data Feed on '{spec.SourceTableFullName}': " +
                "ALTER TABLE … SET TBLPROPERTIES (delta.enableChangeDataFeed = true), or use SNAPSHOT.");
    }

    public SyncedTable Get(ResourceName name) => Present(scheduler.Get(name.ToString())
        ?? throw new ApiException(ErrorCodes.NotFound, $"synced_table not found; synced_table_id:\"{name.Id}\""));

    /// <summary>A synced table on a deleted branch (or project) is offline, and says why, until that is undeleted;
    /// its recorded status is kept to come back with it.</summary>
    private SyncedTable Present(SyncedTable table)
    {
        if (scheduler.OnLiveBranch(table)) return table;
        table.Status!.DetailedState = SyncedTableState.Offline;
        table.Status.Message = $"Branch {table.Spec!.Branch} is deleted; the table syncs again once the branch is undeleted.";
        table.Status.OngoingSyncProgress = null;
        return table;
    }

    /// <summary>Removes the pipeline and the Unity Catalog entry; the PostgreSQL table stays (lakebase-semantics §3.6),
    /// made writable again, except on a deleted branch, which cannot be reached: there it stays read-only (DROP TABLE
    /// still works).</summary>
    public Operation Delete(ResourceName name)
    {
        lock (provisioning.MetadataGate)
        {
            var table = Get(name);
            var reachable = scheduler.OnLiveBranch(table);
            return operations.Start(name, OperationVerb.Delete, batch => batch.DeleteTree(name.ToString()), async cancel =>
            {
                if (reachable) await scheduler.ReleaseAsync(table, cancel);
                return null;
            });
        }
    }
}
