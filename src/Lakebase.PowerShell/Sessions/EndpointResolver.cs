using Lakebase.Client;
using Lakebase.Contract;
using Lakebase.Contract.Models;
using Lakebase.PowerShell.Binding;

namespace Lakebase.PowerShell.Sessions;

/// <summary>The endpoint SQL goes to: the one named, or the branch's read-write endpoint (its read-only one with
/// -ReadOnly).</summary>
internal static class EndpointResolver
{
    public static async Task<Endpoint> ResolveAsync(LakebaseClient client, string? projectId, string? branchId, string? endpointId, bool readOnly,
        CancellationToken cancellationToken)
    {
        if (endpointId is not null)
        {
            var name = Names.Child(ResourceKind.Endpoint, projectId, branchId, endpointId, "EndpointId").ToString();
            return await client.GetEndpointAsync(name, cancellationToken).ConfigureAwait(false);
        }
        var branch = Names.Branch(projectId, branchId ?? throw new ArgumentException("Give -BranchId (or pipe in a branch or an endpoint).", "BranchId")).ToString();
        var wanted = readOnly ? EndpointType.ReadOnly : EndpointType.ReadWrite;
        await foreach (var endpoint in client.ListEndpointsAsync(branch, cancellationToken).ConfigureAwait(false))
            if (endpoint.Status?.EndpointType == wanted) return endpoint;
        throw new ArgumentException(readOnly ? $"Branch {branch} has no read-only endpoint; create one with New-LakebaseEndpoint." : $"Branch {branch} has no read-write endpoint.");
    }
}
