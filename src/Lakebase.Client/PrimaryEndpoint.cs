using Lakebase.Contract.Models;

namespace Lakebase.Client;

/// <summary>Sizes a branch's read-write (primary) endpoint, which the service makes with the branch: New-LakebaseBranch
/// takes its compute settings in the same call.</summary>
public static class PrimaryEndpoint
{
    /// <summary>Updates the fields <paramref name="updateMask"/> names on the branch's read-write endpoint, waits, and
    /// returns the branch as it is now.</summary>
    public static async Task<Branch> ConfigurePrimaryEndpointAsync(this LakebaseClient client, Branch branch, EndpointSpec spec,
        IReadOnlyCollection<string> updateMask, TimeSpan? timeout, CancellationToken cancellationToken = default)
    {
        var name = branch.Name ?? throw new ArgumentException("The branch has no name.", nameof(branch));
        Endpoint? primary = null;
        await foreach (var endpoint in client.ListEndpointsAsync(name, cancellationToken).ConfigureAwait(false))
            if (endpoint.Status?.EndpointType == EndpointType.ReadWrite) primary = endpoint;
        if (primary?.Name is not { } endpointName) throw new InvalidOperationException($"Branch {name} has no read-write endpoint to size.");
        var update = await client.UpdateEndpointAsync(endpointName, new Endpoint { Spec = spec }, updateMask, cancellationToken).ConfigureAwait(false);
        await client.WaitForOperationAsync(update, null, timeout, cancellationToken).ConfigureAwait(false);
        return await client.GetBranchAsync(name, cancellationToken).ConfigureAwait(false);
    }
}
