using Lakebase.Contract;
using Lakebase.Contract.Models;
using Lakebase.Local.Compute;
using Lakebase.Local.ControlPlane;
using Lakebase.Local.Platform;
using Lakebase.Local.State;
using Lakebase.Local.Storage;
using Npgsql;

namespace Lakebase.Local.Hosting;

/// <summary>
/// Runs before the server listens, after a clean stop or a crash alike, and reconciles the metadata with PostgreSQL
/// and the disk: settles interrupted operations (rolling creates back, role and database changes by what PostgreSQL
/// holds), adopts the computes that kept running, stops what the old server left running that nothing refers to, and
/// deals with data no metadata refers to: unfinished staging folders and the data of rolled-back creates are removed,
/// anything else is moved to quarantine, never deleted. Every repair goes to the <see cref="RecoveryReport"/>.
/// </summary>
internal sealed class Recovery(StateStore store, OperationRunner operations, Catalog catalog, ComputeManager computes, BranchStorage storage,
    RoleAndDatabaseReconciler reconciler, RecoveryReport report, Provisioning provisioning, BranchReset resets)
{
    private static readonly TimeSpan LeftoverStopTimeout = TimeSpan.FromSeconds(30);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        // The data directories that are overlays are mounted before anything reads them (a mount ends with a stop or a
        // reboot); one that cannot be (the server no longer runs as root) is reported, and its branch has no data.
        foreach (var branch in store.List<Branch>(ResourceKind.Branch, null).Where(b => Directory.Exists(storage.Layout.Branch(b.Uid!))))
        {
            try { storage.Overlays.MountIfLayered(storage.Layout.Branch(branch.Uid!)); }
            catch (IOException ex) { report.Add($"Could not mount the data of {branch.Name}: {ex.Message}"); }
        }
        var discarded = new HashSet<string>();
        await operations.SettleInterruptedAsync(async (target, verb) =>
        {
            if (target.Kind is ResourceKind.Role or ResourceKind.Database)
                return await reconciler.SettleAsync(target, verb, cancellationToken).ConfigureAwait(false);
            if (verb == OperationVerb.Create)
            {
                report.Add($"Rolled back the interrupted create of {target}.");
                discarded.UnionWith(DataOf(target));
                store.Write(batch => batch.DeleteTree(target.ToString()));
                return Settlement.RolledBack;
            }
            if (target.Kind == ResourceKind.Endpoint && verb == OperationVerb.Update && store.Get<Endpoint>(target.ToString()) is { } endpoint)
            {
                // Its settings may have reached the compute but not the metadata: the compute goes back to the recorded ones.
                var recorded = catalog.TargetOf(endpoint);
                computes.TryAdopt(recorded);
                try
                {
                    await computes.ApplyAsync(recorded, recorded, cancellationToken).ConfigureAwait(false);
                }
                catch (ArgumentException ex)
                {
                    report.Add($"Could not give {target} its recorded settings back: {ex.Message}");
                }
                return Settlement.RolledBack;
            }
            // Deletes recorded their metadata change up front, and so did updates of projects and branches and
            // undeletes, whose work can be redone on demand: they are complete.
            return Settlement.Done(verb == OperationVerb.Delete ? null : Current(target));
        }).ConfigureAwait(false);

        var endpoints = store.List<Endpoint>(ResourceKind.Endpoint, null);
        foreach (var endpoint in endpoints)
        {
            if (computes.TryAdopt(catalog.TargetOf(endpoint))) report.Add($"Adopted the running compute of {endpoint.Name}.");
            if (provisioning.AddMissingPooledHost(endpoint))
            {
                store.Write(batch => batch.Put(ResourceKind.Endpoint, endpoint, endpoint.Name!, endpoint.Parent));
                report.Add($"Gave {endpoint.Name}, recorded before endpoints had pooled hosts, its pooled host.");
            }
        }
        await StopLeftoversAsync(cancellationToken).ConfigureAwait(false);
        foreach (var branch in store.List<Branch>(ResourceKind.Branch, null).Where(b => b.Status!.CurrentState == BranchState.Resetting))
        {
            try
            {
                await resets.FinishInterruptedAsync(branch, cancellationToken).ConfigureAwait(false);
                report.Add($"Finished the interrupted reset of {branch.Name}.");
            }
            catch (Exception ex) when (ex is ApiException or InvalidOperationException or TimeoutException or NpgsqlException or IOException)
            {
                report.Add($"Could not finish the interrupted reset of {branch.Name}, which takes no sessions until a start does: {ex.Message}");
            }
        }

        // Data deleted for good whose background delete the last stop cut short.
        storage.EmptyTrash();
        var knownBranches = store.List<Branch>(ResourceKind.Branch, null).Select(b => b.Uid!).ToHashSet();
        var knownComputes = endpoints.Select(e => e.Uid!).ToHashSet();
        foreach (var (directory, known) in new[] { (storage.Layout.BranchesDirectory, knownBranches), (storage.Layout.ComputesDirectory, knownComputes) })
        {
            foreach (var orphan in Directory.EnumerateDirectories(directory).Where(d => !known.Contains(Path.GetFileName(d))))
            {
                var name = Path.GetFileName(orphan);
                if (name.StartsWith(StateLayout.TemporaryPrefix, StringComparison.Ordinal) || discarded.Contains(name))
                {
                    report.Add($"Removed {orphan}: {(discarded.Contains(name) ? "the data of a rolled-back create" : "an unfinished copy")}.");
                    storage.Discard(orphan);
                }
                else
                {
                    report.Add($"Moved {orphan}, which no metadata refers to, to {storage.Quarantine(orphan)}.");
                }
            }
        }
        // A base snapshot is renamed into place only when complete: one still in its staging folder was cut short.
        foreach (var unfinished in knownBranches.Select(storage.Layout.BranchSnapshots).Where(Directory.Exists)
            .SelectMany(snapshots => Directory.EnumerateDirectories(snapshots, StateLayout.TemporaryPrefix + "*")))
        {
            report.Add($"Removed {unfinished}: an unfinished base snapshot.");
            storage.Discard(unfinished);
        }
        foreach (var branch in store.List<Branch>(ResourceKind.Branch, null).Where(b => b.Status!.CurrentState is BranchState.Ready or BranchState.Deleted))
        {
            if (!Directory.Exists(storage.Layout.BranchData(branch.Uid!)))
                report.Add($"{branch.Name} is {branch.Status!.CurrentState!.ToLowerInvariant()} in the metadata but its data directory {storage.Layout.BranchData(branch.Uid!)} is missing.");
        }
    }

    /// <summary>The uids whose data folders a create of <paramref name="target"/> made (its branches, its endpoints).</summary>
    private IEnumerable<string> DataOf(ResourceName target)
    {
        var name = target.ToString();
        return store.List<Branch>(ResourceKind.Branch, null).Where(b => b.Name == name || b.Name!.StartsWith(name + "/", StringComparison.Ordinal)).Select(b => b.Uid!)
            .Concat(store.List<Endpoint>(ResourceKind.Endpoint, null).Where(e => e.Name!.StartsWith(name + "/", StringComparison.Ordinal)).Select(e => e.Uid!))
            .ToList();
    }

    private object? Current(ResourceName target) => target.Kind switch
    {
        ResourceKind.Project => store.Get<Project>(target.ToString()),
        ResourceKind.Branch => store.Get<Branch>(target.ToString()),
        ResourceKind.Endpoint => store.Get<Endpoint>(target.ToString()),
        _ => null,
    };

    /// <summary>
    /// Processes the old server left working on its state root that no compute accounts for: a cp copying a branch, the
    /// postmaster of a rolled-back create (a branch at a past moment restoring on its first start), an endpoint's PgBouncer (whose
    /// clients went with the old proxy; the next pooled connection starts a new one). Postmasters get an immediate
    /// shutdown, anything else SIGKILL, and each is waited for, so nothing writes into a folder about to be removed.
    /// The postmasters of computes (and their children, such as a standby's restore_command) are left alone.
    /// </summary>
    private async Task StopLeftoversAsync(CancellationToken cancellationToken)
    {
        var root = storage.Layout.Root + "/";
        var adopted = computes.Postmasters;
        var self = Environment.ProcessId;
        var leftovers = ProcessTable.All()
            .Where(pid => pid != self && !adopted.Any(postmaster => ProcessTable.DescendsFrom(pid, postmaster)))
            .Where(pid => ProcessTable.CommandLine(pid).Any(argument => argument.Contains(root, StringComparison.Ordinal)))
            .ToList();
        foreach (var pid in leftovers)
        {
            var arguments = ProcessTable.CommandLine(pid);
            var postmaster = arguments.Count > 0 && Path.GetFileName(arguments[0]) == "postgres";
            report.Add($"Stopped process {pid} left by the previous run: {string.Join(' ', arguments)}");
            Posix.Signal(pid, postmaster ? Posix.SigQuit : Posix.SigKill);
        }
        await Posix.WaitUntilExitedAsync(leftovers, LeftoverStopTimeout, cancellationToken).ConfigureAwait(false);
        foreach (var pid in leftovers.Where(Posix.IsAlive)) report.Add($"Process {pid} left by the previous run did not stop.");
    }
}
