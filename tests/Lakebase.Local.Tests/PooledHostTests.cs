using System.Text.Json.Nodes;
using Npgsql;
using Xunit;

namespace Lakebase.Local.Tests;

/// <summary>
/// Each endpoint's pooled host: the proxy checks the token as on the endpoint's host, then hands the session to the
/// endpoint's own PgBouncer (Debian's, in transaction mode), which pools server connections to the compute. What a
/// client notices is PgBouncer's: session state stays with a server connection, not with the client.
/// </summary>
public sealed class PooledHostTests(FastLimitsServer shared) : IClassFixture<FastLimitsServer>
{
    private LocalServerProcess Server => shared.Server;
    private ProxyClient Client => new(shared.Server);

    private async Task<(string Endpoint, string PooledHost)> NewProjectAsync(string suspendTimeout = "86400s")
    {
        var (endpoint, _) = await Client.NewProjectAsync(new { default_endpoint_settings = new { suspend_timeout_duration = suspendTimeout } });
        return (endpoint, await Client.PooledHostAsync(endpoint));
    }

    private async Task<NpgsqlConnection> OpenPooledAsync(string endpoint, string pooledHost)
    {
        var connection = Client.Connection(pooledHost, await Client.TokenAsync(endpoint));
        await connection.OpenAsync();
        return connection;
    }

    private static async Task<object?> ScalarAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    [Fact]
    public async Task Endpoints_publish_a_pooled_host_of_their_kind()
    {
        var (endpoint, _) = await Client.NewProjectAsync();
        var branch = endpoint[..endpoint.IndexOf("/endpoints/", StringComparison.Ordinal)];
        var replica = await Server.RunAsync(HttpMethod.Post, $"{branch}/endpoints?endpoint_id=replica",
            new { spec = new { endpoint_type = "ENDPOINT_TYPE_READ_ONLY", autoscaling_limit_min_cu = 0.5, autoscaling_limit_max_cu = 0.5 } });

        var readWrite = (await Server.GetAsync(endpoint))["status"]!["hosts"]!.AsObject();
        var readOnly = replica["status"]!["hosts"]!.AsObject();
        Assert.NotEqual(readWrite["host"]!.GetValue<string>(), readWrite["read_write_pooled_host"]!.GetValue<string>());
        Assert.False(readWrite.ContainsKey("read_only_pooled_host"));
        Assert.NotEqual(readOnly["host"]!.GetValue<string>(), readOnly["read_only_pooled_host"]!.GetValue<string>());
        Assert.False(readOnly.ContainsKey("read_write_pooled_host"));
    }

    [Fact]
    public async Task The_pooled_host_runs_each_transaction_on_whichever_server_connection_is_free()
    {
        var (endpoint, pooledHost) = await NewProjectAsync();
        await using var first = await OpenPooledAsync(endpoint, pooledHost);
        await using var second = await OpenPooledAsync(endpoint, pooledHost);
        // PgBouncer answers the startup itself: the cancel key it gives is its own, not the backend's.
        Assert.NotEqual(first.ProcessID, (int)(await ScalarAsync(first, "SELECT pg_backend_pid()"))!);

        // A SET outside a transaction stays on the server connection it ran on, which goes back to the pool...
        await ScalarAsync(first, "SET work_mem = '77MB'");
        await ScalarAsync(first, "PREPARE answer AS SELECT 42");
        // ...so the next client's transaction gets it, and the first client's next statement gets another one.
        await using var held = await second.BeginTransactionAsync();
        Assert.Equal("77MB", await ScalarAsync(second, "SHOW work_mem"));
        Assert.NotEqual("77MB", await ScalarAsync(first, "SHOW work_mem"));
        // PgBouncer 1.18 does not carry prepared statements either: EXECUTE finds none there.
        var error = await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync(first, "EXECUTE answer"));
        Assert.Equal("26000", error.SqlState);
    }

    [Fact]
    public async Task The_pooled_host_takes_only_a_valid_token_for_its_endpoint()
    {
        var (endpoint, pooledHost) = await NewProjectAsync();
        var (other, _) = await NewProjectAsync();
        foreach (var password in new[] { "not-a-token", await Client.TokenAsync(other) })
        {
            await using var connection = Client.Connection(pooledHost, password);
            var error = await Assert.ThrowsAsync<PostgresException>(() => connection.OpenAsync());
            Assert.Equal("28P01", error.SqlState);
        }
        await using var admitted = await OpenPooledAsync(endpoint, pooledHost);
        Assert.Equal(ProxyClient.User, await ScalarAsync(admitted, "SELECT current_user"));
    }

    [Fact]
    public async Task The_shared_port_routes_to_the_pooler_by_the_endpoint_uid_with_the_pooler_suffix()
    {
        var (endpoint, _) = await NewProjectAsync();
        var uid = (await Server.GetAsync(endpoint))["uid"]!.GetValue<string>();
        await using var connection = Client.Connection("127.0.0.1", await Client.TokenAsync(endpoint), port: Server.Info.ProxyPort, options: $"endpoint={uid}-pooler");
        await connection.OpenAsync();
        Assert.NotEqual(connection.ProcessID, (int)(await ScalarAsync(connection, "SELECT pg_backend_pid()"))!);
    }

    [Fact]
    public async Task A_compute_suspends_while_its_pooler_holds_connections_and_a_pooled_client_wakes_it()
    {
        var (endpoint, pooledHost) = await NewProjectAsync(suspendTimeout: "1s");
        var token = await Client.TokenAsync(endpoint);
        await using (var connection = Client.Connection(pooledHost, token))
        {
            await connection.OpenAsync();
            Assert.Equal(1, await ScalarAsync(connection, "SELECT 1"));
            // The client stays connected and PgBouncer keeps its server connection, idle: neither is activity.
            await WaitForStateAsync(endpoint, "IDLE");
            await Assert.ThrowsAnyAsync<NpgsqlException>(() => ScalarAsync(connection, "SELECT 1"));
        }

        await using var woken = Client.Connection(pooledHost, token);
        await woken.OpenAsync();
        Assert.Equal(42, await ScalarAsync(woken, "SELECT 41 + 1"));
        Assert.Equal("ACTIVE", (await Server.GetAsync(endpoint))["status"]!["current_state"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_restart_stops_the_pooler_a_killed_server_left_and_gives_older_endpoints_their_pooled_host()
    {
        var (endpoint, pooledHost) = await NewProjectAsync();
        await using (var connection = await OpenPooledAsync(endpoint, pooledHost)) Assert.Equal(1, await ScalarAsync(connection, "SELECT 1"));
        var uid = (await Server.GetAsync(endpoint))["uid"]!.GetValue<string>();
        var pooler = Path.Combine(Server.Root, "run", uid + ".pooler");
        var leftover = int.Parse(await File.ReadAllTextAsync(Path.Combine(pooler, "pgbouncer.pid")));

        await Server.CrashAsync();
        // As a state root from before pooled hosts records the endpoint.
        await using (var state = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(Server.Root, "state.db")};Pooling=false"))
        {
            await state.OpenAsync();
            await using var forget = state.CreateCommand();
            forget.CommandText = "UPDATE resources SET body = json_remove(body, '$.status.hosts.read_write_pooled_host') WHERE name = $name";
            forget.Parameters.AddWithValue("$name", endpoint);
            Assert.Equal(1, await forget.ExecuteNonQueryAsync());
        }
        await Server.RestartAsync();

        Assert.DoesNotContain(Path.Combine(pooler, "pgbouncer.ini"), CommandLine(leftover));
        var restored = await Client.PooledHostAsync(endpoint);
        await using var again = await OpenPooledAsync(endpoint, restored);
        Assert.Equal(1, await ScalarAsync(again, "SELECT 1"));
    }

    private static string CommandLine(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' '); }
        catch (IOException) { return ""; }
    }

    private async Task WaitForStateAsync(string endpoint, string state)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((await Server.GetAsync(endpoint))["status"]!["current_state"]!.GetValue<string>() != state)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the endpoint never became {state}");
            await Task.Delay(200);
        }
    }
}
