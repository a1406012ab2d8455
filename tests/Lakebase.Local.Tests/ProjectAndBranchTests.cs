using System.Text.Json.Nodes;
using Xunit;

namespace Lakebase.Local.Tests;

public sealed class ProjectAndBranchTests(SharedServer shared) : IClassFixture<SharedServer>
{
    private LocalServerProcess Server => shared.Server;

    [Fact]
    public async Task A_new_project_has_a_ready_production_branch_with_a_running_primary_endpoint_database_and_owner_role()
    {
        var id = SharedServer.NewId("proj");
        var project = await Server.CreateProjectAsync(id);

        Assert.Equal($"projects/{id}", project["name"]!.GetValue<string>());
        Assert.Null(project["spec"]);
        var status = project["status"]!;
        Assert.Equal($"projects/{id}/branches/production", status["default_branch"]!.GetValue<string>());
        Assert.Equal("604800s", status["history_retention_duration"]!.GetValue<string>());
        Assert.Equal("admin@lakebase.local", status["owner"]!.GetValue<string>());

        var branch = await Server.GetAsync($"projects/{id}/branches/production");
        Assert.Equal("READY", branch["status"]!["current_state"]!.GetValue<string>());
        Assert.True(branch["status"]!["default"]!.GetValue<bool>());
        Assert.StartsWith("br-", branch["uid"]!.GetValue<string>());

        var endpoint = await Server.GetAsync($"projects/{id}/branches/production/endpoints/primary");
        Assert.Equal("ENDPOINT_TYPE_READ_WRITE", endpoint["status"]!["endpoint_type"]!.GetValue<string>());
        Assert.Equal("ACTIVE", endpoint["status"]!["current_state"]!.GetValue<string>());
        Assert.StartsWith("127.", endpoint["status"]!["hosts"]!["host"]!.GetValue<string>());

        var owner = await Server.QueryAsync<string>($"projects/{id}/branches/production/endpoints/primary",
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'databricks_postgres'");
        Assert.Equal("admin@lakebase.local", owner);
        var roles = await Server.GetAsync($"projects/{id}/branches/production/roles");
        Assert.Contains(roles["roles"]!.AsArray(), role => role!["status"]!["postgres_role"]!.GetValue<string>() == "admin@lakebase.local");
    }

    [Fact]
    public async Task A_branch_has_the_rows_its_parent_committed_before_it_and_neither_sees_the_others_later_writes()
    {
        var id = SharedServer.NewId("proj");
        await Server.CreateProjectAsync(id);
        var production = $"projects/{id}/branches/production/endpoints/primary";
        await Server.ExecuteAsync(production, "CREATE TABLE items (id int); INSERT INTO items VALUES (1), (2)");

        var branch = await Server.RunAsync(HttpMethod.Post, $"projects/{id}/branches?branch_id=dev", new { spec = new { no_expiry = true } });
        var dev = $"projects/{id}/branches/dev/endpoints/primary";
        Assert.Equal(2L, await Server.QueryAsync<long>(dev, "SELECT count(*) FROM items"));
        Assert.Matches("^[0-9A-F]+/[0-9A-F]+$", branch["status"]!["source_branch_lsn"]!.GetValue<string>());
        Assert.NotNull(branch["status"]!["source_branch_time"]);
        Assert.Equal($"projects/{id}/branches/production", branch["status"]!["source_branch"]!.GetValue<string>());
        Assert.True(branch["status"]!["logical_size_bytes"]!.GetValue<long>() > 0);

        await Server.ExecuteAsync(production, "INSERT INTO items VALUES (3)");
        await Server.ExecuteAsync(dev, "INSERT INTO items VALUES (10), (11)");
        Assert.Equal(3L, await Server.QueryAsync<long>(production, "SELECT count(*) FROM items"));
        Assert.Equal(4L, await Server.QueryAsync<long>(dev, "SELECT count(*) FROM items"));
        Assert.Equal(0L, await Server.QueryAsync<long>(production, "SELECT count(*) FROM items WHERE id >= 10"));

        // Roles and databases travel with the data and are listed under the new branch.
        var databases = await Server.GetAsync($"projects/{id}/branches/dev/databases");
        Assert.Equal($"projects/{id}/branches/dev/roles/admin-lakebase-local",
            databases["databases"]![0]!["status"]!["role"]!.GetValue<string>());
    }

    [Fact]
    public async Task Duplicate_and_invalid_creates_fail_with_the_services_error_codes()
    {
        var id = SharedServer.NewId("proj");
        await Server.CreateProjectAsync(id);

        var duplicate = await Assert.ThrowsAsync<ApiCallException>(() => Server.SendAsync(HttpMethod.Post, $"projects?project_id={id}", new { spec = new { } }));
        Assert.Equal((409, "ALREADY_EXISTS"), (duplicate.Status, duplicate.ErrorCode));

        var badId = await Assert.ThrowsAsync<ApiCallException>(() => Server.SendAsync(HttpMethod.Post, $"projects/{id}/branches?branch_id=Bad_Id", new { spec = new { no_expiry = true } }));
        Assert.Equal((400, "INVALID_PARAMETER_VALUE"), (badId.Status, badId.ErrorCode));
        Assert.Equal("Field branch_id must match pattern ^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$, got 'Bad_Id'.", badId.ErrorMessage);

        var noExpiration = await Assert.ThrowsAsync<ApiCallException>(() => Server.SendAsync(HttpMethod.Post, $"projects/{id}/branches?branch_id=dev", new { spec = new { } }));
        Assert.Equal("INVALID_PARAMETER_VALUE", noExpiration.ErrorCode);
        Assert.Contains("no_expiry", noExpiration.ErrorMessage);

        var unsupportedVersion = await Assert.ThrowsAsync<ApiCallException>(() => Server.SendAsync(HttpMethod.Post, $"projects?project_id={id}-v", new { spec = new { pg_version = 9 } }));
        Assert.Equal(("INVALID_PARAMETER_VALUE", "pg_version 9 is not supported; supported versions: 16, 17."), (unsupportedVersion.ErrorCode, unsupportedVersion.ErrorMessage));

        var missing = await Assert.ThrowsAsync<ApiCallException>(() => Server.GetAsync($"projects/{id}/branches/nope"));
        Assert.Equal((404, "NOT_FOUND"), (missing.Status, missing.ErrorCode));
    }

    [Fact]
    public async Task The_root_a_protected_and_a_parent_branch_cannot_be_deleted()
    {
        var id = SharedServer.NewId("proj");
        await Server.CreateProjectAsync(id);

        var root = await Assert.ThrowsAsync<ApiCallException>(() => Server.SendAsync(HttpMethod.Delete, $"projects/{id}/branches/production", null));
        Assert.Equal((400, "BAD_REQUEST"), (root.Status, root.ErrorCode));
        Assert.Equal("MANAGED_BY_PARENT", root.Error["details"]![0]!["metadata"]!["declarative_context"]!.GetValue<string>());

        await Server.RunAsync(HttpMethod.Post, $"projects/{id}/branches?branch_id=guarded", new { spec = new { no_expiry = true, is_protected = true } });
        var guarded = await Assert.ThrowsAsync<ApiCallException>(() => Server.SendAsync(HttpMethod.Delete, $"projects/{id}/branches/guarded", null));
        Assert.Contains("protected", guarded.ErrorMessage);
        var project = await Assert.ThrowsAsync<ApiCallException>(() => Server.SendAsync(HttpMethod.Delete, $"projects/{id}", null));
        Assert.Contains("protected", project.ErrorMessage);

        await Server.RunAsync(HttpMethod.Patch, $"projects/{id}/branches/guarded?update_mask=spec.is_protected", new { spec = new { is_protected = false } });
        await Server.RunAsync(HttpMethod.Post, $"projects/{id}/branches?branch_id=child", new { spec = new { no_expiry = true, source_branch = $"projects/{id}/branches/guarded" } });
        var parent = await Assert.ThrowsAsync<ApiCallException>(() => Server.SendAsync(HttpMethod.Delete, $"projects/{id}/branches/guarded", null));
        Assert.Contains("child", parent.ErrorMessage);

        await Server.RunAsync(HttpMethod.Delete, $"projects/{id}/branches/child?purge=true");
        var deleted = await Server.RunAsync(HttpMethod.Delete, $"projects/{id}/branches/guarded?purge=true");
        Assert.Equal("type.googleapis.com/google.protobuf.Empty", deleted["@type"]!.GetValue<string>());
        await Assert.ThrowsAsync<ApiCallException>(() => Server.GetAsync($"projects/{id}/branches/guarded"));
    }

    [Fact]
    public async Task A_soft_deleted_branch_is_hidden_stopped_and_can_be_undeleted_with_its_data()
    {
        var id = SharedServer.NewId("proj");
        await Server.CreateProjectAsync(id);
        await Server.RunAsync(HttpMethod.Post, $"projects/{id}/branches?branch_id=dev", new { spec = new { ttl = "86400s" } });
        await Server.ExecuteAsync($"projects/{id}/branches/dev/endpoints/primary", "CREATE TABLE kept (id int); INSERT INTO kept VALUES (7)");

        await Server.RunAsync(HttpMethod.Delete, $"projects/{id}/branches/dev");
        var visible = await Server.GetAsync($"projects/{id}/branches");
        Assert.DoesNotContain(visible["branches"]!.AsArray(), b => b!["branch_id"]!.GetValue<string>() == "dev");
        var withDeleted = await Server.GetAsync($"projects/{id}/branches?show_deleted=true");
        var deleted = withDeleted["branches"]!.AsArray().Single(b => b!["branch_id"]!.GetValue<string>() == "dev")!;
        Assert.NotNull(deleted["status"]!["delete_time"]);
        Assert.NotNull(deleted["status"]!["purge_time"]);

        await Server.RunAsync(HttpMethod.Post, $"projects/{id}/branches/dev/undelete", new { });
        Assert.Equal(7, await Server.QueryAsync<int>($"projects/{id}/branches/dev/endpoints/primary", "SELECT id FROM kept"));
    }

    [Fact]
    public async Task An_expired_branch_is_deleted_by_the_server()
    {
        var id = SharedServer.NewId("proj");
        await Server.CreateProjectAsync(id);
        await Server.RunAsync(HttpMethod.Post, $"projects/{id}/branches?branch_id=short", new { spec = new { ttl = "1s" } });

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var branches = await Server.GetAsync($"projects/{id}/branches");
            if (!branches["branches"]!.AsArray().Any(b => b!["branch_id"]!.GetValue<string>() == "short")) break;
            Assert.True(DateTime.UtcNow < deadline, "the expired branch was not deleted");
            await Task.Delay(250);
        }
    }

    [Fact]
    public async Task Update_masks_are_checked_against_the_body()
    {
        var id = SharedServer.NewId("proj");
        await Server.CreateProjectAsync(id);

        var missing = await Assert.ThrowsAsync<ApiCallException>(() =>
            Server.SendAsync(HttpMethod.Patch, $"projects/{id}?update_mask=spec.display_name", new { spec = new { } }));
        Assert.Equal("INVALID_PARAMETER_VALUE", missing.ErrorCode);
        var unknown = await Assert.ThrowsAsync<ApiCallException>(() =>
            Server.SendAsync(HttpMethod.Patch, $"projects/{id}?update_mask=spec.colour", new { spec = new { colour = "red" } }));
        Assert.Equal("INVALID_PARAMETER_VALUE", unknown.ErrorCode);

        // Terraform's create-only mask entries are ignored; only masked paths change.
        var updated = await Server.RunAsync(HttpMethod.Patch, $"projects/{id}?update_mask=initial_branch_spec,spec.display_name",
            new { spec = new { display_name = "Renamed", history_retention_duration = "259200s" } });
        Assert.Equal("Renamed", updated["status"]!["display_name"]!.GetValue<string>());
        Assert.Equal("604800s", updated["status"]!["history_retention_duration"]!.GetValue<string>());
    }

    [Fact]
    public async Task Project_list_pages_with_tokens()
    {
        var prefix = SharedServer.NewId("page");
        for (var i = 0; i < 3; i++) await Server.SendAsync(HttpMethod.Post, $"projects?project_id={prefix}-{i}", new { spec = new { } });

        var names = new List<string>();
        string? token = null;
        do
        {
            var page = await Server.GetAsync($"projects?page_size=1{(token is null ? "" : "&page_token=" + Uri.EscapeDataString(token))}");
            names.AddRange(page["projects"]!.AsArray().Select(p => p!["project_id"]!.GetValue<string>()));
            token = page["next_page_token"]?.GetValue<string>();
        } while (token is not null);
        Assert.Equal(3, names.Count(n => n.StartsWith(prefix, StringComparison.Ordinal)));
        Assert.Equal(names.Count, names.Distinct().Count());
    }
}
