using System.Management.Automation;
using Lakebase.Contract;
using Lakebase.PowerShell.CmdletBases;
using Lakebase.PowerShell.Objects;
using Lakebase.PowerShell.Completion;

namespace Lakebase.PowerShell.Cmdlets;

/// <summary>Drops a database and its data (connected sessions are ended).</summary>
[Cmdlet(VerbsCommon.Remove, "LakebaseDatabase", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(LakebaseOperation), typeof(LakebaseJob))]
public sealed class RemoveLakebaseDatabaseCommand : BranchChildOperationCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(DatabaseIdCompleter))]
    public string DatabaseId { get; set; } = "";

    protected override object? Target => DatabaseId;

    protected override void ProcessItem()
    {
        var name = ChildName(ResourceKind.Database, DatabaseId, nameof(DatabaseId)).ToString();
        if (!ShouldProcess(name, "Drop database and its data")) return;
        Complete((client, cancellationToken) => client.DeleteDatabaseAsync(name, cancellationToken), $"Deleting {name}");
    }
}
