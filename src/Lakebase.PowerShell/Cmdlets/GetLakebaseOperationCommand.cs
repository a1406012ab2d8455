using System.Management.Automation;
using Lakebase.PowerShell.CmdletBases;
using Lakebase.PowerShell.Objects;

namespace Lakebase.PowerShell.Cmdlets;

/// <summary>Gets the current state of a long-running operation.</summary>
[Cmdlet(VerbsCommon.Get, "LakebaseOperation")]
[OutputType(typeof(LakebaseOperation))]
public sealed class GetLakebaseOperationCommand : LakebaseCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    public string OperationName { get; set; } = "";

    protected override object? Target => OperationName;

    protected override void ProcessItem()
    {
        var client = Client;
        WriteObject(new LakebaseOperation(Await(cancellationToken => client.GetOperationAsync(OperationName, cancellationToken))));
    }
}
