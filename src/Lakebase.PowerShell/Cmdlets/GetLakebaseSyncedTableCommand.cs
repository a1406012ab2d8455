using System.Management.Automation;
using Lakebase.PowerShell.CmdletBases;
using Lakebase.PowerShell.Objects;

namespace Lakebase.PowerShell.Cmdlets;

/// <summary>Gets a synced table with its sync's state and progress (the API has no list of synced tables).</summary>
[Cmdlet(VerbsCommon.Get, "LakebaseSyncedTable")]
[OutputType(typeof(LakebaseSyncedTable))]
public sealed class GetLakebaseSyncedTableCommand : LakebaseCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("SyncedTableId")]
    [ValidatePattern(@"\A[A-Za-z0-9_]+\.[A-Za-z0-9_]+\.[A-Za-z0-9_]+\z")]
    public string Name { get; set; } = "";

    protected override object? Target => Name;

    protected override void ProcessItem() =>
        WriteObject(new LakebaseSyncedTable(Await(cancellationToken => Client.GetSyncedTableAsync("synced_tables/" + Name, cancellationToken))));
}
