using System.Collections.Concurrent;
using Lakebase.Local.Platform;
using Lakebase.Local.Postgres;
using Lakebase.Local.Storage;
using Npgsql;

namespace Lakebase.Local.Compute;

/// <summary>How often load is sampled, and how long a lower load must last before a compute shrinks.</summary>
internal sealed record AutoscalingOptions
{
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(2);
    public TimeSpan ScaleDownDelay { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>
/// Picks each running compute's size within its [min, max] limits from its load (<see cref="ComputeLoad.Goal"/>):
/// up at once when the load asks for more, down only after the load has asked for less for the whole scale-down
/// delay, and then to the highest size asked for during that time, so bursts do not make it flap. Like Neon's
/// autoscaler-agent, it never wakes a suspended compute; a compute starts at its minimum.
/// </summary>
internal sealed class Autoscaler(AutoscalingOptions options, ComputeManager computes, ILogger<Autoscaler> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<string, ComputeLoad> _loads = new();
    private readonly Dictionary<string, (int Pid, DateTimeOffset Time, TimeSpan Cpu)> _cpuSamples = new();
    private readonly Dictionary<string, (DateTimeOffset Since, double Highest)> _lowerGoals = new();

    /// <summary>The load last sampled on a running compute.</summary>
    public ComputeLoad? Load(string endpointUid) => _loads.GetValueOrDefault(endpointUid);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Interval);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            var running = computes.RunningEndpoints;
            foreach (var gone in _loads.Keys.Except(running).ToList()) Forget(gone);
            foreach (var uid in running)
            {
                await BackgroundRound.RunAsync(() => ScaleAsync(uid, stoppingToken), ex =>
                {
                    // Typically the compute was suspended or restarted between the listing and the sample; anything
                    // else (a settings file the file system refuses) is worth the operator's eye.
                    if (ex is NpgsqlException or IOException or InvalidOperationException)
                        logger.LogDebug("Could not sample or resize {Endpoint}: {Reason}", uid, ex.Message);
                    else
                        logger.LogWarning(ex, "Could not sample or resize {Endpoint}; the next round tries again", uid);
                    Forget(uid);
                }, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    private async Task ScaleAsync(string uid, CancellationToken cancellationToken)
    {
        if (computes.Sizing(uid) is not { } sizing) return;
        var load = await SampleAsync(uid, cancellationToken).ConfigureAwait(false);
        if (load is null) return;
        _loads[uid] = load;
        var goal = load.Goal(sizing.Target.MinCu, sizing.Target.MaxCu);
        var next = Decide(uid, sizing.CurrentCu, goal);
        if (next == sizing.CurrentCu) return;
        await computes.ResizeAsync(uid, next, cancellationToken).ConfigureAwait(false);
        logger.LogInformation("Scaled {Endpoint} from {From} to {To} CU ({Queries} queries running, {Cores:0.00} cores busy)",
            uid, sizing.CurrentCu?.ToString() ?? "an unknown size", next, load.ActiveQueries, load.BusyCores);
    }

    /// <summary>Up at once; down once every goal during the scale-down delay was lower, to the highest of them.</summary>
    private double Decide(string uid, double? current, double goal)
    {
        if (current is not { } size || goal >= size)
        {
            _lowerGoals.Remove(uid);
            return goal;
        }
        var now = DateTimeOffset.UtcNow;
        var lower = _lowerGoals.TryGetValue(uid, out var seen) ? (seen.Since, Highest: Math.Max(seen.Highest, goal)) : (Since: now, Highest: goal);
        if (now - lower.Since < options.ScaleDownDelay)
        {
            _lowerGoals[uid] = lower;
            return size;
        }
        _lowerGoals.Remove(uid);
        return lower.Highest;
    }

    /// <summary>Queries running now, and CPU use since the previous sample (null on the first sample of a postmaster,
    /// which only records where its CPU counters start).</summary>
    private async Task<ComputeLoad?> SampleAsync(string uid, CancellationToken cancellationToken)
    {
        int activeQueries;
        await using (var connection = await computes.OpenConnectionAsync(uid, "postgres", cancellationToken).ConfigureAwait(false))
        {
            await using var command = new NpgsqlCommand(
                "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND state = 'active' AND usename <> $1", connection)
            {
                Parameters = { new() { Value = BranchStorage.AdminRole } },
            };
            activeQueries = Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false));
        }
        var now = DateTimeOffset.UtcNow;
        var busyCores = 0.0;
        if (computes.ProcessId(uid) is { } pid && ProcessTreeCpu.Total(pid) is { } cpu)
        {
            var hadPrevious = _cpuSamples.TryGetValue(uid, out var previous) && previous.Pid == pid;
            _cpuSamples[uid] = (pid, now, cpu);
            if (!hadPrevious) return null;
            busyCores = Math.Max(0, (cpu - previous.Cpu) / (now - previous.Time));
        }
        return new ComputeLoad(activeQueries, busyCores);
    }

    private void Forget(string uid)
    {
        _loads.TryRemove(uid, out _);
        _cpuSamples.Remove(uid);
        _lowerGoals.Remove(uid);
    }
}
