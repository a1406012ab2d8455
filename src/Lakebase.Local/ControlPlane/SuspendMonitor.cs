using Lakebase.Contract;
using Lakebase.Contract.Models;
using Lakebase.Local.Compute;
using Lakebase.Local.Platform;
using Lakebase.Local.Proxy;
using Lakebase.Local.Storage;
using Npgsql;

namespace Lakebase.Local.ControlPlane;

/// <summary>
/// Scale to zero: a compute with a suspend timeout is stopped once it has had no activity for that long. A query
/// running, or a session idle inside a transaction, counts as activity; plain idle sessions do not, and the fast
/// shutdown closes them, and so does work of Lakebase Local's own in progress (a backup, a clone). The next
/// connection through the proxy wakes the compute.
/// </summary>
internal sealed class SuspendMonitor(Catalog catalog, ComputeManager computes, ProxySessions sessions, ILogger<SuspendMonitor> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            var endpoints = catalog.Store.List<Endpoint>(ResourceKind.Endpoint, null).ToDictionary(e => e.Uid!);
            foreach (var uid in computes.RunningEndpoints)
            {
                if (!endpoints.TryGetValue(uid, out var endpoint) || endpoint.Status!.NoSuspension == true || computes.InUse(uid)) continue;
                if (endpoint.Status.SuspendTimeoutDuration is not { } timeout) continue;
                await BackgroundRound.RunAsync(async () =>
                {
                    if (sessions.LoggingIn(uid) > 0 || (sessions.Open(uid) > 0 && await HasActivityAsync(uid, stoppingToken).ConfigureAwait(false)))
                        computes.MarkActive(uid);
                    if (DateTimeOffset.UtcNow - (computes.LastActive(uid) ?? DateTimeOffset.MinValue) < timeout) return;
                    logger.LogInformation("Suspending {Endpoint} after {Timeout} without activity", endpoint.Name, timeout);
                    await computes.SuspendAsync(uid, stoppingToken).ConfigureAwait(false);
                }, ex => logger.LogWarning("Could not check or suspend {Endpoint}: {Reason}", endpoint.Name, ex.Message), stoppingToken).ConfigureAwait(false);
            }
        }
    }

    private async Task<bool> HasActivityAsync(string endpointUid, CancellationToken cancellationToken)
    {
        await using var connection = await computes.OpenConnectionAsync(endpointUid, "postgres", cancellationToken).ConfigureAwait(false);
        // Lakebase Local's own connections (this one, the autoscaler's) are not use.
        await using var command = new NpgsqlCommand(
            "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND usename <> $1 AND state IS DISTINCT FROM 'idle'", connection)
        {
            Parameters = { new() { Value = BranchStorage.AdminRole } },
        };
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false)) > 0;
    }
}
