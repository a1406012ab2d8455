using Lakebase.Contract.Models;

namespace Lakebase.PowerShell.Objects;

/// <summary>A Delta table kept in sync into a Postgres table, with its sync's state and progress.</summary>
public sealed class LakebaseSyncedTable
{
    private const string StatePrefix = "SYNCED_TABLE_";

    internal LakebaseSyncedTable(SyncedTable table)
    {
        Raw = table;
        var status = table.Status ?? new SyncedTableStatus();
        Name = table.Name ?? "";
        SyncedTableId = table.SyncedTableId ?? Name["synced_tables/".Length..];
        Source = table.Spec?.SourceTableFullName;
        SchedulingPolicy = table.Spec?.SchedulingPolicy;
        State = status.DetailedState is { } state && state.StartsWith(StatePrefix, StringComparison.Ordinal) ? state[StatePrefix.Length..] : status.DetailedState;
        Message = status.Message;
        PipelineId = status.PipelineId;
        LastSyncedVersion = status.LastSync?.DeltaTableSyncInfo?.DeltaCommitVersion ?? status.LastProcessedCommitVersion;
        LastSyncTime = status.LastSyncTime ?? status.LastSync?.SyncEndTime;
        Progress = status.OngoingSyncProgress?.SyncProgressCompletion;
    }

    public string Name { get; }
    /// <summary>catalog.schema.table; the schema and table name the Postgres table.</summary>
    public string SyncedTableId { get; }
    public string? Source { get; }
    public string? SchedulingPolicy { get; }
    /// <summary>detailed_state without its SYNCED_TABLE_ prefix (ONLINE_NO_PENDING_UPDATE, PROVISIONING_INITIAL_SNAPSHOT, ...).</summary>
    public string? State { get; }
    public string? Message { get; }
    public string? PipelineId { get; }
    /// <summary>The Delta version the Postgres table holds.</summary>
    public long? LastSyncedVersion { get; }
    public DateTimeOffset? LastSyncTime { get; }
    /// <summary>The running sync's completion, 0 to 1; null when none runs.</summary>
    public double? Progress { get; }
    public SyncedTable Raw { get; }

    public override string ToString() => Name;
}
