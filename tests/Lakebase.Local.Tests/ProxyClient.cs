using System.Text.Json.Nodes;
using Npgsql;

namespace Lakebase.Local.Tests;

/// <summary>What data-plane tests do on a server: a project per test, database credentials, and connections through
/// the proxy over verified TLS, as a client of the service would make them.</summary>
public sealed class ProxyClient(LocalServerProcess server)
{
    public const string User = "admin@lakebase.local";

    /// <summary>A new project; <paramref name="spec"/> is its spec (display name, endpoint defaults, native login).</summary>
    public async Task<(string Endpoint, string Host)> NewProjectAsync(object? spec = null)
    {
        var id = SharedServer.NewId("dp");
        await server.CreateProjectAsync(id, spec ?? new { default_endpoint_settings = new { suspend_timeout_duration = "86400s" } });
        var endpoint = $"projects/{id}/branches/production/endpoints/primary";
        var host = (await server.GetAsync(endpoint))["status"]!["hosts"]!["host"]!.GetValue<string>();
        return (endpoint, host);
    }

    /// <summary>The endpoint's pooled host (its PgBouncer behind the proxy), as the endpoint publishes it.</summary>
    public async Task<string> PooledHostAsync(string endpoint) =>
        (await server.GetAsync(endpoint))["status"]!["hosts"]!["read_write_pooled_host"]!.GetValue<string>();

    public async Task<string> TokenAsync(string endpoint, string ttl = "3600s") =>
        (await server.SendAsync(HttpMethod.Post, "credentials", new JsonObject { ["endpoint"] = endpoint, ["ttl"] = ttl }))["token"]!.GetValue<string>();

    public NpgsqlConnection Connection(string host, string password, string user = User, int port = 5432, string? options = null) => new(new NpgsqlConnectionStringBuilder
    {
        Host = host,
        Port = port,
        Username = user,
        Password = password,
        Database = "databricks_postgres",
        SslMode = SslMode.VerifyFull,
        RootCertificate = server.Info.CaCertificateFile,
        Options = options,
        Pooling = false,
        Timeout = 60,
    }.ConnectionString);

    /// <summary>Opens a connection with a fresh credential for the endpoint.</summary>
    public async Task<NpgsqlConnection> OpenAsync(string endpoint, string host)
    {
        var connection = Connection(host, await TokenAsync(endpoint));
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>A new project with native login whose production branch is protected and has <paramref name="role"/>, a
    /// role that logs in with <paramref name="password"/>.</summary>
    public async Task<(string Project, string Endpoint, string Host)> NewProtectedProjectAsync(string role, string password)
    {
        var (endpoint, host) = await NewProjectAsync(new { enable_pg_native_login = true });
        var project = endpoint[..endpoint.IndexOf("/branches/", StringComparison.Ordinal)];
        await AddPasswordRoleAsync(project, "production", role);
        await SetPasswordAsync(endpoint, host, role, password);
        await server.RunAsync(HttpMethod.Patch, $"{project}/branches/production?update_mask=spec.is_protected", new { spec = new { is_protected = true } });
        return (project, endpoint, host);
    }

    /// <summary>A role made through the API that logs in with a password (the project has native login).</summary>
    public Task AddPasswordRoleAsync(string project, string branch, string role) =>
        server.RunAsync(HttpMethod.Post, $"{project}/branches/{branch}/roles?role_id={role.Replace('_', '-')}",
            new { spec = new { postgres_role = role, auth_method = "PG_PASSWORD_SCRAM_SHA_256" } });

    /// <summary>What a branch's owner runs, through the proxy, to give a role a password.</summary>
    public async Task SetPasswordAsync(string endpoint, string host, string role, string password)
    {
        await using var owner = await OpenAsync(endpoint, host);
        // ALTER ROLE takes no parameters: format() quotes the name and the password into the statement.
        await using var statement = new NpgsqlCommand("SELECT format('ALTER ROLE %I PASSWORD %L', $1::text, $2::text)", owner)
        {
            Parameters = { new() { Value = role }, new() { Value = password } },
        };
        var alter = (string)(await statement.ExecuteScalarAsync())!;
        await using var setPassword = new NpgsqlCommand($"SET ROLE databricks_superuser; {alter}", owner);
        await setPassword.ExecuteNonQueryAsync();
    }

    /// <summary>The SQLSTATE a native login as <paramref name="role"/> is refused with, or null when it opens.</summary>
    public async Task<string?> LoginErrorAsync(string host, string role, string password)
    {
        await using var native = Connection(host, password, user: role);
        try { await native.OpenAsync(); return null; }
        catch (PostgresException ex) { return ex.SqlState; }
    }
}
