namespace Lakebase.Contract.Models;

/// <summary>A Delta table kept in sync into a PostgreSQL table (synced_tables/{catalog}.{schema}.{table}).</summary>
public sealed class SyncedTable
{
    public string? Name { get; set; }
    public string? SyncedTableId { get; set; }
    public string? Uid { get; set; }
    public DateTimeOffset? CreateTime { get; set; }
    public SyncedTableSpec? Spec { get; set; }
    public SyncedTableStatus? Status { get; set; }
}

public sealed class SyncedTableSpec
{
    public string? Branch { get; set; }
    public string? PostgresDatabase { get; set; }
    public string? SourceTableFullName { get; set; }
    public List<string>? PrimaryKeyColumns { get; set; }
    public string? TimeseriesKey { get; set; }
    /// <summary><see cref="SchedulingPolicy"/>.</summary>
    public string? SchedulingPolicy { get; set; }
    public bool? CreateDatabaseObjectsIfMissing { get; set; }
    public string? ExistingPipelineId { get; set; }
    public NewPipelineSpec? NewPipelineSpec { get; set; }
    public bool? AcceleratedSync { get; set; }
    public List<SyncedTableExtraColumn>? ExtraColumns { get; set; }
    public List<SyncedTableIndexDefinition>? ExtraIndexDefinitions { get; set; }
    public List<SyncedTableTypeOverride>? TypeOverrides { get; set; }
}

public sealed class NewPipelineSpec
{
    public string? BudgetPolicyId { get; set; }
    public string? StorageCatalog { get; set; }
    public string? StorageSchema { get; set; }
    public string? PipelineChannel { get; set; }
}

public sealed class SyncedTableExtraColumn
{
    public string? ColumnName { get; set; }
    public string? ColumnType { get; set; }
    public string? Compute { get; set; }
    public string? Maintenance { get; set; }
}

public sealed class SyncedTableIndexDefinition
{
    public string? Name { get; set; }
    public string? Definition { get; set; }
    public string? CreationPoint { get; set; }
}

public sealed class SyncedTableTypeOverride
{
    public string? ColumnName { get; set; }
    public string? PgType { get; set; }
    public long? Size { get; set; }
}

public sealed class SyncedTableStatus
{
    /// <summary><see cref="SyncedTableState"/>.</summary>
    public string? DetailedState { get; set; }
    public string? Message { get; set; }
    public string? PipelineId { get; set; }
    public string? Project { get; set; }
    public string? ProvisioningPhase { get; set; }
    public string? UnityCatalogProvisioningState { get; set; }
    public long? LastProcessedCommitVersion { get; set; }
    public DateTimeOffset? LastSyncTime { get; set; }
    public SyncedTableLastSync? LastSync { get; set; }
    public SyncedTableSyncProgress? OngoingSyncProgress { get; set; }
}

public sealed class SyncedTableLastSync
{
    public DeltaTableSyncInfo? DeltaTableSyncInfo { get; set; }
    public DateTimeOffset? SyncStartTime { get; set; }
    public DateTimeOffset? SyncEndTime { get; set; }
}

public sealed class DeltaTableSyncInfo
{
    public DateTimeOffset? DeltaCommitTime { get; set; }
    public long? DeltaCommitVersion { get; set; }
}

public sealed class SyncedTableSyncProgress
{
    public double? EstimatedCompletionTimeSeconds { get; set; }
    public long? LatestVersionCurrentlyProcessing { get; set; }
    public double? SyncProgressCompletion { get; set; }
    public long? SyncedRowCount { get; set; }
    public long? TotalRowCount { get; set; }
}

public static class SchedulingPolicy
{
    public const string Snapshot = "SNAPSHOT";
    public const string Triggered = "TRIGGERED";
    public const string Continuous = "CONTINUOUS";
}

public static class SyncedTableState
{
    public const string Provisioning = "SYNCED_TABLE_PROVISIONING";
    public const string ProvisioningPipelineResources = "SYNCED_TABLE_PROVISIONING_PIPELINE_RESOURCES";
    public const string ProvisioningInitialSnapshot = "SYNCED_TABLE_PROVISIONING_INITIAL_SNAPSHOT";
    public const string Online = "SYNCED_TABLE_ONLINE";
    public const string OnlineContinuousUpdate = "SYNCED_TABLE_ONLINE_CONTINUOUS_UPDATE";
    public const string OnlineTriggeredUpdate = "SYNCED_TABLE_ONLINE_TRIGGERED_UPDATE";
    public const string OnlineNoPendingUpdate = "SYNCED_TABLE_ONLINE_NO_PENDING_UPDATE";
    public const string OnlinePipelineFailed = "SYNCED_TABLE_ONLINE_PIPELINE_FAILED";
    public const string Offline = "SYNCED_TABLE_OFFLINE";
    public const string OfflineFailed = "SYNCED_TABLE_OFFLINE_FAILED";
}

/// <summary>A Pipelines API update (POST /api/2.0/pipelines/{id}/updates, GET …/updates/{update_id}).</summary>
public sealed class PipelineUpdate
{
    public string? PipelineId { get; set; }
    public string? UpdateId { get; set; }
    /// <summary>QUEUED, RUNNING, COMPLETED, FAILED, CANCELED.</summary>
    public string? State { get; set; }
    public string? Cause { get; set; }
    public bool? FullRefresh { get; set; }
    public long? CreationTime { get; set; }
}

public sealed class StartUpdateResponse
{
    public string? UpdateId { get; set; }
}

public sealed class GetUpdateResponse
{
    public PipelineUpdate? Update { get; set; }
}

/// <summary>GET /api/2.0/pipelines/{id}: the subset a client reads.</summary>
public sealed class PipelineInfo
{
    public string? PipelineId { get; set; }
    public string? Name { get; set; }
    /// <summary>IDLE, RUNNING, FAILED.</summary>
    public string? State { get; set; }
    public List<PipelineUpdateStateInfo>? LatestUpdates { get; set; }
}

public sealed class PipelineUpdateStateInfo
{
    public string? UpdateId { get; set; }
    public string? State { get; set; }
    public string? CreationTime { get; set; }
}
