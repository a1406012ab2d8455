using Lakebase.Contract;
using Lakebase.Contract.Models;
using Lakebase.Local.Storage;
using Microsoft.Extensions.Caching.Memory;
using Npgsql;
using NpgsqlTypes;

namespace Lakebase.Local.ControlPlane;

/// <summary>
/// Branches from the past: checks a source_branch_time or source_branch_lsn against the source's history, seals that
/// history before restoring from it, and keeps every branch's history inside its project's window (new base
/// snapshots while it runs, pruning what falls out of the window).
/// </summary>
internal sealed class PointInTime(Provisioning provisioning, LocalLimits limits, ILogger<PointInTime> logger) : IDisposable
{
    /// <summary>How old a branch's measured size may be when its snapshot threshold is worked out: the look runs twice a
    /// second, and a size is a walk over every relation file.</summary>
    private static readonly TimeSpan SizeMaxAge = TimeSpan.FromSeconds(5);

    private readonly MemoryCache _sizes = new(new MemoryCacheOptions());
    private Catalog Catalog => provisioning.Catalog;
    private BranchHistory History => provisioning.Storage.History;

    /// <summary>The restore target a create asks for, or null for a branch from the source's head; a target outside
    /// the source's history is refused with the range that is allowed.</summary>
    public RecoveryTarget? TargetOf(BranchSpec spec, Branch source, Project project)
    {
        if (spec.SourceBranchLsn is null && spec.SourceBranchTime is null) return null;
        if (spec.SourceBranchLsn is not null && spec.SourceBranchTime is not null)
            throw ApiException.InvalidParameter("spec.source_branch_lsn and spec.source_branch_time exclude each other; set one of them.");
        var snapshots = History.Snapshots(source.Uid!);
        if (snapshots.Count == 0) throw ApiException.BadRequest($"Branch {source.Name} has no history to branch from yet.");
        var now = DateTimeOffset.UtcNow;
        var windowStart = now - (project.Status!.HistoryRetentionDuration ?? limits.DefaultHistoryRetention);
        var earliest = snapshots[0].Time > windowStart ? snapshots[0].Time : windowStart;

        if (spec.SourceBranchTime is { } time)
        {
            if (time > now || time < earliest)
            {
                throw ApiException.InvalidParameter(
                    $"spec.source_branch_time {time:O} is {(time > now ? "in the future" : "before the history of " + source.Name + " begins")}: " +
                    $"it can be branched from any time between {earliest:O} and now ({now:O}).");
            }
            return new RecoveryTarget(time, null);
        }
        if (!NpgsqlLogSequenceNumber.TryParse(spec.SourceBranchLsn!, out var lsn))
            throw ApiException.InvalidParameter($"spec.source_branch_lsn must be a Postgres LSN such as 16/B374D848, got '{spec.SourceBranchLsn}'.");
        var oldest = snapshots.FirstOrDefault(snapshot => snapshot.Time >= earliest) ?? snapshots[^1];
        if (lsn < oldest.Lsn)
            throw ApiException.InvalidParameter($"spec.source_branch_lsn {lsn} is before the history of {source.Name} begins: it can be branched from {oldest.Lsn} up to its current LSN.");
        return new RecoveryTarget(null, lsn);
    }

    /// <summary>Makes <paramref name="targetUid"/> a copy of <paramref name="source"/> as it was at <paramref name="target"/>,
    /// restored (Restored: true) by the new branch's compute, which <paramref name="startCompute"/> starts and connects
    /// to, or else a copy of a source asleep since before the target, as it is (its compute left to the caller).</summary>
    public async Task<(BranchPoint Point, bool Restored)> BranchAsync(Branch source, string targetUid, RecoveryTarget target,
        Func<CancellationToken, Task<NpgsqlConnection>> startCompute, CancellationToken cancellationToken)
    {
        // A source asleep is left asleep, as the service leaves it, and held stopped while it is read.
        Task<(BranchPoint, bool)?> FromAsleep() => FromAsleepAsync(source, targetUid, target, startCompute, cancellationToken);
        var asleep = Catalog.ReadWriteEndpoint(source.Name!) is { } sourceEndpoint
            ? await provisioning.Computes.HoldAsync(sourceEndpoint.Uid!, running => running ? Task.FromResult<(BranchPoint, bool)?>(null) : FromAsleep(), cancellationToken)
                .ConfigureAwait(false)
            : await FromAsleep().ConfigureAwait(false);
        if (asleep is { } done) return done;
        string lastSegment;
        await using (var admin = await provisioning.ConnectAsync(source.Name!, "postgres", cancellationToken).ConfigureAwait(false))
        {
            (var end, lastSegment) = await History.SealAsync(admin, source.Uid!, cancellationToken).ConfigureAwait(false);
            if (target.Lsn > end)
                throw ApiException.InvalidParameter($"spec.source_branch_lsn {target.Lsn} is past the end of the WAL of {source.Name} ({end}).");
        }
        return (await provisioning.Storage.RestoreAsync(source.Uid!, targetUid, target, lastSegment, startCompute, cancellationToken).ConfigureAwait(false), true);
    }

    /// <summary>A branch of a source whose compute is stopped, without waking it; null when the source must wake first.
    /// Stopped cleanly before the target's time, the source is as it was then (nothing was committed after), so it
    /// is copied; stopped after the target, with the fence it committed before it stopped (or its shutdown checkpoint,
    /// for a position) past the target, its WAL is restored up to there.</summary>
    private async Task<(BranchPoint, bool)?> FromAsleepAsync(Branch source, string targetUid, RecoveryTarget target,
        Func<CancellationToken, Task<NpgsqlConnection>> startCompute, CancellationToken cancellationToken)
    {
        var storage = provisioning.Storage;
        // No base snapshot of a stopped source is in progress (one keeps its compute running), and pruning and removal
        // wait in the project's queue: its history needs no hold of its own.
        if (target.Time is { } moment && storage.StoppedBefore(source.Uid!, moment))
            return (await storage.CloneStoppedAsync(source.Uid!, targetUid, cancellationToken).ConfigureAwait(false) with { Time = moment }, false);
        return History.SealedBeforeStop(source.Uid!, target) is { } sealedSegment
            ? (await storage.RestoreAsync(source.Uid!, targetUid, target, sealedSegment, startCompute, cancellationToken).ConfigureAwait(false), true)
            : null;
    }

    /// <summary>
    /// Keeps a branch's history inside its window: prunes snapshots and WAL older than the project's
    /// history_retention_duration, in the project's queue, so it never removes a snapshot a restore is copying. (New
    /// snapshots are the SnapshotScheduler's, so a slow one holds up no pruning.)
    /// </summary>
    public Task PruneAsync(Project project, Branch branch, CancellationToken cancellationToken) =>
        provisioning.QueueAsync<object?>(ResourceName.Parse(project.Name!).ProjectId, () =>
        {
            History.Prune(branch.Uid!, DateTimeOffset.UtcNow - (project.Status!.HistoryRetentionDuration ?? limits.DefaultHistoryRetention));
            return Task.FromResult<object?>(null);
        }, cancellationToken);

    /// <summary>
    /// Takes a new base snapshot of a running branch once enough time or WAL has passed since its newest (see
    /// SnapshotDue), so a restore replays a bounded amount of WAL. Outside the project's queue: branches made and
    /// restored meanwhile do not wait for it (the branch's history gate keeps it apart from pruning and the branch's
    /// removal).
    /// </summary>
    public async Task SnapshotIfDueAsync(Branch branch, CancellationToken cancellationToken)
    {
        if (RunningWithHistory(branch) is not (var endpoint, var newest)) return;
        using var use = provisioning.Computes.Use(endpoint.Uid!);
        await using var admin = await provisioning.Computes.OpenConnectionAsync(endpoint.Uid!, "postgres", cancellationToken).ConfigureAwait(false);
        await using var position = new NpgsqlCommand("SELECT pg_current_wal_lsn()", admin);
        var positionsSince = (ulong)(NpgsqlLogSequenceNumber)(await position.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))! - (ulong)newest.Lsn;
        var walSince = positionsSince - Math.Min(positionsSince, History.SkippedSince(branch.Uid!, newest));
        var threshold = SnapshotWalBytes(branch);
        if (walSince == 0 || (DateTimeOffset.UtcNow - newest.Time < limits.BaseSnapshotInterval && walSince < threshold)) return;
        if (await History.SnapshotRunningAsync(admin, branch.Uid!, newest, cancellationToken).ConfigureAwait(false) is { } snapshot)
            logger.LogInformation("Took base snapshot {Snapshot} of {Branch}: {WalMB} MB of WAL since {Newest} (a snapshot at {ThresholdMB} MB)",
                Path.GetFileName(snapshot.Directory), branch.Name, walSince >> 20, Path.GetFileName(newest.Directory), threshold >> 20);
    }

    /// <summary>Whether a running branch is due a new base snapshot: it has written more WAL since its newest than it
    /// gets a new one at, or BaseSnapshotInterval has passed and it has completed a segment of WAL since. A look at its
    /// WAL's files, without a connection or the project's queue, cheap enough to ask twice a second, so a branch that
    /// writes fast gets its snapshot soon after the WAL.</summary>
    public bool SnapshotDue(Branch branch)
    {
        if (RunningWithHistory(branch) is not (_, var newest)) return false;
        if (DateTimeOffset.UtcNow - newest.Time >= limits.BaseSnapshotInterval) return History.HasWrittenWalSince(branch.Uid!, newest, 1);
        // The size of the branch is read only once the least WAL that could make one due is written.
        return History.HasWrittenWalSince(branch.Uid!, newest, limits.BaseSnapshotMinWalBytes) &&
            History.HasWrittenWalSince(branch.Uid!, newest, SnapshotWalBytes(branch));
    }

    /// <summary>The read-write endpoint of a branch whose compute runs, and the branch's newest base snapshot; null
    /// when it has no running compute (nothing to snapshot) or no history yet.</summary>
    private (Endpoint Endpoint, BaseSnapshot Newest)? RunningWithHistory(Branch branch) =>
        Catalog.ReadWriteEndpoint(branch.Name!) is { } endpoint && provisioning.Computes.IsRunning(endpoint.Uid!) &&
        History.Snapshots(branch.Uid!) is [.., var newest]
            ? (endpoint, newest)
            : null;

    /// <summary>The WAL since its newest base snapshot at which a branch gets a new one: half the data the branch
    /// holds, so a restore replays (about as fast as it copies) for about half the time its copy takes at most (a branch
    /// still on the snapshot it shares with its source replays the source's WAL since then too, as much again at most);
    /// at least a couple of segments, which replay in less time than a restore takes to start; at most
    /// BaseSnapshotWalBytes.</summary>
    private ulong SnapshotWalBytes(Branch branch) =>
        Math.Clamp((ulong)DataSize(branch.Uid!) / 2, limits.BaseSnapshotMinWalBytes, limits.BaseSnapshotWalBytes);

    /// <summary>The branch's size, measured at most SizeMaxAge ago.</summary>
    private long DataSize(string branchUid) => _sizes.GetOrCreate(branchUid, entry =>
    {
        entry.AbsoluteExpirationRelativeToNow = SizeMaxAge;
        return provisioning.Storage.LogicalSize(branchUid);
    });

    public void Dispose() => _sizes.Dispose();
}
