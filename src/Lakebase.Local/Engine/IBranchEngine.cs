using Npgsql;

namespace Lakebase.Local.Engine;

/// <summary>A branch's storage identity: data lives under its uid, so ids can be reused after a purge.</summary>
public readonly record struct BranchRef(string ProjectId, string BranchId, string BranchUid)
{
    public override string ToString() => $"projects/{ProjectId}/branches/{BranchId}";
}

/// <summary>Where a child branch was taken from its parent.</summary>
public sealed record BranchPoint(string Lsn, DateTimeOffset Time);

/// <summary>The size and settings a compute runs with; CU limits map to real PostgreSQL memory settings.</summary>
public sealed record ComputeSettings(double MinCu, double MaxCu, IReadOnlyDictionary<string, string> PgSettings);

/// <summary>
/// The data plane as the control plane sees it: storage (one PostgreSQL cluster per branch, cloned from a template or
/// from its parent) and compute (the postgres process serving the branch). Every call is idempotent and leaves no
/// partial state behind on failure.
/// </summary>
public interface IBranchEngine
{
    /// <summary>PostgreSQL major versions installed on this machine, newest first.</summary>
    IReadOnlyList<int> InstalledMajors { get; }

    /// <summary>Makes the root branch of a new project from the ready template cluster of that major version:
    /// role <paramref name="ownerRole"/> (LOGIN, member of databricks_superuser) and database databricks_postgres owned by it.</summary>
    Task CreateRootBranchAsync(BranchRef branch, int pgMajor, string ownerRole, CancellationToken cancellationToken);

    /// <summary>Makes <paramref name="target"/> a consistent copy of <paramref name="source"/> as of now, whether
    /// the source's compute is running or not.</summary>
    Task<BranchPoint> CreateChildBranchAsync(BranchRef source, BranchRef target, CancellationToken cancellationToken);

    /// <summary>Stops the branch's compute and removes its data for good (purge).</summary>
    Task DeleteBranchAsync(BranchRef branch, CancellationToken cancellationToken);

    Task<long> GetLogicalSizeAsync(BranchRef branch, CancellationToken cancellationToken);

    /// <summary>Starts the branch's postgres (or applies new settings to the running one); returns once it answers queries.</summary>
    Task StartAsync(BranchRef branch, ComputeSettings settings, CancellationToken cancellationToken);

    /// <summary>Stops the branch's postgres with a fast shutdown; a no-op when it is not running.</summary>
    Task StopAsync(BranchRef branch, CancellationToken cancellationToken);

    bool IsRunning(BranchRef branch);

    /// <summary>An open connection as the cluster's bootstrap superuser over the private Unix socket; starts the
    /// compute first when needed.</summary>
    Task<NpgsqlConnection> OpenAdminConnectionAsync(BranchRef branch, string database, CancellationToken cancellationToken);

    /// <summary>At server start: stops postmasters left running by a crashed server and removes branch data that
    /// no metadata refers to (a create that never finished).</summary>
    Task RecoverAsync(IReadOnlyCollection<BranchRef> knownBranches, CancellationToken cancellationToken);
}
