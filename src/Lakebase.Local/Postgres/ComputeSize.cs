using System.Globalization;

namespace Lakebase.Local.Postgres;

/// <summary>
/// How compute units map to real PostgreSQL settings. Lakebase gives a CU 2 GiB of memory; a developer machine
/// cannot, so memory is scaled: the largest compute the service sells (112 CU) gets half of this machine's memory,
/// and a CU never gets more than 2 GiB. shared_buffers (which needs a restart to change) is sized for the endpoint's
/// maximum, like Neon's file cache; the per-query settings follow the current size and change with a reload.
/// </summary>
internal static class ComputeSize
{
    // The service's CU rules, here alone since the service changes them. Its sources disagree (lakebase-semantics.md
    // §1.1); these follow the newest documented behaviour: the SDK's EndpointSpec docstring (2026-04-24) and the newer
    // Azure manage-computes page: autoscaling from 0.5 up to 64 CU spanning at most 16, fixed sizes (min = max) up to
    // 112, whole numbers above 64.
    public const double SmallestCu = 0.5;
    public const double LargestAutoscalingCu = 64;
    public const double MaxAutoscalingSpan = 16;
    public const double LargestCu = 112;

    /// <summary>The service's max_connections: about 210 per CU of the endpoint's maximum, capped at 4,000
    /// (lakebase-semantics.md §1.2: 0.5 CU 104, 1 CU 209, 8 CU 1,678, 16 CU 3,357).</summary>
    private const double ServiceConnectionsPerCu = 209.8;
    private const int ServiceMaxConnections = 4000;

    /// <summary>This machine runs many computes where the service runs one per host, and every connection slot takes
    /// shared memory whether used or not: each compute gets half the service's connections, so the ratio between sizes
    /// stays the service's.</summary>
    private const double ConnectionScale = 0.5;
    private const long GiB = 1L << 30;
    private const long MiB = 1L << 20;

    public static long MemoryPerCu { get; } =
        Math.Min(2 * GiB, (long)(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 2 / LargestCu));

    public static long MemoryBytes(double cu) => (long)(cu * MemoryPerCu);

    /// <summary>The PostgreSQL settings for an endpoint currently at <paramref name="currentCu"/> that may grow to
    /// <paramref name="maxCu"/>; connections are sized for <paramref name="connectionsCu"/>.</summary>
    public static IReadOnlyDictionary<string, string> Settings(double currentCu, double maxCu, double connectionsCu)
    {
        var current = MemoryBytes(currentCu);
        return new Dictionary<string, string>
        {
            ["shared_buffers"] = Megabytes(Math.Max(16 * MiB, MemoryBytes(maxCu) / 4)),
            ["effective_cache_size"] = Megabytes(Math.Max(32 * MiB, current * 3 / 4)),
            ["work_mem"] = Kilobytes(Math.Max(1 * MiB, current / 32)),
            ["maintenance_work_mem"] = Kilobytes(Math.Max(4 * MiB, current / 16)),
            ["max_connections"] = MaxConnections(connectionsCu).ToString(CultureInfo.InvariantCulture),
        };
    }

    /// <summary>max_connections of a compute whose range reaches <paramref name="maxCu"/>.</summary>
    public static int MaxConnections(double maxCu) =>
        (int)Math.Round(Math.Min(ServiceMaxConnections, Math.Floor(maxCu * ServiceConnectionsPerCu)) * ConnectionScale);

    /// <summary>The smallest step between sizes, as the limits themselves use.</summary>
    public const double Step = 0.5;

    private static string Megabytes(long bytes) => $"{bytes / MiB}MB";
    private static string Kilobytes(long bytes) => $"{bytes / 1024}kB";
}
