using Lakebase.Local.Compute;
using Lakebase.Local.ControlPlane;
using Lakebase.Local.Storage;

namespace Lakebase.Local.Hosting;

/// <summary>Stops in the reverse order of dependency: running operations end first, then the computes they work
/// on, then the overlays the computes ran on. (The container would dispose them in reverse order of creation, which
/// put the computes first.) Registered before the other hosted services, so it is stopped after them: the proxy and
/// the monitors are gone by then.</summary>
internal sealed class OrderlyShutdown(OperationRunner operations, ComputeManager computes, BranchStorage storage) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await operations.DisposeAsync().ConfigureAwait(false);
        await computes.DisposeAsync().ConfigureAwait(false);
        storage.Overlays.UnmountAll();
    }
}
