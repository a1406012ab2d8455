using Xunit;

namespace Lakebase.Local.Tests;

public sealed class CrashRecoveryTests
{
    [Fact]
    public async Task A_killed_server_restarts_with_all_metadata_and_data_and_no_half_made_branch()
    {
        await using var server = await LocalServerProcess.StartAsync();
        await server.CreateProjectAsync("survivor");
        await server.RunAsync(HttpMethod.Post, "projects/survivor/branches?branch_id=kept", new { spec = new { no_expiry = true } });
        await server.ExecuteAsync("projects/survivor/branches/kept/endpoints/primary", "CREATE TABLE facts (id int); INSERT INTO facts SELECT generate_series(1, 1000)");
        await server.RunAsync(HttpMethod.Post, "projects/survivor/branches/kept/roles", new { spec = new { postgres_role = "reader" } });

        // Kill the server while a branch is being made.
        var interrupted = await server.SendAsync(HttpMethod.Post, "projects/survivor/branches?branch_id=interrupted", new { spec = new { no_expiry = true } });
        await server.CrashAsync();
        await server.RestartAsync();

        var branches = (await server.GetAsync("projects/survivor/branches"))["branches"]!.AsArray()
            .ToDictionary(b => b!["branch_id"]!.GetValue<string>(), b => b!["status"]!["current_state"]!.GetValue<string>());
        Assert.Equal("READY", branches["production"]);
        Assert.Equal("READY", branches["kept"]);
        var operation = await server.GetAsync(interrupted["name"]!.GetValue<string>());
        Assert.True(operation["done"]!.GetValue<bool>());
        if (operation["error"] is not null)
        {
            Assert.False(branches.ContainsKey("interrupted"));
            Assert.Empty(Directory.EnumerateDirectories(Path.Combine(server.Root, "branches"), ".tmp-*"));
        }
        else
        {
            Assert.Equal("READY", branches["interrupted"]);
        }
        // Every data directory on disk belongs to a listed branch: nothing half-made or orphaned is left.
        Assert.Equal(branches.Count, Directory.EnumerateDirectories(Path.Combine(server.Root, "branches")).Count());

        Assert.Equal(1000L, await server.QueryAsync<long>("projects/survivor/branches/kept/endpoints/primary", "SELECT count(*) FROM facts"));
        var roles = await server.GetAsync("projects/survivor/branches/kept/roles");
        Assert.Contains(roles["roles"]!.AsArray(), role => role!["status"]!["postgres_role"]!.GetValue<string>() == "reader");
    }
}
