namespace Lakebase.Local.ControlPlane;

/// <summary>
/// The limits Lakebase Local enforces, as settings rather than constants where tests need them shorter; the defaults
/// follow the service. The CU rules are <see cref="Postgres.ComputeSize"/>'s, which sizes computes by them.
/// </summary>
internal sealed record LocalLimits
{
    public TimeSpan MinSuspendTimeout { get; init; } = TimeSpan.FromSeconds(60);
    public TimeSpan MaxSuspendTimeout { get; init; } = TimeSpan.FromSeconds(604800);
    public TimeSpan MinHistoryRetention { get; init; } = TimeSpan.FromDays(2);
    public TimeSpan MaxHistoryRetention { get; init; } = TimeSpan.FromDays(35);
    public TimeSpan DefaultHistoryRetention { get; init; } = TimeSpan.FromDays(7);
    /// <summary>How far ahead a branch may expire (lakebase-semantics.md §1.5).</summary>
    public TimeSpan MaxBranchLifetime { get; init; } = TimeSpan.FromDays(30);
    /// <summary>Branches a project may have that are not archived (none are, here), and of them protected ones
    /// (§1.6). Root branches (3 per project) need no limit here: a branch is always made from another.</summary>
    public int MaxUnarchivedBranches { get; init; } = 10;
    public int MaxProtectedBranches { get; init; } = 1;
    /// <summary>Projects a workspace may have (those not deleted), and roles and databases a branch may have (§1.6).</summary>
    public int MaxProjects { get; init; } = 1000;
    public int MaxRolesPerBranch { get; init; } = 500;
    public int MaxDatabasesPerBranch { get; init; } = 500;
    /// <summary>A running branch gets a new base snapshot once this long has passed since its newest (and it wrote WAL)...</summary>
    public TimeSpan BaseSnapshotInterval { get; init; } = TimeSpan.FromDays(1);
    /// <summary>...or once it wrote more WAL since than half the data it holds, but at least BaseSnapshotMinWalBytes and
    /// at most BaseSnapshotWalBytes, whichever comes first; a restore replays at most about that much.</summary>
    public ulong BaseSnapshotWalBytes { get; init; } = 1UL << 30;
    public ulong BaseSnapshotMinWalBytes { get; init; } = 32UL << 20;
    /// <summary>How long a soft-deleted project or branch can be undeleted before it is purged.</summary>
    public TimeSpan SoftDeleteRetention { get; init; } = TimeSpan.FromDays(7);
    public double DefaultEndpointCu { get; init; } = 1;
    public TimeSpan DefaultSuspendTimeout { get; init; } = TimeSpan.FromSeconds(86400);
    public long BranchLogicalSizeLimitBytes { get; init; } = 8796093022208;
    /// <summary>The PostgreSQL majors new projects can use, as the service offers them; the first is the default.</summary>
    public IReadOnlyList<int> PgVersions { get; init; } = [17, 16];
    /// <summary>How often expired branches, due purges and branch history upkeep are looked for.</summary>
    public TimeSpan HousekeepingInterval { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>How often running branches' WAL files are looked at for a base snapshot that their WAL made due.</summary>
    public TimeSpan SnapshotCheckInterval { get; init; } = TimeSpan.FromSeconds(0.5);
}
