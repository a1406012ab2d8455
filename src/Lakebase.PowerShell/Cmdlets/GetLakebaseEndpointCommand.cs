using System.Management.Automation;
using Lakebase.Contract;
using Lakebase.PowerShell.Infrastructure;
using Lakebase.PowerShell.Objects;

namespace Lakebase.PowerShell.Cmdlets;

/// <summary>Gets one endpoint, or lists a branch's endpoints.</summary>
[Cmdlet(VerbsCommon.Get, "LakebaseEndpoint")]
[OutputType(typeof(LakebaseEndpoint))]
public sealed class GetLakebaseEndpointCommand : BranchChildCmdlet
{
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    public string? EndpointId { get; set; }

    protected override object? Target => EndpointId ?? BranchId;

    protected override void ProcessItem() => GetOrList(ResourceKind.Endpoint, EndpointId,
        (client, name, cancellationToken) => client.GetEndpointAsync(name, cancellationToken),
        (client, branch, cancellationToken) => client.ListEndpointsAsync(branch, cancellationToken),
        endpoint => new LakebaseEndpoint(endpoint));
}
