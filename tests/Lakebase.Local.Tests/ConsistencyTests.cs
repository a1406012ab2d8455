using System.Text.Json.Nodes;
using Xunit;

namespace Lakebase.Local.Tests;

/// <summary>What the API says is what PostgreSQL holds, while operations race and fail.</summary>
public sealed class ConsistencyTests(SharedServer shared) : IClassFixture<SharedServer>
{
    private LocalServerProcess Server => shared.Server;

    [Fact]
    public async Task A_role_PostgreSQL_refuses_to_drop_stays_listed_and_can_be_deleted_once_free()
    {
        var id = SharedServer.NewId("role");
        await Server.CreateProjectAsync(id);
        var branch = $"projects/{id}/branches/production";
        await Server.RunAsync(HttpMethod.Post, $"{branch}/roles?role_id=owner", new { spec = new { postgres_role = "table_owner" } });
        await Server.ExecuteAsync($"{branch}/endpoints/primary", "CREATE TABLE owned (id int); ALTER TABLE owned OWNER TO table_owner");

        var refused = await Assert.ThrowsAsync<ApiCallException>(() => Server.RunAsync(HttpMethod.Delete, $"{branch}/roles/owner"));
        Assert.Contains("2BP01", refused.ErrorMessage);
        Assert.Equal("table_owner", (await Server.GetAsync($"{branch}/roles/owner"))["status"]!["postgres_role"]!.GetValue<string>());
        Assert.Equal(1L, await Server.QueryAsync<long>($"{branch}/endpoints/primary", "SELECT count(*) FROM pg_roles WHERE rolname = 'table_owner'"));

        await Server.ExecuteAsync($"{branch}/endpoints/primary", "DROP TABLE owned");
        await Server.RunAsync(HttpMethod.Delete, $"{branch}/roles/owner");
        await AssertNotFoundAsync($"{branch}/roles/owner");
        Assert.Equal(0L, await Server.QueryAsync<long>($"{branch}/endpoints/primary", "SELECT count(*) FROM pg_roles WHERE rolname = 'table_owner'"));
    }

    [Fact]
    public async Task A_purge_of_a_branch_still_being_created_gets_409_and_the_branch_is_made_whole()
    {
        var id = SharedServer.NewId("race");
        await Server.CreateProjectAsync(id);
        var create = await Server.SendAsync(HttpMethod.Post, $"projects/{id}/branches?branch_id=dev", new { spec = new { no_expiry = true } });

        var conflict = await Assert.ThrowsAsync<ApiCallException>(() => Server.SendAsync(HttpMethod.Delete, $"projects/{id}/branches/dev?purge=true", null));
        Assert.Equal(409, conflict.Status);
        Assert.Equal("ABORTED", conflict.ErrorCode);
        Assert.Contains("reconciliation", conflict.ErrorMessage);

        var branch = await Server.WaitAsync(create);
        Assert.Equal("READY", branch["status"]!["current_state"]!.GetValue<string>());
        Assert.Equal(1, await Server.QueryAsync<int>($"projects/{id}/branches/dev/endpoints/primary", "SELECT 1"));
        await Server.RunAsync(HttpMethod.Delete, $"projects/{id}/branches/dev?purge=true");
        Assert.False(Directory.Exists(Path.Combine(Server.Root, "branches", branch["uid"]!.GetValue<string>())));
    }

    [Fact]
    public async Task Endpoint_settings_PostgreSQL_rejects_are_not_saved_and_the_compute_keeps_working()
    {
        var id = SharedServer.NewId("set");
        await Server.CreateProjectAsync(id);
        var endpoint = $"projects/{id}/branches/production/endpoints/primary";
        await Server.RunAsync(HttpMethod.Patch, $"{endpoint}?update_mask=spec.settings.pg_settings",
            new { spec = new { settings = new { pg_settings = new Dictionary<string, string> { ["work_mem"] = "8MB" } } } });

        foreach (var bad in new Dictionary<string, string>[] { new() { ["work_mem"] = "lots" }, new() { ["shared_buffers"] = "100000GB" } })
        {
            var rejected = await Assert.ThrowsAsync<ApiCallException>(() => Server.RunAsync(HttpMethod.Patch, $"{endpoint}?update_mask=spec.settings.pg_settings",
                new { spec = new { settings = new { pg_settings = bad } } }));
            // Refused before anything is written: by the tunable-settings check, or by PostgreSQL reading the new file.
            Assert.Equal("INVALID_PARAMETER_VALUE", rejected.ErrorCode);
            var settings = (await Server.GetAsync(endpoint))["status"]!["settings"]!["pg_settings"]!.AsObject();
            Assert.Equal("8MB", settings["work_mem"]!.GetValue<string>());
            Assert.Single(settings);
            Assert.Equal("8MB", await Server.QueryAsync<string>(endpoint, "SHOW work_mem"));
        }
    }

    [Fact]
    public async Task A_disabled_endpoint_is_not_woken_for_a_role_change()
    {
        var id = SharedServer.NewId("off");
        await Server.CreateProjectAsync(id);
        var branch = $"projects/{id}/branches/production";
        await Server.RunAsync(HttpMethod.Patch, $"{branch}/endpoints/primary?update_mask=spec.disabled", new { spec = new { disabled = true } });

        var refused = await Assert.ThrowsAsync<ApiCallException>(() =>
            Server.RunAsync(HttpMethod.Post, $"{branch}/roles?role_id=late", new { spec = new { postgres_role = "late" } }));
        Assert.Equal("INVALID_STATE", refused.ErrorCode);
        Assert.Contains("disabled", refused.ErrorMessage);
        Assert.False(await Server.IsComputeRunningAsync($"{branch}/endpoints/primary"));
        await AssertNotFoundAsync($"{branch}/roles/late");
    }

    private async Task AssertNotFoundAsync(string path)
    {
        var missing = await Assert.ThrowsAsync<ApiCallException>(() => Server.GetAsync(path));
        Assert.Equal(404, missing.Status);
    }
}
