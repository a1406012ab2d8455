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
        ProxyPort = info.ProxyPort;
        Version = info.Version;
        StartTime = info.StartTime;
        PostgresVersions = info.PostgresMajors?.ToArray() ?? [];
    }

    public int ProcessId { get; }
    public string? ApiUrl { get; }
    public string? StateRoot { get; }
    public string? UserName { get; }
    public string? AdminTokenFile { get; }
    /// <summary>The proxy's shared port on 127.0.0.1, where connections name their endpoint (-HostAddress 127.0.0.1:port).</summary>
    public int ProxyPort { get; }
    public string? Version { get; }
    public DateTimeOffset? StartTime { get; }
    /// <summary>The PostgreSQL majors installed on this machine, which projects can use.</summary>
    public int[] PostgresVersions { get; }
    internal LocalServerInfo Info { get; }
}
