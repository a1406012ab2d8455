namespace Lakebase.Local.Storage;

/// <summary>
/// Where everything lives under the state root. Branch data is keyed by the branch uid (not its id) so an id can be
/// reused after a purge; work in progress goes into ".tmp-" folders and is renamed into place when complete, so a
/// crash never leaves a half-made branch where a real one would be.
/// </summary>
internal sealed class StateLayout(string root)
{
    public const string TemporaryPrefix = ".tmp-";

    public string Root { get; } = Path.GetFullPath(root);
    public string StateDatabase => Path.Combine(Root, "state.db");
    public string AdminTokenFile => Path.Combine(Root, "admin-token");
    public string ServerLog => Path.Combine(Root, "server.log");
    public string TlsDirectory => Path.Combine(Root, "tls");
    public string CredentialSigningKey => Path.Combine(TlsDirectory, "credential-signing.key");

    /// <summary>Files only the owner may read: the state (token hashes, service principals' secrets), the admin token,
    /// the credential signing key and the CA's key.</summary>
    public IEnumerable<string> SecretFiles =>
        [StateDatabase, StateDatabase + "-wal", StateDatabase + "-shm", AdminTokenFile, CredentialSigningKey, Path.Combine(TlsDirectory, "ca.key")];
    public string BranchesDirectory => Path.Combine(Root, "branches");
    public string ComputesDirectory => Path.Combine(Root, "computes");
    public string TemplatesDirectory => Path.Combine(Root, "templates");
    public string SocketsDirectory => Path.Combine(Root, "run");
    /// <summary>Data found at start that no metadata refers to: kept here, never deleted, for a person to look at.</summary>
    public string QuarantineDirectory => Path.Combine(Root, "quarantine");
    /// <summary>Data removed for good, renamed here out of reach at once and deleted in the background (or at the next
    /// start, when the server stopped first).</summary>
    public string TrashDirectory => Path.Combine(Root, "trash");

    public string Template(int major) => Path.Combine(TemplatesDirectory, major.ToString(System.Globalization.CultureInfo.InvariantCulture));
    public string Branch(string branchUid) => Path.Combine(BranchesDirectory, branchUid);
    public string BranchData(string branchUid) => Path.Combine(Branch(branchUid), DataFolder);
    public string BranchArchive(string branchUid) => Path.Combine(Branch(branchUid), ArchiveFolder);
    public string BranchSnapshots(string branchUid) => Path.Combine(Branch(branchUid), SnapshotsFolder);

    /// <summary>A read-only compute's own standby data directory.</summary>
    public string Compute(string endpointUid) => Path.Combine(ComputesDirectory, endpointUid);

    /// <summary>The private socket directory of a compute; short, because Unix socket paths are limited to ~100 bytes.</summary>
    public string Socket(string endpointUid) => Path.Combine(SocketsDirectory, endpointUid);

    /// <summary>The folder of an endpoint's PgBouncer: its configuration, pid file, log and private socket.</summary>
    public string Pooler(string endpointUid) => Path.Combine(SocketsDirectory, endpointUid + ".pooler");

    public const string DataFolder = "pgdata";
    public const string ArchiveFolder = "wal_archive";
    /// <summary>A branch's base snapshots: consistent copies of its data that point-in-time restores replay WAL from.</summary>
    public const string SnapshotsFolder = "base_snapshots";

    public static string TemporarySibling(string path) => Path.Combine(Path.GetDirectoryName(path)!, TemporaryPrefix + Path.GetFileName(path));
}
