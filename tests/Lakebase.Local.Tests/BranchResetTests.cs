using System.Text.Json.Nodes;
using Npgsql;
using Xunit;

namespace Lakebase.Local.Tests;

/// <summary>Reset from parent over Lakebase Local's own route (the postgres API has none).</summary>
public sealed class BranchResetTests(SharedServer shared) : IClassFixture<SharedServer>
{
    private LocalServerProcess Server => shared.Server;

    private static string ResetPath(string branch) => $"/api/2.0/lakebase-local/{branch}/reset";

    [Fact]
    public async Task A_reset_branch_has_its_parents_current_data_on_the_same_endpoint_and_its_old_sessions_are_closed()
    {
        var id = SharedServer.NewId("reset");
        await Server.CreateProjectAsync(id);
        var production = $"projects/{id}/branches/production/endpoints/primary";
        await Server.ExecuteAsync(production, "CREATE TABLE items (id int); INSERT INTO items VALUES (1)");
        var before = await Server.RunAsync(HttpMethod.Post, $"projects/{id}/branches?branch_id=dev", new { spec = new { no_expiry = true } });
        var dev = $"projects/{id}/branches/dev/endpoints/primary";
        var endpointBefore = await Server.GetAsync(dev);
        await Server.ExecuteAsync(dev, "DROP TABLE items; CREATE TABLE scratch (x int)");
        await Server.ExecuteAsync(production, "INSERT INTO items VALUES (2)");
        await using var oldSession = await Server.ConnectAsync(dev);

        var after = await Server.RunAsync(HttpMethod.Post, ResetPath($"projects/{id}/branches/dev"), new JsonObject());

        Assert.Equal(2L, await Server.QueryAsync<long>(dev, "SELECT count(*) FROM items"));
        Assert.Null(await Server.QueryAsync<string>(dev, "SELECT to_regclass('scratch')::text"));
        Assert.True(after["status"]!["source_branch_time"]!.GetValue<DateTimeOffset>() > before["status"]!["source_branch_time"]!.GetValue<DateTimeOffset>());
        Assert.NotEqual(before["status"]!["source_branch_lsn"]!.GetValue<string>(), after["status"]!["source_branch_lsn"]!.GetValue<string>());
        var endpointAfter = await Server.GetAsync(dev);
        Assert.Equal(endpointBefore["uid"]!.GetValue<string>(), endpointAfter["uid"]!.GetValue<string>());
        Assert.Equal(endpointBefore["status"]!["hosts"]!["host"]!.GetValue<string>(), endpointAfter["status"]!["hosts"]!["host"]!.GetValue<string>());
        Assert.Equal("ACTIVE", endpointAfter["status"]!["current_state"]!.GetValue<string>());
        await using var stale = new NpgsqlCommand("SELECT 1", oldSession);
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => stale.ExecuteScalarAsync());
        var databases = await Server.GetAsync($"projects/{id}/branches/dev/databases");
        Assert.Contains(databases["databases"]!.AsArray(), database => database!["status"]!["postgres_database"]!.GetValue<string>() == "databricks_postgres");
    }

    [Fact]
    public async Task Resetting_a_root_branch_or_taking_a_used_preserve_name_is_refused_with_the_services_error_body()
    {
        var id = SharedServer.NewId("reset");
        await Server.CreateProjectAsync(id);
        await Server.RunAsync(HttpMethod.Post, $"projects/{id}/branches?branch_id=dev", new { spec = new { no_expiry = true } });

        var root = await Assert.ThrowsAsync<ApiCallException>(() => Server.SendAsync(HttpMethod.Post, ResetPath($"projects/{id}/branches/production"), new JsonObject()));
        Assert.Equal((400, "BAD_REQUEST"), (root.Status, root.Error["error_code"]!.GetValue<string>()));
        Assert.Contains("root branch", root.Error["message"]!.GetValue<string>());

        var taken = await Assert.ThrowsAsync<ApiCallException>(() => Server.SendAsync(HttpMethod.Post, ResetPath($"projects/{id}/branches/dev"),
            new JsonObject { ["preserve_under_name"] = "production" }));
        Assert.Equal((409, "ALREADY_EXISTS"), (taken.Status, taken.Error["error_code"]!.GetValue<string>()));
    }
}
