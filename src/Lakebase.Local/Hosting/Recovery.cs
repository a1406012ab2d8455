using Lakebase.Contract;
using Lakebase.Contract.Models;
using Lakebase.Local.Compute;
using Lakebase.Local.ControlPlane;
using Lakebase.Local.State;
using Lakebase.Local.Storage;

namespace Lakebase.Local.Hosting;

/// <summary>
/// Runs before the server listens, after a clean stop or a crash alike: settles interrupted operations (rolling back
/// what they reserved), removes data no metadata refers to (stopping any postmaster still serving it), and adopts
/// the computes that kept running while the server was down.
/// </summary>
internal sealed class Recovery(StateStore store, OperationRunner operations, Catalog catalog, ComputeManager computes, BranchStorage storage,
    ILogger<Recovery> logger)
{
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        operations.SettleInterrupted((target, verb) =>
        {
            if (verb != OperationVerb.Create) return;
            logger.LogWarning("Rolling back the interrupted create of {Resource}", target);
            store.Write(batch => batch.DeleteTree(target.ToString()));
        });

        var branches = store.List<Branch>(ResourceKind.Branch, null);
        var endpoints = store.List<Endpoint>(ResourceKind.Endpoint, null);
        var knownBranches = branches.Select(b => b.Uid!).ToHashSet();
        var knownComputes = endpoints.Select(e => e.Uid!).ToHashSet();
        foreach (var (directory, known) in new[] { (storage.Layout.BranchesDirectory, knownBranches), (storage.Layout.ComputesDirectory, knownComputes) })
        {
            foreach (var orphan in Directory.EnumerateDirectories(directory).Where(d => !known.Contains(Path.GetFileName(d))))
            {
                logger.LogInformation("Removing unfinished or orphaned data {Directory}", orphan);
                await computes.StopOrphanAsync(Path.Combine(orphan, StateLayout.DataFolder), cancellationToken).ConfigureAwait(false);
                BranchStorage.DeleteDirectory(orphan);
            }
        }

        foreach (var endpoint in endpoints)
        {
            if (computes.TryAdopt(catalog.TargetOf(endpoint)))
                logger.LogInformation("Adopted running compute {Endpoint}", endpoint.Name);
        }
    }
}
