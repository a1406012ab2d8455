using System.Management.Automation;
using Lakebase.Contract;
using Lakebase.PowerShell.CmdletBases;
using Lakebase.PowerShell.Objects;
using Lakebase.PowerShell.Completion;

namespace Lakebase.PowerShell.Cmdlets;

/// <summary>Gets one endpoint, or lists a branch's endpoints; against Lakebase Local with the size each runs at now.</summary>
[Cmdlet(VerbsCommon.Get, "LakebaseEndpoint")]
[OutputType(typeof(LakebaseEndpoint))]
public sealed class GetLakebaseEndpointCommand : BranchChildCmdlet
{
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(EndpointIdCompleter))]
    public string? EndpointId { get; set; }

    protected override object? Target => EndpointId ?? BranchId;

    /// <summary>The size each compute runs at, which only Lakebase Local reports: read once per pipeline, not per
    /// piped branch.</summary>
    private Dictionary<string, double?>? _sizes;

    protected override void ProcessItem()
    {
        var sizes = CurrentSizes();
        GetOrList(ResourceKind.Endpoint, EndpointId,
            (client, name, cancellationToken) => client.GetEndpointAsync(name, cancellationToken),
            (client, branch, cancellationToken) => client.ListEndpointsAsync(branch, cancellationToken),
            endpoint => new LakebaseEndpoint(endpoint, sizes?.GetValueOrDefault(endpoint.Name ?? "")));
    }

    /// <summary>Null against a workspace.</summary>
    private Dictionary<string, double?>? CurrentSizes()
    {
        var client = Client;
        if (!client.IsLocal || _sizes is not null) return _sizes;
        var computes = Await(cancellationToken => client.ListLocalComputesAsync(cancellationToken));
        return _sizes = computes.Where(compute => compute.Endpoint is not null).ToDictionary(compute => compute.Endpoint!, compute => compute.CurrentCu);
    }
}
