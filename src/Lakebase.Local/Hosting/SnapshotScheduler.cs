using Lakebase.Contract;
using Lakebase.Contract.Models;
using Lakebase.Local.ControlPlane;

namespace Lakebase.Local.Hosting;

/// <summary>Takes every base snapshot of a running branch after its first: as soon as it has written enough WAL for one,
/// so a branch at a moment after heavy writes replays about half a data size of WAL, and once a day if it wrote any.
/// The look is at the branch's WAL files only; the snapshot itself runs beside the project's queue, housekeeping and
/// other branches' snapshots, so a slow or stuck one (a large branch, a compute that does not answer) holds up no other
/// branch's and none of the server's chores.</summary>
internal sealed class SnapshotScheduler(Catalog catalog, PointInTime pointInTime, LocalLimits limits, ILogger<SnapshotScheduler> logger)
    : BackgroundService
{
    /// <summary>Snapshots in progress, by branch uid: one per branch at a time, and about as many at once as there are
    /// cores (each is a copy that takes one), but at least two, so one stuck snapshot never stops the others.</summary>
    private readonly BackgroundRuns _inProgress = new();
    private static readonly int MostAtOnce = Math.Max(2, Environment.ProcessorCount);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(limits.SnapshotCheckInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                foreach (var branch in DueBranches())
                {
                    if (_inProgress.Count >= MostAtOnce) break;
                    _inProgress.Start(branch.Uid!, () => SnapshotAsync(branch, stoppingToken));
                }
            }
        }
        finally
        {
            // A staging folder a killed server leaves is removed at its next start.
            await _inProgress.WhenAll().ConfigureAwait(false);
        }
    }

    /// <summary>The ready branches, with none of their snapshots in progress, that are due a new one.</summary>
    private IEnumerable<Branch> DueBranches() =>
        catalog.Store.List<Project>(ResourceKind.Project, null).Where(project => project.DeleteTime is null)
            .SelectMany(project => catalog.Branches(project.Name!))
            .Where(branch => branch.Status!.CurrentState == BranchState.Ready && !_inProgress.IsRunning(branch.Uid!))
            .Where(branch =>
            {
                try { return pointInTime.SnapshotDue(branch); }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // A branch deleted or reset under the look: the next round looks again.
                    logger.LogDebug(ex, "Could not look at the WAL of {Branch}", branch.Name);
                    return false;
                }
            });

    private async Task SnapshotAsync(Branch branch, CancellationToken stoppingToken)
    {
        try
        {
            await pointInTime.SnapshotIfDueAsync(branch, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            // A branch deleted or a compute suspending under the snapshot: the next round looks again.
            logger.LogDebug(ex, "Could not take a base snapshot of {Branch}", branch.Name);
        }
    }
}
