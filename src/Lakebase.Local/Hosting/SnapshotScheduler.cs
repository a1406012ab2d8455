using Lakebase.Contract;
using Lakebase.Contract.Models;
using Lakebase.Local.ControlPlane;

namespace Lakebase.Local.Hosting;

/// <summary>Gives a running branch its new base snapshot as soon as it has written enough WAL for one, so a branch at a
/// moment after heavy writes replays about half a data size of WAL, not all that was written until the next
/// housekeeping round. The look is at the branch's WAL files only; the snapshot itself runs beside the project's queue.</summary>
internal sealed class SnapshotScheduler(Catalog catalog, PointInTime pointInTime, LocalLimits limits, ILogger<SnapshotScheduler> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(limits.SnapshotCheckInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            foreach (var project in catalog.Store.List<Project>(ResourceKind.Project, null).Where(project => project.DeleteTime is null))
            {
                foreach (var branch in catalog.Branches(project.Name!).Where(branch => branch.Status!.CurrentState == BranchState.Ready))
                {
                    try
                    {
                        if (pointInTime.WalSnapshotDue(branch)) await pointInTime.SnapshotIfDueAsync(branch, stoppingToken).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        // A branch deleted or a compute suspending under the look or the snapshot: the next round looks again.
                        logger.LogDebug(ex, "Could not take a base snapshot of {Branch}", branch.Name);
                    }
                }
            }
        }
    }
}
