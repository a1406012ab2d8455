using System.Management.Automation;
using Lakebase.PowerShell.CmdletBases;
using Lakebase.PowerShell.Objects;

namespace Lakebase.PowerShell.Cmdlets;

/// <summary>Runs a synced table's pipeline once (a TRIGGERED table applies the new Delta versions, a SNAPSHOT one
/// copies the table again) and waits for it with a progress bar.</summary>
[Cmdlet(VerbsData.Sync, "LakebaseSyncedTable", SupportsShouldProcess = true)]
[OutputType(typeof(LakebaseSyncedTable), typeof(LakebaseJob))]
public sealed class SyncLakebaseSyncedTableCommand : SyncedTableCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("SyncedTableId")]
    [ValidatePattern(@"\A[A-Za-z0-9_]+\.[A-Za-z0-9_]+\.[A-Za-z0-9_]+\z")]
    public string Name { get; set; } = "";

    /// <summary>Copy the whole table again instead of applying the changes.</summary>
    [Parameter]
    public SwitchParameter FullRefresh { get; set; }

    protected override object? Target => Name;

    protected override void ProcessItem()
    {
        if (NoWait) throw new ArgumentException("Sync-LakebaseSyncedTable has no operation to return; use -AsJob to not wait.");
        var name = "synced_tables/" + Name;
        if (!ShouldProcess(name, FullRefresh ? "Copy the source again" : "Apply the source's new versions")) return;
        string? pipelineId = null, updateId = null;
        WaitForSync(name, async (client, cancellationToken) =>
        {
            var table = await client.GetSyncedTableAsync(name, cancellationToken).ConfigureAwait(false);
            pipelineId = table.Status?.PipelineId ?? throw new InvalidOperationException($"{name} has no pipeline.");
            updateId = await client.StartPipelineUpdateAsync(pipelineId, FullRefresh, cancellationToken).ConfigureAwait(false);
        }, UpdateFinishedAsync, $"Syncing {Name}");

        async Task<bool> UpdateFinishedAsync(Contract.Models.SyncedTable table, CancellationToken cancellationToken)
        {
            var update = await Client.GetPipelineUpdateAsync(pipelineId!, updateId!, cancellationToken).ConfigureAwait(false);
            if (update.State is "FAILED" or "CANCELED") throw new InvalidOperationException($"The update of {Name} ended {update.State}: {table.Status?.Message}");
            return update.State == "COMPLETED";
        }
    }
}
