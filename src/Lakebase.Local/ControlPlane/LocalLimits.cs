namespace Lakebase.Local.ControlPlane;

/// <summary>
/// The limits Lakebase Local enforces. The public docs and the API reference disagree on several of them (CU range,
/// autoscaling span), so they are settings rather than constants; the defaults follow the service as we observed it.
/// </summary>
internal sealed record LocalLimits
{
    public double MinCu { get; init; } = 0.5;
    public double MaxCu { get; init; } = 112;
    /// <summary>Largest allowed autoscaling_limit_max_cu − autoscaling_limit_min_cu.</summary>
    public double MaxAutoscalingSpan { get; init; } = 8;
    public TimeSpan MinSuspendTimeout { get; init; } = TimeSpan.FromSeconds(60);
    public TimeSpan MaxSuspendTimeout { get; init; } = TimeSpan.FromSeconds(604800);
    public TimeSpan MinHistoryRetention { get; init; } = TimeSpan.FromDays(2);
    public TimeSpan MaxHistoryRetention { get; init; } = TimeSpan.FromDays(35);
    public TimeSpan DefaultHistoryRetention { get; init; } = TimeSpan.FromDays(7);
    /// <summary>A running branch gets a new base snapshot once this long has passed since its newest (and it wrote WAL)...</summary>
    public TimeSpan BaseSnapshotInterval { get; init; } = TimeSpan.FromDays(1);
    /// <summary>...or once it wrote this much WAL since, whichever comes first; a restore replays at most about this much.</summary>
    public ulong BaseSnapshotWalBytes { get; init; } = 1UL << 30;
    /// <summary>How long a soft-deleted project or branch can be undeleted before it is purged.</summary>
    public TimeSpan SoftDeleteRetention { get; init; } = TimeSpan.FromDays(7);
    public double DefaultEndpointCu { get; init; } = 1;
    public TimeSpan DefaultSuspendTimeout { get; init; } = TimeSpan.FromSeconds(86400);
    public long BranchLogicalSizeLimitBytes { get; init; } = 8796093022208;
    /// <summary>The PostgreSQL majors new projects can use, as the service offers them; the first is the default.</summary>
    public IReadOnlyList<int> PgVersions { get; init; } = [17, 16];
    /// <summary>How often expired branches, due purges and branch history upkeep are looked for.</summary>
    public TimeSpan HousekeepingInterval { get; init; } = TimeSpan.FromSeconds(5);
}
