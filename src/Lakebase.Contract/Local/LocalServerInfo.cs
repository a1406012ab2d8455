namespace Lakebase.Contract.Local;

/// <summary>
/// What a running Lakebase Local writes to {state root}/server.json (owner-only) once it listens, and removes on a
/// clean stop. The module reads it to attach to, or stop, the server.
/// </summary>
public sealed class LocalServerInfo
{
    public const string FileName = "server.json";

    public int Pid { get; set; }
    /// <summary>Base URL of the REST API, e.g. http://127.0.0.1:40123 (the workspace "host").</summary>
    public string? ApiUrl { get; set; }
    /// <summary>File holding the admin personal access token (mode 0600).</summary>
    public string? AdminTokenFile { get; set; }
    /// <summary>The local user identity the admin token belongs to (also its Postgres role name).</summary>
    public string? UserName { get; set; }
    public string? StateRoot { get; set; }
    /// <summary>The proxy's shared port on 127.0.0.1 (clients name the endpoint with options=endpoint=&lt;uid&gt;);
    /// each endpoint also listens on its own loopback address, port 5432.</summary>
    public int ProxyPort { get; set; }
    /// <summary>PEM file of the local CA that signs the data plane's TLS certificates.</summary>
    public string? CaCertificateFile { get; set; }
    public string? Version { get; set; }
    public DateTimeOffset? StartTime { get; set; }
    /// <summary>Each PostgreSQL major it can run, newest first, and where it comes from.</summary>
    public List<LocalPostgresVersion>? PostgresVersions { get; set; }
    /// <summary>How branches copy their parent's files on the state root's file system: "reflink" (copy-on-write
    /// clones: XFS, btrfs, APFS), "overlay" (Linux as root: a branch at a past time is an overlay on its base
    /// snapshot, other branches are copies) or "copy".</summary>
    public string? CopyMode { get; set; }
}

/// <summary>A PostgreSQL major Lakebase Local can run.</summary>
public sealed class LocalPostgresVersion
{
    public int Major { get; set; }
    /// <summary>Whether new projects can use it (the majors the service offers); the others run existing projects only.</summary>
    public bool NewProjects { get; set; }
    /// <summary>The package it was installed from (name@version), or "system" for this OS's own packaging.</summary>
    public string? Source { get; set; }
    public string? BinDirectory { get; set; }
}
