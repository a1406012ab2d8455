using System.Management.Automation;
using Lakebase.PowerShell.CmdletBases;
using Lakebase.PowerShell.Objects;

namespace Lakebase.PowerShell.Cmdlets;

/// <summary>Deletes a synced table's pipeline and Unity Catalog entry; the Postgres table and its rows stay, to drop by hand.</summary>
[Cmdlet(VerbsCommon.Remove, "LakebaseSyncedTable", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(LakebaseOperation), typeof(LakebaseJob))]
public sealed class RemoveLakebaseSyncedTableCommand : OperationCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("SyncedTableId")]
    [ValidatePattern(@"\A[A-Za-z0-9_]+\.[A-Za-z0-9_]+\.[A-Za-z0-9_]+\z")]
    public string Name { get; set; } = "";

    protected override object? Target => Name;

    protected override void ProcessItem()
    {
        var name = "synced_tables/" + Name;
        if (!ShouldProcess(name, "Stop syncing (the Postgres table stays)")) return;
        Complete((client, cancellationToken) => client.DeleteSyncedTableAsync(name, cancellationToken), $"Deleting {name}");
    }
}
