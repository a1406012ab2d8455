using Lakebase.Contract;
using Lakebase.Contract.Models;
using Lakebase.Local.ControlPlane;

namespace Lakebase.Local.Hosting;

/// <summary>The server's own chores: deleting branches whose expiration passed, purging soft-deleted projects and
/// branches whose undelete window closed, and keeping branch history inside its window.</summary>
internal sealed class Housekeeping(Catalog catalog, ProjectService projects, BranchService branches, PointInTime pointInTime, LocalLimits limits,
    ILogger<Housekeeping> logger)
    : BackgroundService
{
    /// <summary>Prunings in progress, by branch uid: each waits its turn in its project's queue, which a long
    /// operation (a large branch being copied) may hold, so a round does not wait for them.</summary>
    private readonly BackgroundRuns _pruning = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(limits.HousekeepingInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                // A round that throws would stop the server (see BackgroundRound): the next one tries again.
                try { StartDueWork(stoppingToken); }
                catch (Exception ex) { logger.LogWarning(ex, "Housekeeping could not finish a round; the next one tries again"); }
            }
        }
        finally
        {
            await _pruning.WhenAll().ConfigureAwait(false);
        }
    }

    /// <summary>Deletes what expired or is past its purge time, and starts pruning the history of the other branches.</summary>
    private void StartDueWork(CancellationToken stoppingToken)
    {
        var now = DateTimeOffset.UtcNow;
        foreach (var project in catalog.Store.List<Project>(ResourceKind.Project, null))
        {
            if (project.PurgeTime < now) Try(() => projects.Delete(ResourceName.Parse(project.Name!), purge: true), project.Name!);
            if (project.DeleteTime is not null) continue;
            foreach (var branch in catalog.Branches(project.Name!))
            {
                var status = branch.Status!;
                if (status.PurgeTime < now || (status.DeleteTime is null && status.ExpireTime < now && status.CurrentState == BranchState.Ready))
                    Try(() => branches.Delete(ResourceName.Parse(branch.Name!), purge: true), branch.Name!);
                else if (status.CurrentState == BranchState.Ready)
                    _pruning.Start(branch.Uid!, () => PruneHistoryAsync(project, branch, stoppingToken));
            }
        }
    }

    private async Task PruneHistoryAsync(Project project, Branch branch, CancellationToken cancellationToken)
    {
        try
        {
            await pointInTime.PruneAsync(project, branch, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            // A file held open elsewhere, a full disk: the next round tries again.
            logger.LogWarning(ex, "Could not prune the history of {Branch}", branch.Name);
        }
    }

    private void Try(Action delete, string name)
    {
        try
        {
            delete();
            logger.LogInformation("Deleted {Resource}: expired or past its purge time", name);
        }
        catch (ApiException ex)
        {
            logger.LogWarning("Could not delete expired {Resource}: {Reason}", name, ex.Message);
        }
    }
}
