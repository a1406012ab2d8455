using System.Collections;
using System.Management.Automation;
using Lakebase.Contract.Models;
using Lakebase.PowerShell.Binding;
using Lakebase.PowerShell.CmdletBases;
using Lakebase.PowerShell.Objects;

namespace Lakebase.PowerShell.Cmdlets;

/// <summary>How a synced table follows its source: a full copy per run, or the Change Data Feed on demand or continuously.</summary>
public enum SyncMode { Snapshot, Triggered, Continuous }

/// <summary>
/// Creates a synced table: the Delta table -Source copied into the Postgres table named by -Name
/// (catalog.schema.table; schema and table name it in Postgres), on the branch from the pipeline. Waits for the
/// initial sync with a progress bar, unless -NoWait (the operation) or -AsJob.
/// </summary>
[Cmdlet(VerbsCommon.New, "LakebaseSyncedTable", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(LakebaseSyncedTable), typeof(LakebaseOperation), typeof(LakebaseJob))]
public sealed class NewLakebaseSyncedTableCommand : SyncedTableCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    [ValidatePattern(@"\A[A-Za-z0-9_]+\.[A-Za-z0-9_]+\.[A-Za-z0-9_]+\z")]
    public string Name { get; set; } = "";

    /// <summary>The Delta table's three-part Unity Catalog name.</summary>
    [Parameter(Mandatory = true)]
    [ValidatePattern(@"\A[^.\s]+\.[^.\s]+\.[^.\s]+\z")]
    public string Source { get; set; } = "";

    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string[] PrimaryKey { get; set; } = [];

    [Parameter]
    public SyncMode SchedulingPolicy { get; set; } = SyncMode.Snapshot;

    /// <summary>The column that decides which of two rows with one key is newer.</summary>
    [Parameter]
    public string? TimeseriesKey { get; set; }

    /// <summary>The branch (projects/p/branches/b), or -BranchId with -ProjectId; binds from a piped branch. Optional inside a Lakebase catalog.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? ProjectId { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? BranchId { get; set; }

    /// <summary>Column name to PostgreSQL type instead of the default mapping: varchar(n), vector(n) or halfvec(n).</summary>
    [Parameter]
    public Hashtable? TypeOverride { get; set; }

    /// <summary>The Postgres database; optional inside a Lakebase catalog.</summary>
    [Parameter]
    public string? PostgresDatabase { get; set; }

    protected override object? Target => Name;

    protected override void ProcessItem()
    {
        var branch = BranchId is null ? null : Binding.Names.Branch(ProjectId, BranchId).ToString();
        var table = new SyncedTable
        {
            Spec = new SyncedTableSpec
            {
                Branch = branch,
                PostgresDatabase = PostgresDatabase,
                SourceTableFullName = Source,
                PrimaryKeyColumns = [.. PrimaryKey],
                TimeseriesKey = TimeseriesKey,
                SchedulingPolicy = SchedulingPolicy.ToString().ToUpperInvariant(),
                CreateDatabaseObjectsIfMissing = true,
                TypeOverrides = TypeOverride is null ? null : TypeOverrides.FromHashtable(TypeOverride),
            },
        };
        var name = "synced_tables/" + Name;
        if (!ShouldProcess($"synced table {Name}", $"Create from {Source}")) return;
        if (NoWait)
        {
            Complete<SyncedTable>((client, cancellationToken) => client.CreateSyncedTableAsync(Name, table, cancellationToken),
                created => new LakebaseSyncedTable(created), $"Creating synced table {Name}");
            return;
        }
        WaitForSync(name, async (client, cancellationToken) =>
        {
            var operation = await client.CreateSyncedTableAsync(Name, table, cancellationToken).ConfigureAwait(false);
            await client.WaitForOperationAsync(operation, null, Timeout, cancellationToken).ConfigureAwait(false);
        }, null, $"Syncing {Source} into {Name}");
    }
}
