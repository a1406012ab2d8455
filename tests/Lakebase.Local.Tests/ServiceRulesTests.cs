using System.Text.Json.Nodes;
using Lakebase.Local.Postgres;
using Lakebase.Local.Compute;
using Npgsql;
using Xunit;

namespace Lakebase.Local.Tests;

/// <summary>
/// Lakebase Local refuses what the service refuses, with the service's error body, and accepts what it accepts: ids,
/// compute sizes, branch expiry and protection, branch counts, endpoints per branch; it reports what the service
/// reports (a deleted branch's state, a read-only endpoint's hosts, max_connections by size) and honours the
/// project create fields and allow_missing (lakebase-semantics.md §1, postgres-api.md §1.4, §2, §6).
/// </summary>
public sealed class ServiceRulesTests(SharedServer shared) : IClassFixture<SharedServer>
{
    private LocalServerProcess Server => shared.Server;
    private ProxyClient Client => new(shared.Server);

    private async Task<ApiCallException> RefusedAsync(HttpMethod method, string path, object? body, int status = 400, string code = "INVALID_PARAMETER_VALUE")
    {
        var refused = await Assert.ThrowsAsync<ApiCallException>(() => Server.SendAsync(method, path, body));
        Assert.Equal((status, code), (refused.Status, refused.ErrorCode));
        Assert.False(string.IsNullOrEmpty(refused.ErrorMessage));
        return refused;
    }

    private Task<JsonObject> BranchAsync(string projectId, string branchId, object spec) =>
        Server.RunAsync(HttpMethod.Post, $"projects/{projectId}/branches?branch_id={branchId}", new { spec });

    [Theory]
    [InlineData("projects?project_id=nl%0A", "project_id")]
    [InlineData("projects?project_id=Upper", "project_id")]
    public async Task An_id_that_is_not_entirely_valid_is_refused_even_when_only_a_final_newline_is_wrong(string path, string field)
    {
        var refused = await RefusedAsync(HttpMethod.Post, path, new { spec = new { } });
        Assert.StartsWith($"Field {field} must match pattern", refused.ErrorMessage);
    }

    [Fact]
    public async Task Role_and_database_ids_have_4_to_63_characters_and_the_ids_made_for_them_too()
    {
        var id = SharedServer.NewId("ids");
        await Server.CreateProjectAsync(id);
        var branch = $"projects/{id}/branches/production";

        var shortRole = await RefusedAsync(HttpMethod.Post, $"{branch}/roles?role_id=abc", new { spec = new { postgres_role = "abc" } });
        Assert.Equal("Field role_id must match pattern ^[a-z][a-z0-9-]{3,62}$, got 'abc'.", shortRole.ErrorMessage);
        await RefusedAsync(HttpMethod.Post, $"{branch}/roles?role_id=abcd%0A", new { spec = new { postgres_role = "abcd" } });
        await RefusedAsync(HttpMethod.Post, $"{branch}/databases?database_id=db1",
            new { spec = new { postgres_database = "db1", role = $"{branch}/roles/admin-lakebase-local" } });

        var role = await Server.RunAsync(HttpMethod.Post, $"{branch}/roles", new { spec = new { postgres_role = "ab" } });
        Assert.Equal("role-ab", role["role_id"]!.GetValue<string>());
        var database = await Server.RunAsync(HttpMethod.Post, $"{branch}/databases", new { spec = new { postgres_database = "x", role = role["name"]!.GetValue<string>() } });
        Assert.Equal("database-x", database["database_id"]!.GetValue<string>());
    }

    /// <summary>database_id follows the rule of other ids, as the service's own answer says (recorded:
    /// postgres_databases__live_errors__bad_database_id); a Postgres name longer than 63 bytes is refused, not cut
    /// short by PostgreSQL into a name the API does not list.</summary>
    [Fact]
    public async Task A_database_id_is_checked_as_the_service_checks_it_and_Postgres_names_fit_in_63_bytes()
    {
        var id = SharedServer.NewId("ids");
        await Server.CreateProjectAsync(id);
        var branch = $"projects/{id}/branches/production";
        var owner = $"{branch}/roles/admin-lakebase-local";

        var refused = await RefusedAsync(HttpMethod.Post, $"{branch}/databases?database_id=Invalid_DB_ID", new { spec = new { postgres_database = "x", role = owner } });
        Assert.Equal("Field database_id must match pattern ^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$, got 'Invalid_DB_ID'.", refused.ErrorMessage);
        await RefusedAsync(HttpMethod.Post, $"{branch}/databases?database_id=app-db-", new { spec = new { postgres_database = "x", role = owner } });

        var tooLong = new string('r', 62) + "é"; // 63 characters, 64 bytes
        Assert.Contains("63 bytes", (await RefusedAsync(HttpMethod.Post, $"{branch}/roles", new { spec = new { postgres_role = tooLong } })).ErrorMessage);
        Assert.Contains("63 bytes", (await RefusedAsync(HttpMethod.Post, $"{branch}/databases", new { spec = new { postgres_database = tooLong, role = owner } })).ErrorMessage);
        var longest = new string('r', 63);
        var role = await Server.RunAsync(HttpMethod.Post, $"{branch}/roles", new { spec = new { postgres_role = longest } });
        Assert.Equal(longest, role["status"]!["postgres_role"]!.GetValue<string>());
        await using var connection = await Server.ConnectAsync($"{branch}/endpoints/primary");
        await using var inPostgres = new NpgsqlCommand("SELECT rolname::text FROM pg_roles WHERE rolname = $1", connection) { Parameters = { new() { Value = longest } } };
        Assert.Equal(longest, await inPostgres.ExecuteScalarAsync());
    }

    [Fact]
    public async Task A_soft_deleted_branch_reports_DELETED_and_READY_again_once_undeleted()
    {
        var id = SharedServer.NewId("del");
        await Server.CreateProjectAsync(id);
        await BranchAsync(id, "dev", new { ttl = "3600s" });

        await Server.RunAsync(HttpMethod.Delete, $"projects/{id}/branches/dev");
        var deleted = await Server.GetAsync($"projects/{id}/branches/dev");
        Assert.Equal("DELETED", deleted["status"]!["current_state"]!.GetValue<string>());
        Assert.NotNull(deleted["status"]!["delete_time"]);

        await Server.RunAsync(HttpMethod.Post, $"projects/{id}/branches/dev/undelete", new { });
        Assert.Equal("READY", (await Server.GetAsync($"projects/{id}/branches/dev"))["status"]!["current_state"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_read_only_endpoint_always_has_a_read_only_host_and_a_branch_has_one_read_write_endpoint()
    {
        var id = SharedServer.NewId("ro");
        await Server.CreateProjectAsync(id);
        var branch = $"projects/{id}/branches/production";

        var replica = await Server.RunAsync(HttpMethod.Post, $"{branch}/endpoints?endpoint_id=replica", new { spec = new { endpoint_type = "ENDPOINT_TYPE_READ_ONLY" } });
        var hosts = replica["status"]!["hosts"]!;
        Assert.Equal(hosts["host"]!.GetValue<string>(), hosts["read_only_host"]!.GetValue<string>());
        Assert.Equal(hosts["host"]!.GetValue<string>(), (await Server.GetAsync($"{branch}/endpoints/replica"))["status"]!["hosts"]!["read_only_host"]!.GetValue<string>());
        Assert.Null((await Server.GetAsync($"{branch}/endpoints/primary"))["status"]!["hosts"]!["read_only_host"]);

        var second = await RefusedAsync(HttpMethod.Post, $"{branch}/endpoints?endpoint_id=second", new { spec = new { endpoint_type = "ENDPOINT_TYPE_READ_WRITE" } }, code: "BAD_REQUEST");
        Assert.Contains("only one", second.ErrorMessage);
    }

    public static TheoryData<double, double> AcceptedSizes => new()
    {
        { 0.5, 0.5 }, { 0.5, 16.5 }, { 48, 64 }, { 65, 65 }, { 112, 112 },
    };

    public static TheoryData<double, double, string> RefusedSizes => new()
    {
        { 0.25, 1, "multiple of 0.5 between 0.5 and 112" },
        { 1, 18, "spans more than 16 CU" },
        { 56, 72, "at most 64 CU for an autoscaling range" },
        { 64.5, 64.5, "whole number" },
        { 113, 113, "between 0.5 and 112" },
        { 4, 2, "must not exceed" },
    };

    [Fact]
    public async Task Compute_sizes_follow_the_services_newest_rules_autoscaling_to_64_CU_spanning_16_and_fixed_sizes_to_112()
    {
        var id = SharedServer.NewId("cu");
        await Server.CreateProjectAsync(id);
        const string mask = "spec.default_endpoint_settings.autoscaling_limit_min_cu,spec.default_endpoint_settings.autoscaling_limit_max_cu";
        object Sizes(double min, double max) => new { spec = new { default_endpoint_settings = new { autoscaling_limit_min_cu = min, autoscaling_limit_max_cu = max } } };

        foreach (var (min, max) in AcceptedSizes.Select(row => ((double)row[0], (double)row[1])))
        {
            var project = await Server.RunAsync(HttpMethod.Patch, $"projects/{id}?update_mask={mask}", Sizes(min, max));
            Assert.Equal(max, project["status"]!["default_endpoint_settings"]!["autoscaling_limit_max_cu"]!.GetValue<double>());
        }
        foreach (var (min, max, message) in RefusedSizes.Select(row => ((double)row[0], (double)row[1], (string)row[2])))
            Assert.Contains(message, (await RefusedAsync(HttpMethod.Patch, $"projects/{id}?update_mask={mask}", Sizes(min, max))).ErrorMessage);
        // Endpoints follow the same rules.
        Assert.Contains("spans more than 16 CU", (await RefusedAsync(HttpMethod.Patch,
            $"projects/{id}/branches/production/endpoints/primary?update_mask=spec.autoscaling_limit_min_cu,spec.autoscaling_limit_max_cu",
            new { spec = new { autoscaling_limit_min_cu = 0.5, autoscaling_limit_max_cu = 17 } })).ErrorMessage);
    }

    [Fact]
    public async Task Max_connections_keeps_the_services_ratio_between_sizes_and_its_cap()
    {
        // The service: 0.5 CU 104, 1 CU 209, 8 CU 1,678, 16 CU 3,357, 4,000 from about 19 CU on (semantics §1.2);
        // scaled down, each size keeps its ratio to 1 CU within rounding.
        foreach (var (cu, service) in new[] { (0.5, 104), (8, 1678), (16, 3357), (24, 4000), (112, 4000) })
            Assert.InRange((double)ComputeSize.MaxConnections(cu) / ComputeSize.MaxConnections(1), service / 209.0 * 0.98, service / 209.0 * 1.02);
        Assert.Equal(ComputeSize.MaxConnections(24), ComputeSize.MaxConnections(112));

        var id = SharedServer.NewId("conn");
        await Server.CreateProjectAsync(id, new { default_endpoint_settings = new { autoscaling_limit_min_cu = 0.5, autoscaling_limit_max_cu = 2 } });
        var setting = await Server.QueryAsync<string>($"projects/{id}/branches/production/endpoints/primary", "SHOW max_connections");
        Assert.Equal(ComputeSize.MaxConnections(2).ToString(System.Globalization.CultureInfo.InvariantCulture), setting);
    }

    [Fact]
    public async Task Branch_expiry_is_at_most_30_days_and_protected_default_and_parent_branches_cannot_expire()
    {
        var id = SharedServer.NewId("ttl");
        await Server.CreateProjectAsync(id);
        var branches = $"projects/{id}/branches";

        Assert.Contains("at most", (await RefusedAsync(HttpMethod.Post, $"{branches}?branch_id=long", new { spec = new { ttl = $"{31 * 86400}s" } })).ErrorMessage);
        Assert.Contains("at most", (await RefusedAsync(HttpMethod.Post, $"{branches}?branch_id=long",
            new { spec = new { expire_time = DateTimeOffset.UtcNow.AddDays(31).ToString("O") } })).ErrorMessage);
        Assert.Contains("protected", (await RefusedAsync(HttpMethod.Post, $"{branches}?branch_id=guarded", new { spec = new { ttl = "3600s", is_protected = true } })).ErrorMessage);
        await BranchAsync(id, "month", new { ttl = $"{30 * 86400}s" });

        const string expiration = "update_mask=spec.expiration";
        Assert.Contains("default branch", (await RefusedAsync(HttpMethod.Patch, $"{branches}/production?{expiration}", new { spec = new { ttl = "3600s" } })).ErrorMessage);
        await BranchAsync(id, "parent", new { no_expiry = true });
        await BranchAsync(id, "child", new { no_expiry = true, source_branch = $"{branches}/parent" });
        Assert.Contains("child branches", (await RefusedAsync(HttpMethod.Patch, $"{branches}/parent?{expiration}", new { spec = new { ttl = "3600s" } })).ErrorMessage);
        await Server.RunAsync(HttpMethod.Patch, $"{branches}/child?{expiration}", new { spec = new { ttl = "3600s" } });

        // An expiring branch cannot become the default branch either.
        Assert.Contains("cannot expire", (await RefusedAsync(HttpMethod.Patch, $"projects/{id}?update_mask=spec.default_branch",
            new { spec = new { default_branch = $"{branches}/month" } })).ErrorMessage);
    }

    /// <summary>An empty mask means every updatable field the body carries (postgres-api.md), and a create with
    /// replace_existing updates the same way: expiry and suspension too, which are oneof groups (recorded from the
    /// service: postgres_endpoints__replace_existing).</summary>
    [Fact]
    public async Task An_update_without_a_mask_and_a_replacing_create_change_expiry_and_suspension_too()
    {
        var id = SharedServer.NewId("mask");
        await Server.CreateProjectAsync(id);
        var branches = $"projects/{id}/branches";
        await BranchAsync(id, "dev", new { ttl = "3600s" });

        await Server.RunAsync(HttpMethod.Patch, $"{branches}/dev", new { spec = new { no_expiry = true } });
        Assert.Null((await Server.GetAsync($"{branches}/dev"))["status"]!["expire_time"]);
        await Server.RunAsync(HttpMethod.Post, $"{branches}?branch_id=dev&replace_existing=true", new { spec = new { ttl = "7200s" } });
        Assert.NotNull((await Server.GetAsync($"{branches}/dev"))["status"]!["expire_time"]);

        await Server.RunAsync(HttpMethod.Post, $"{branches}/production/endpoints?endpoint_id=primary&replace_existing=true",
            new { spec = new { endpoint_type = "ENDPOINT_TYPE_READ_WRITE", autoscaling_limit_min_cu = 0.5, autoscaling_limit_max_cu = 2, suspend_timeout_duration = "600s" } });
        Assert.Equal("600s", (await Server.GetAsync($"{branches}/production/endpoints/primary"))["status"]!["suspend_timeout_duration"]!.GetValue<string>());
    }

    /// <summary>The database and role a project is made with are its implicit children (postgres-api.md §6 item 12):
    /// deleting one on its own is the service's 400 with MANAGED_BY_PARENT; a child branch's copies are its own.</summary>
    [Fact]
    public async Task The_database_and_role_a_project_is_made_with_go_only_with_it()
    {
        var id = SharedServer.NewId("implicit");
        await Server.CreateProjectAsync(id);
        var production = $"projects/{id}/branches/production";
        var owner = (await Server.GetAsync($"{production}/roles"))["roles"]!.AsArray().Single()!["name"]!.GetValue<string>();

        foreach (var implicitChild in new[] { $"{production}/databases/databricks-postgres", owner })
        {
            var refused = await RefusedAsync(HttpMethod.Delete, implicitChild, null, code: "BAD_REQUEST");
            Assert.Equal("MANAGED_BY_PARENT", refused.Error["details"]![0]!["metadata"]!["declarative_context"]!.GetValue<string>());
        }
        Assert.Equal("databricks_postgres", (await Server.GetAsync($"{production}/databases/databricks-postgres"))["status"]!["postgres_database"]!.GetValue<string>());

        await BranchAsync(id, "dev", new { no_expiry = true });
        await Server.RunAsync(HttpMethod.Delete, $"projects/{id}/branches/dev/databases/databricks-postgres", null);
        await Server.RunAsync(HttpMethod.Delete, $"projects/{id}?purge=true", null);
        await Server.CreateProjectAsync(id);
        await RefusedAsync(HttpMethod.Delete, $"{production}/databases/databricks-postgres", null, code: "BAD_REQUEST");
    }

    /// <summary>The default branch cannot be deleted (lakebase-semantics.md §1.5), whichever branch it is.</summary>
    [Fact]
    public async Task The_default_branch_cannot_be_deleted_until_another_is_the_default()
    {
        var id = SharedServer.NewId("default");
        await Server.CreateProjectAsync(id);
        var branches = $"projects/{id}/branches";
        await BranchAsync(id, "main", new { no_expiry = true });
        await Server.RunAsync(HttpMethod.Patch, $"projects/{id}?update_mask=spec.default_branch", new { spec = new { default_branch = $"{branches}/main" } });

        Assert.Contains("default branch", (await RefusedAsync(HttpMethod.Delete, $"{branches}/main", null, code: "BAD_REQUEST")).ErrorMessage);
        await Server.RunAsync(HttpMethod.Patch, $"projects/{id}?update_mask=spec.default_branch", new { spec = new { default_branch = $"{branches}/production" } });
        await Server.RunAsync(HttpMethod.Delete, $"{branches}/main", null);
    }

    [Fact]
    public async Task A_project_has_one_protected_branch_and_at_most_10_unarchived_branches()
    {
        var id = SharedServer.NewId("cap");
        await Server.CreateProjectAsync(id);
        var branches = $"projects/{id}/branches";

        await BranchAsync(id, "guarded", new { no_expiry = true, is_protected = true });
        Assert.Contains("protected branch", (await RefusedAsync(HttpMethod.Post, $"{branches}?branch_id=guarded-too", new { spec = new { no_expiry = true, is_protected = true } },
            code: "BAD_REQUEST")).ErrorMessage);
        await BranchAsync(id, "open", new { no_expiry = true });
        Assert.Contains("protected branch", (await RefusedAsync(HttpMethod.Patch, $"{branches}/open?update_mask=spec.is_protected", new { spec = new { is_protected = true } },
            code: "BAD_REQUEST")).ErrorMessage);

        // production, guarded, open and seven more make ten; a soft-deleted branch does not count.
        for (var i = 0; i < 7; i++) await BranchAsync(id, $"b{i}", new { ttl = "3600s" });
        await RefusedAsync(HttpMethod.Post, $"{branches}?branch_id=eleventh", new { spec = new { ttl = "3600s" } }, code: "BAD_REQUEST");
        await Server.RunAsync(HttpMethod.Delete, $"{branches}/b0");
        await BranchAsync(id, "eleventh", new { ttl = "3600s" });
    }

    /// <summary>The service's limits on projects per workspace (1,000) and roles and databases per branch (500 each),
    /// here lowered by the test flags: one more is a 400 saying which limit, and a deleted one makes room.</summary>
    [Fact]
    public async Task A_workspace_has_at_most_its_limit_of_projects_and_a_branch_of_roles_and_databases()
    {
        await using var server = await LocalServerProcess.StartAsync("--max-projects", "2", "--max-roles-per-branch", "3", "--max-databases-per-branch", "2");
        async Task<string?> RefusalAsync(string path, object body)
        {
            var refused = await Assert.ThrowsAsync<ApiCallException>(() => server.SendAsync(HttpMethod.Post, path, body));
            Assert.Equal((400, "BAD_REQUEST"), (refused.Status, refused.ErrorCode));
            return refused.ErrorMessage;
        }
        await server.CreateProjectAsync("first");
        var production = "projects/first/branches/production";

        // The project's own role and database count: two roles more, and one database more.
        foreach (var role in new[] { "role-one", "role-two" })
            await server.RunAsync(HttpMethod.Post, $"{production}/roles?role_id={role}", new { spec = new { postgres_role = role } });
        Assert.Contains("3 roles", await RefusalAsync($"{production}/roles?role_id=role-three", new { spec = new { postgres_role = "role-three" } }));
        await server.RunAsync(HttpMethod.Delete, $"{production}/roles/role-one");
        await server.RunAsync(HttpMethod.Post, $"{production}/roles?role_id=role-three", new { spec = new { postgres_role = "role-three" } });

        var owner = $"{production}/roles/role-two";
        await server.RunAsync(HttpMethod.Post, $"{production}/databases?database_id=db-one", new { spec = new { postgres_database = "db_one", role = owner } });
        Assert.Contains("2 databases", await RefusalAsync($"{production}/databases?database_id=db-two", new { spec = new { postgres_database = "db_two", role = owner } }));

        await server.CreateProjectAsync("second");
        Assert.Contains("2 projects", await RefusalAsync("projects?project_id=third", new { spec = new { display_name = "third" } }));
        await server.RunAsync(HttpMethod.Delete, "projects/second");
        await server.CreateProjectAsync("third");
    }

    [Fact]
    public async Task A_project_is_made_with_the_initial_role_and_database_asked_for_and_keeps_its_tags_and_budget_policy()
    {
        var id = SharedServer.NewId("init");
        var project = await Server.RunAsync(HttpMethod.Post, $"projects?project_id={id}", new
        {
            spec = new { custom_tags = new[] { new { key = "team", value = "data" } }, budget_policy_id = "policy-1" },
            initial_role_spec = new { postgres_role = "app_owner", attributes = new { createdb = true } },
            initial_database_spec = new { postgres_database = "app" },
        });
        Assert.Equal("data", project["status"]!["custom_tags"]![0]!["value"]!.GetValue<string>());
        Assert.Equal("policy-1", project["status"]!["budget_policy_id"]!.GetValue<string>());
        var fetched = await Server.GetAsync($"projects/{id}");
        Assert.Equal("team", fetched["status"]!["custom_tags"]![0]!["key"]!.GetValue<string>());
        Assert.Equal("policy-1", fetched["status"]!["budget_policy_id"]!.GetValue<string>());

        var branch = $"projects/{id}/branches/production";
        var role = Assert.Single((await Server.GetAsync($"{branch}/roles"))["roles"]!.AsArray())!;
        Assert.Equal("app_owner", role["status"]!["postgres_role"]!.GetValue<string>());
        Assert.Equal("PG_PASSWORD_SCRAM_SHA_256", role["status"]!["auth_method"]!.GetValue<string>());
        var database = Assert.Single((await Server.GetAsync($"{branch}/databases"))["databases"]!.AsArray())!;
        Assert.Equal(("app", role["name"]!.GetValue<string>()), (database["status"]!["postgres_database"]!.GetValue<string>(), database["status"]!["role"]!.GetValue<string>()));
        Assert.Equal("app_owner", await Server.QueryAsync<string>($"{branch}/endpoints/primary",
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'app'", database: "app"));
    }

    [Fact]
    public async Task Deleting_with_allow_missing_succeeds_for_a_missing_project_or_branch_and_without_it_is_not_found()
    {
        var id = SharedServer.NewId("gone");
        await RefusedAsync(HttpMethod.Delete, $"projects/{id}", null, 404, "NOT_FOUND");
        var project = await Server.RunAsync(HttpMethod.Delete, $"projects/{id}?allow_missing=true");
        Assert.Equal("type.googleapis.com/google.protobuf.Empty", project["@type"]!.GetValue<string>());

        await Server.CreateProjectAsync(id);
        await RefusedAsync(HttpMethod.Delete, $"projects/{id}/branches/nope", null, 404, "NOT_FOUND");
        var branch = await Server.RunAsync(HttpMethod.Delete, $"projects/{id}/branches/nope?allow_missing=true");
        Assert.Equal("type.googleapis.com/google.protobuf.Empty", branch["@type"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_credential_scoped_to_reading_tables_reads_those_and_nothing_else_and_writes_nothing()
    {
        var (endpoint, host) = await Client.NewProjectAsync();
        await Server.ExecuteAsync(endpoint, "CREATE TABLE visible (id int); INSERT INTO visible VALUES (1), (2); CREATE TABLE hidden (id int)");

        var token = (await Server.SendAsync(HttpMethod.Post, "credentials", new JsonObject
        {
            ["endpoint"] = endpoint,
            ["claims"] = new JsonArray(new JsonObject { ["permission_set"] = "READ_ONLY", ["resources"] = new JsonArray(new JsonObject { ["table_name"] = "app.public.visible" }) }),
        }))["token"]!.GetValue<string>();
        await using var scoped = Client.Connection(host, token);
        await scoped.OpenAsync();
        async Task<object?> Run(string sql)
        {
            await using var command = new NpgsqlCommand(sql, scoped);
            return await command.ExecuteScalarAsync();
        }
        Assert.Equal(2L, await Run("SELECT count(*) FROM visible"));
        Assert.Equal("42501", (await Assert.ThrowsAsync<PostgresException>(() => Run("SELECT count(*) FROM hidden"))).SqlState);
        Assert.Equal("25006", (await Assert.ThrowsAsync<PostgresException>(() => Run("INSERT INTO visible VALUES (3)"))).SqlState);
        // Turning read-only transactions off does not help: the session's role may only read.
        await Run("SET default_transaction_read_only = off");
        Assert.Equal("42501", (await Assert.ThrowsAsync<PostgresException>(() => Run("INSERT INTO visible VALUES (3)"))).SqlState);
        Assert.Equal(2L, await Server.QueryAsync<long>(endpoint, "SELECT count(*) FROM visible"));

        await RefusedAsync(HttpMethod.Post, "credentials", new JsonObject
        {
            ["endpoint"] = endpoint,
            ["claims"] = new JsonArray(new JsonObject { ["permission_set"] = "READ_ONLY", ["resources"] = new JsonArray(new JsonObject { ["table_name"] = "visible" }) }),
        });
    }

    [Fact]
    public async Task A_credential_for_a_group_logs_in_as_the_groups_role()
    {
        var (endpoint, host) = await Client.NewProjectAsync();
        var branch = endpoint[..endpoint.IndexOf("/endpoints/", StringComparison.Ordinal)];
        await RefusedAsync(HttpMethod.Post, "credentials", new { endpoint, group_name = "analysts" });
        await Server.RunAsync(HttpMethod.Post, $"{branch}/roles", new { spec = new { postgres_role = "analysts", identity_type = "GROUP", auth_method = "LAKEBASE_OAUTH_V1" } });

        var token = (await Server.SendAsync(HttpMethod.Post, "credentials", new { endpoint, group_name = "analysts" }))["token"]!.GetValue<string>();
        await using (var group = Client.Connection(host, token, user: "analysts"))
        {
            await group.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT current_user", group);
            Assert.Equal("analysts", await command.ExecuteScalarAsync());
        }
        // The credential is the group's: it does not log the member in as themselves.
        await using var asMember = Client.Connection(host, token);
        Assert.Equal("28P01", (await Assert.ThrowsAsync<PostgresException>(() => asMember.OpenAsync())).SqlState);
    }
}
