using Lakebase.Contract.Models;

namespace Lakebase.Client.Sql;

/// <summary>Where SQL goes: an endpoint (its host, and the name the credential is issued for) and a database.</summary>
public sealed record DatabaseTarget(string EndpointName, string Host, int Port, string Database)
{
    public const string DefaultDatabase = "databricks_postgres";

    public static DatabaseTarget For(Endpoint endpoint, string? database) => new(
        endpoint.Name!,
        endpoint.Status?.Hosts?.Host ?? throw new InvalidOperationException($"Endpoint {endpoint.Name} has no host yet."),
        5432,
        string.IsNullOrEmpty(database) ? DefaultDatabase : database);
}
