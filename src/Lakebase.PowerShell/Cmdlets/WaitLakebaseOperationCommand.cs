using System.Management.Automation;
using Lakebase.Contract.Models;
using Lakebase.PowerShell.CmdletBases;
using Lakebase.PowerShell.Objects;
using Lakebase.PowerShell.Binding;

namespace Lakebase.PowerShell.Cmdlets;

/// <summary>Waits for an operation (from -NoWait) to finish and outputs it; fails with the operation's error.</summary>
[Cmdlet(VerbsLifecycle.Wait, "LakebaseOperation")]
[OutputType(typeof(LakebaseOperation))]
public sealed class WaitLakebaseOperationCommand : LakebaseCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    public string OperationName { get; set; } = "";

    [Parameter]
    [DurationTransformation]
    public TimeSpan? Timeout { get; set; }

    protected override object? Target => OperationName;

    protected override void ProcessItem()
    {
        var client = Client;
        var operation = new Operation { Name = OperationName };
        WriteObject(new LakebaseOperation(Await(cancellationToken => client.WaitForOperationAsync(operation, null, Timeout, cancellationToken))));
    }
}
