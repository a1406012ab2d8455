using Lakebase.Contract.Local;

namespace Lakebase.PowerShell.Objects;

/// <summary>A running Lakebase Local server.</summary>
public sealed class LakebaseLocalServer
{
    internal LakebaseLocalServer(LocalServerInfo info)
    {
        Info = info;
        ProcessId = info.Pid;
        ApiUrl = info.ApiUrl;
        StateRoot = info.StateRoot;
        UserName = info.UserName;
        AdminTokenFile = info.AdminTokenFile;
        CaCertificateFile = info.CaCertificateFile;
        ProxyPort = info.ProxyPort;
        Version = info.Version;
        StartTime = info.StartTime;
        PostgresVersions = info.PostgresVersions?.Select(version => new LakebaseLocalPostgres(version)).ToArray() ?? [];
        CopyMode = info.CopyMode;
    }

    public int ProcessId { get; }
    public string? ApiUrl { get; }
    public string? StateRoot { get; }
    public string? UserName { get; }
    public string? AdminTokenFile { get; }
    /// <summary>The certificate of its local certificate authority: what clients that verify TLS (psql
    /// sslmode=verify-full, Npgsql VerifyFull) trust to reach its endpoints.</summary>
    public string? CaCertificateFile { get; }
    /// <summary>The proxy's shared port on 127.0.0.1, where connections name their endpoint (-HostAddress 127.0.0.1:port).</summary>
    public int ProxyPort { get; }
    public string? Version { get; }
    public DateTimeOffset? StartTime { get; }
    /// <summary>The PostgreSQL majors it can run, newest first, and where each comes from.</summary>
    public LakebaseLocalPostgres[] PostgresVersions { get; }
    /// <summary>How a branch copies its parent's files: reflink (copy-on-write clones, where the file system has them),
    /// overlay (as root on Linux: a branch at a past time is an overlay on its base snapshot, other branches are
    /// copies) or copy.</summary>
    public string? CopyMode { get; }
    internal LocalServerInfo Info { get; }
}

/// <summary>A PostgreSQL major Lakebase Local can run.</summary>
public sealed class LakebaseLocalPostgres
{
    internal LakebaseLocalPostgres(LocalPostgresVersion version)
    {
        Major = version.Major;
        NewProjects = version.NewProjects;
        Source = version.Source;
        BinDirectory = version.BinDirectory;
    }

    public int Major { get; }
    /// <summary>Whether new projects can use it (16 and 17, as the service offers); the others run existing projects only.</summary>
    public bool NewProjects { get; }
    /// <summary>The package it was installed from (name@version), or "system" for this OS's own packaging.</summary>
    public string? Source { get; }
    public string? BinDirectory { get; }

    public override string ToString() => Major.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
