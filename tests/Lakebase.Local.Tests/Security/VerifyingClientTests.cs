using System.Diagnostics;
using Npgsql;
using Xunit;

namespace Lakebase.Local.Tests.Security;

/// <summary>
/// Clients that verify the server's certificate, as most drivers do by default, connect to an endpoint's host
/// unmodified, trusting only Lakebase Local's CA: libpq with sslmode=verify-full (psql), Npgsql with VerifyFull, and
/// node-postgres with rejectUnauthorized (installed by .ci/bootstrap from tests/Clients/node).
/// </summary>
public sealed class VerifyingClientTests(SharedServer shared) : IClassFixture<SharedServer>
{
    private static readonly string NodeClients = Path.Combine(
        Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } cache ? cache : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"),
        "lakebase", "node-clients", "node_modules");

    private static readonly string NodeScript = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../Clients/node/connect.js"));

    private LocalServerProcess Server => shared.Server;
    private ProxyClient Client => new(shared.Server);

    [Fact]
    public async Task Psql_Npgsql_and_node_postgres_verify_the_endpoint_certificate_against_the_local_CA_alone()
    {
        var (endpoint, host) = await Client.NewProjectAsync();
        var token = await Client.TokenAsync(endpoint);

        var psql = await RunAsync("psql", [$"host={host} user={ProxyClient.User} dbname=databricks_postgres sslmode=verify-full sslrootcert={Server.Info.CaCertificateFile}",
            "-At", "-c", "SELECT current_user"], new() { ["PGPASSWORD"] = token });
        Assert.Equal(ProxyClient.User, psql);

        await using (var npgsql = Client.Connection(host, token))
        {
            await npgsql.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT current_user", npgsql);
            Assert.Equal(ProxyClient.User, await command.ExecuteScalarAsync());
        }

        Assert.True(Directory.Exists(Path.Combine(NodeClients, "pg")), $"node-postgres is not in {NodeClients}; run .ci/bootstrap.");
        var node = await RunAsync("node", [NodeScript], new()
        {
            ["NODE_PATH"] = NodeClients, ["PGHOST"] = host, ["PGUSER"] = ProxyClient.User, ["PGPASSWORD"] = token,
            ["LAKEBASE_CA"] = Server.Info.CaCertificateFile!,
        });
        Assert.Equal(ProxyClient.User, node);
    }

    /// <summary>Runs a client with a clean TLS environment (no trust store or certificate of the user's), returning
    /// its output; fails with its error output when it fails.</summary>
    private static async Task<string> RunAsync(string program, string[] arguments, Dictionary<string, string> environment)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var name in new[] { "PGSSLROOTCERT", "PGSSLMODE", "NODE_EXTRA_CA_CERTS", "NODE_TLS_REJECT_UNAUTHORIZED", "SSL_CERT_FILE", "SSL_CERT_DIR" })
            start.Environment.Remove(name);
        foreach (var (name, value) in environment) start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{program} failed: {error}");
        return (await output).Trim();
    }
}
