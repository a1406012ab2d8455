using System.Management.Automation;
using Lakebase.Contract;
using Lakebase.PowerShell.Infrastructure;
using Lakebase.PowerShell.Objects;

namespace Lakebase.PowerShell.Cmdlets;

/// <summary>Gets one endpoint, or lists a branch's endpoints.</summary>
[Cmdlet(VerbsCommon.Get, "LakebaseEndpoint")]
[OutputType(typeof(LakebaseEndpoint))]
public sealed class GetLakebaseEndpointCommand : LakebaseCmdlet
{
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? ProjectId { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? BranchId { get; set; }

    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    public string? EndpointId { get; set; }

    protected override object? Target => EndpointId ?? BranchId;

    protected override void ProcessItem()
    {
        var client = Client;
        if (EndpointId is not null)
        {
            var name = Names.Child(ResourceKind.Endpoint, ProjectId, BranchId, EndpointId, nameof(EndpointId)).ToString();
            WriteObject(new LakebaseEndpoint(Await(cancellationToken => client.GetEndpointAsync(name, cancellationToken))));
            return;
        }
        var branch = Names.Branch(ProjectId, BranchId ?? throw new ArgumentException("-BranchId is required (or pipe in a branch).", nameof(BranchId))).ToString();
        WriteEach(cancellationToken => client.ListEndpointsAsync(branch, cancellationToken), endpoint => new LakebaseEndpoint(endpoint));
    }
}
