using System.Management.Automation;
using Lakebase.Contract;
using Lakebase.PowerShell.CmdletBases;
using Lakebase.PowerShell.Objects;
using Lakebase.PowerShell.Completion;

namespace Lakebase.PowerShell.Cmdlets;

/// <summary>Deletes a read-only endpoint (a branch's read-write endpoint goes with its branch).</summary>
[Cmdlet(VerbsCommon.Remove, "LakebaseEndpoint", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(LakebaseOperation), typeof(LakebaseJob))]
public sealed class RemoveLakebaseEndpointCommand : BranchChildOperationCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(EndpointIdCompleter))]
    public string EndpointId { get; set; } = "";

    protected override object? Target => EndpointId;

    protected override void ProcessItem()
    {
        var name = ChildName(ResourceKind.Endpoint, EndpointId, nameof(EndpointId)).ToString();
        if (!ShouldProcess(name, "Delete")) return;
        Complete((client, cancellationToken) => client.DeleteEndpointAsync(name, cancellationToken), $"Deleting {name}");
    }
}
