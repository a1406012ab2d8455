using System.Net;
using Lakebase.Contract.Models;

namespace Lakebase.Client.Sql;

/// <summary>Where SQL goes: an endpoint (its host, its uid, and the name the credential is issued for) and a database.</summary>
public sealed record DatabaseTarget(string EndpointName, string EndpointUid, string Host, int Port, string Database)
{
    public const string DefaultDatabase = "databricks_postgres";

    /// <summary>An address to connect to instead of the host (libpq's hostaddr): where the host name does not resolve,
    /// or a proxy's shared port. The endpoint is then named in the startup packet and by TLS SNI.</summary>
    public IPEndPoint? Address { get; init; }

    public string ConnectHost => Address?.Address.ToString() ?? Host;

    public int ConnectPort => Address is { Port: > 0 } address ? address.Port : Port;

    /// <summary>The name TLS sends (SNI) and the server's certificate must carry: the endpoint's host, unless that is
    /// itself an IP address (Lakebase Local's loopback hosts), which SNI cannot carry: then the address connected to.</summary>
    public string ServerName => IPAddress.TryParse(Host, out _) ? ConnectHost : Host;

    /// <summary>Through the endpoint's pooled host: PgBouncer in transaction mode, so session state (SET, prepared
    /// statements, temporary tables) does not outlive a transaction.</summary>
    public bool Pooled { get; init; }

    /// <summary>The startup options naming the endpoint (options=endpoint=&lt;uid&gt;, with Neon's "-pooler" suffix for
    /// the pooled host, as Neon's proxy reads them), needed where one address serves many endpoints.</summary>
    public string? EndpointOption => Address is null ? null : $"endpoint={EndpointUid}{(Pooled ? "-pooler" : "")}";

    /// <summary>The endpoint's host, or with <paramref name="pooled"/> its pooled host (read-write or read-only, as the
    /// endpoint is).</summary>
    public static DatabaseTarget For(Endpoint endpoint, string? database, IPEndPoint? address = null, bool pooled = false) => new(
        endpoint.Name!,
        endpoint.Uid ?? endpoint.EndpointId!,
        (pooled ? PooledHostOf(endpoint) : endpoint.Status?.Hosts?.Host)
            ?? throw new InvalidOperationException($"Endpoint {endpoint.Name} has no {(pooled ? "pooled " : "")}host yet."),
        5432,
        string.IsNullOrEmpty(database) ? DefaultDatabase : database)
    {
        Address = address,
        Pooled = pooled,
    };

    /// <summary>The pooled host of the endpoint's own kind: read_write_pooled_host on a read-write endpoint,
    /// read_only_pooled_host on a read-only one.</summary>
    public static string? PooledHostOf(Endpoint endpoint) => endpoint.Status?.Hosts is not { } hosts ? null
        : endpoint.Status.EndpointType == EndpointType.ReadOnly ? hosts.ReadOnlyPooledHost : hosts.ReadWritePooledHost;
}
