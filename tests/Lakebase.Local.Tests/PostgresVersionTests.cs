using System.Text.Json.Nodes;
using Npgsql;
using Xunit;

namespace Lakebase.Local.Tests;

/// <summary>The versions a project can have, as the service offers them, and what each runs.</summary>
public sealed class PostgresVersionTests(SharedServer shared) : IClassFixture<SharedServer>
{
    private LocalServerProcess Server => shared.Server;
    private ProxyClient Client => new(shared.Server);

    private async Task<string> VersionThroughProxyAsync(string endpoint)
    {
        var host = (await Server.GetAsync(endpoint))["status"]!["hosts"]!["host"]!.GetValue<string>();
        await using var connection = await Client.OpenAsync(endpoint, host);
        await using var command = new NpgsqlCommand("SELECT version()", connection);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task A_project_runs_17_by_default_16_when_asked_and_other_versions_are_refused_naming_the_offered_ones()
    {
        var byDefault = SharedServer.NewId("v");
        Assert.Equal(17, (await Server.CreateProjectAsync(byDefault, new { }))["status"]!["pg_version"]!.GetValue<int>());
        Assert.StartsWith("PostgreSQL 17.", await VersionThroughProxyAsync($"projects/{byDefault}/branches/production/endpoints/primary"));

        var sixteen = SharedServer.NewId("v");
        Assert.Equal(16, (await Server.CreateProjectAsync(sixteen, new { pg_version = 16 }))["status"]!["pg_version"]!.GetValue<int>());
        Assert.StartsWith("PostgreSQL 16.", await VersionThroughProxyAsync($"projects/{sixteen}/branches/production/endpoints/primary"));

        foreach (var unsupported in new[] { 15, 18 })
        {
            var refused = await Assert.ThrowsAsync<ApiCallException>(() => Server.CreateProjectAsync(SharedServer.NewId("v"), new { pg_version = unsupported }));
            Assert.Equal((400, "INVALID_PARAMETER_VALUE"), (refused.Status, refused.ErrorCode));
            Assert.Equal($"pg_version {unsupported} is not supported; supported versions: 16, 17.", refused.ErrorMessage);
        }
    }

    [Fact]
    public async Task On_16_a_branch_a_branch_at_a_past_time_and_a_read_replica_hold_the_data()
    {
        var id = SharedServer.NewId("v16");
        await Server.CreateProjectAsync(id, new { pg_version = 16 });
        var production = $"projects/{id}/branches/production";
        DateTimeOffset before;
        await using (var connection = await Server.ConnectAsync($"{production}/endpoints/primary"))
        {
            await using (var write = new NpgsqlCommand("CREATE TABLE t (id int); INSERT INTO t VALUES (1)", connection)) await write.ExecuteNonQueryAsync();
            await using (var now = new NpgsqlCommand("SELECT clock_timestamp()", connection)) before = new DateTimeOffset((DateTime)(await now.ExecuteScalarAsync())!);
            await Task.Delay(20);
            await using var more = new NpgsqlCommand("INSERT INTO t VALUES (2)", connection);
            await more.ExecuteNonQueryAsync();
        }
        await Server.RunAsync(HttpMethod.Post, $"projects/{id}/branches?branch_id=dev", new { spec = new { source_branch = production, no_expiry = true } });
        await Server.RunAsync(HttpMethod.Post, $"projects/{id}/branches?branch_id=past",
            new { spec = new { source_branch = production, source_branch_time = before.ToString("O"), no_expiry = true } });
        var replica = await NewReplicaAsync(Server, production);

        Assert.Equal(2L, await Server.QueryAsync<long>($"projects/{id}/branches/dev/endpoints/primary", "SELECT count(*) FROM t"));
        Assert.Equal(1L, await Server.QueryAsync<long>($"projects/{id}/branches/past/endpoints/primary", "SELECT count(*) FROM t"));
        Assert.Equal(2L, await ReplicaCountAsync(Client, Server, replica, "t"));
        Assert.StartsWith("PostgreSQL 16.", await VersionThroughProxyAsync(replica));
    }

    [Fact]
    public async Task A_PostgreSQL_15_project_from_an_older_state_root_keeps_working_while_new_ones_are_refused()
    {
        await using var server = await LocalServerProcess.StartAsync("--legacy-pg-version", "15");
        var id = SharedServer.NewId("v15");
        await server.CreateProjectAsync(id, new { pg_version = 15 });
        await server.ExecuteAsync($"projects/{id}/branches/production/endpoints/primary", "CREATE TABLE t AS SELECT 1 AS id");

        await server.RestartAsync(arguments: []);

        await server.RunAsync(HttpMethod.Post, $"projects/{id}/branches?branch_id=dev",
            new { spec = new { source_branch = $"projects/{id}/branches/production", no_expiry = true } });
        Assert.Equal(1L, await server.QueryAsync<long>($"projects/{id}/branches/dev/endpoints/primary", "SELECT count(*) FROM t"));
        Assert.StartsWith("PostgreSQL 15.", await server.QueryAsync<string>($"projects/{id}/branches/dev/endpoints/primary", "SELECT version()"));
        var refused = await Assert.ThrowsAsync<ApiCallException>(() => server.CreateProjectAsync(SharedServer.NewId("v15"), new { pg_version = 15 }));
        Assert.Equal("INVALID_PARAMETER_VALUE", refused.ErrorCode);
    }

    /// <summary>A read-only endpoint on the branch; returns its name.</summary>
    internal static async Task<string> NewReplicaAsync(LocalServerProcess server, string branch)
    {
        var spec = new JsonObject { ["endpoint_type"] = "ENDPOINT_TYPE_READ_ONLY", ["autoscaling_limit_min_cu"] = 0.5, ["autoscaling_limit_max_cu"] = 0.5 };
        await server.RunAsync(HttpMethod.Post, $"{branch}/endpoints?endpoint_id=reader", new { spec });
        return $"{branch}/endpoints/reader";
    }

    /// <summary>Counts a table's rows on a read replica through the proxy, as a reader would.</summary>
    internal static async Task<long> ReplicaCountAsync(ProxyClient client, LocalServerProcess server, string replica, string table)
    {
        var host = (await server.GetAsync(replica))["status"]!["hosts"]!["host"]!.GetValue<string>();
        await using var connection = await client.OpenAsync(replica, host);
        await using var command = new NpgsqlCommand($"SELECT count(*) FROM {table}", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}

/// <summary>A read replica catches up after any time asleep: what its primary recycled meanwhile comes from the
/// branch's WAL archive.</summary>
public sealed class ReadReplicaTests(SharedServer shared) : IClassFixture<SharedServer>
{
    private LocalServerProcess Server => shared.Server;

    [Fact]
    public async Task A_replica_woken_after_its_primary_recycled_the_WAL_it_needs_sees_every_new_row()
    {
        var id = SharedServer.NewId("rr");
        await Server.CreateProjectAsync(id);
        var production = $"projects/{id}/branches/production";
        var primary = $"{production}/endpoints/primary";
        await Server.ExecuteAsync(primary, "CREATE TABLE t (id int); INSERT INTO t VALUES (1)");
        var replica = await PostgresVersionTests.NewReplicaAsync(Server, production);
        Assert.Equal(1L, await PostgresVersionTests.ReplicaCountAsync(new ProxyClient(Server), Server, replica, "t"));
        var replayed = await Server.QueryAsync<string>(replica, "SELECT pg_last_wal_replay_lsn()::text", "postgres");

        await Server.RunAsync(HttpMethod.Patch, $"{replica}?update_mask=spec.disabled", new { spec = new { disabled = true } });
        await using (var connection = await Server.ConnectAsync(primary))
        {
            await using var segment = new NpgsqlCommand("SELECT pg_walfile_name($1::pg_lsn)", connection) { Parameters = { new() { Value = replayed } } };
            var needed = (string)(await segment.ExecuteScalarAsync())!;
            // Each round writes, ends the segment and checkpoints; a checkpoint removes or recycles what came before it.
            for (var round = 0; ; round++)
            {
                await using var cycle = new NpgsqlCommand("INSERT INTO t SELECT generate_series(1, 1000); SELECT pg_switch_wal(); CHECKPOINT", connection);
                await cycle.ExecuteNonQueryAsync();
                await using var kept = new NpgsqlCommand("SELECT count(*) FROM pg_ls_waldir() WHERE name = $1", connection) { Parameters = { new() { Value = needed } } };
                if ((long)(await kept.ExecuteScalarAsync())! == 0) break;
                Assert.True(round < 20, $"the primary still holds WAL segment {needed}");
            }
        }
        var committed = await Server.QueryAsync<long>(primary, "SELECT count(*) FROM t");
        await Server.RunAsync(HttpMethod.Patch, $"{replica}?update_mask=spec.disabled", new { spec = new { disabled = false } });

        Assert.Equal(committed, await PostgresVersionTests.ReplicaCountAsync(new ProxyClient(Server), Server, replica, "t"));
        Assert.Equal("ACTIVE", (await Server.GetAsync(replica))["status"]!["current_state"]!.GetValue<string>());
    }
}
