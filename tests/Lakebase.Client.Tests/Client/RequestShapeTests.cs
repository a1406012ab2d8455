using System.Net;
using Lakebase.Contract.Models;
using Xunit;

namespace Lakebase.Client.Tests.Client;

/// <summary>Every CRUD call sends exactly what the Databricks CLI sent to the real service (Fixtures/).</summary>
public class RequestShapeTests
{
    private const string Operation = """{"name":"projects/test-pg-proj-u1/operations/abc","done":false}""";
    private const string Main = Fixtures.Project + "/branches/main";

    private static async Task<RecordedRequest> SendOne(Func<LakebaseClient, Task> call, string answer = Operation)
    {
        var handler = new RecordingHandler(_ => Http.Json(answer));
        using var client = await TestClient.ConnectAsync(handler);
        await call(client);
        return Assert.Single(handler.Requests);
    }

    [Fact]
    public async Task Create_project_posts_the_bare_project_with_project_id()
    {
        var request = await SendOne(c => c.CreateProjectAsync("test-pg-proj-u1", new Project
        {
            Spec = new ProjectSpec
            {
                DisplayName = "Test Postgres Project",
                PgVersion = 16,
                HistoryRetentionDuration = TimeSpan.FromDays(7),
                EnablePgNativeLogin = false,
                DefaultEndpointSettings = new ProjectDefaultEndpointSettings
                {
                    AutoscalingLimitMinCu = 0.5, AutoscalingLimitMaxCu = 4, SuspendTimeoutDuration = TimeSpan.FromSeconds(300),
                },
            },
        }));
        Fixtures.AssertSame(Fixtures.Find("projects__basic.out.requests.json", "POST"), request);
    }

    [Fact]
    public async Task Update_project_sends_update_mask_as_query_and_the_project_as_body()
    {
        var request = await SendOne(c => c.UpdateProjectAsync(Fixtures.Project, new Project
        {
            Spec = new ProjectSpec
            {
                DisplayName = "Original Name",
                PgVersion = 16,
                HistoryRetentionDuration = TimeSpan.FromSeconds(604800),
                DefaultEndpointSettings = new ProjectDefaultEndpointSettings
                {
                    AutoscalingLimitMinCu = 0.5, AutoscalingLimitMaxCu = 4, SuspendTimeoutDuration = TimeSpan.FromSeconds(300),
                },
            },
        }, ["spec.display_name"]));
        Fixtures.AssertSame(Fixtures.Find("projects__update_display_name.out.requests.restore.direct.json", "PATCH"), request);
        Assert.Equal("update_mask=spec.display_name", request.RawQuery);
    }

    [Fact]
    public async Task Delete_project_soft_and_purge()
    {
        const string file = "projects__purge_on_delete.out.requests.destroy.json";
        Fixtures.AssertSame(Fixtures.Find(file, "DELETE", "/api/2.0/postgres/projects/test-pg-proj-soft-u1"),
            await SendOne(c => c.DeleteProjectAsync("projects/test-pg-proj-soft-u1")));
        Fixtures.AssertSame(Fixtures.Find(file, "DELETE", "/api/2.0/postgres/projects/test-pg-proj-hard-u1"),
            await SendOne(c => c.DeleteProjectAsync("projects/test-pg-proj-hard-u1", purge: true)));
    }

    [Fact]
    public async Task Undelete_posts_an_empty_object()
    {
        var request = await SendOne(c => c.UndeleteProjectAsync(Fixtures.Project));
        Assert.Equal("POST", request.Method);
        Assert.Equal("/api/2.0/postgres/projects/test-pg-proj-u1/undelete", request.Path);
        Assert.Equal("{}", request.Body);
        Assert.Equal("application/json", request.Header("Content-Type"));

        request = await SendOne(c => c.UndeleteBranchAsync(Main));
        Assert.Equal("/api/2.0/postgres/projects/test-pg-proj-u1/branches/main/undelete", request.Path);
        Assert.Equal("{}", request.Body);
    }

    [Fact]
    public async Task Get_puts_the_name_raw_into_the_path()
    {
        var request = await SendOne(c => c.GetEndpointAsync(Main + "/endpoints/primary"), """{"name":"x"}""");
        Assert.Equal("GET", request.Method);
        Assert.Equal("/api/2.0/postgres/projects/test-pg-proj-u1/branches/main/endpoints/primary", request.Path);
        Assert.Equal("", request.RawQuery);
        Assert.Null(request.Body);
        Assert.Null(request.Header("Content-Type"));
    }

    [Fact]
    public async Task Create_branch_with_and_without_replace_existing()
    {
        Fixtures.AssertSame(Fixtures.Find("branches__basic.out.requests.direct.json", "POST", $"/api/2.0/postgres/{Fixtures.Project}/branches"),
            await SendOne(c => c.CreateBranchAsync(Fixtures.Project, "main", new Branch { Spec = new BranchSpec { NoExpiry = true } })));
        Fixtures.AssertSame(Fixtures.Find("branches__replace_existing.out.requests.deploy.direct.json", "POST", $"/api/2.0/postgres/{Fixtures.Project}/branches"),
            await SendOne(c => c.CreateBranchAsync(Fixtures.Project, "production", new Branch { Spec = new BranchSpec { NoExpiry = true } }, replaceExisting: true)));
    }

    [Fact]
    public async Task Update_and_delete_branch()
    {
        Fixtures.AssertSame(Fixtures.Find("branches__update_protected.out.requests.restore.direct.json", "PATCH"),
            await SendOne(c => c.UpdateBranchAsync(Fixtures.Project + "/branches/dev-branch",
                new Branch { Spec = new BranchSpec { IsProtected = false, NoExpiry = true } }, ["spec.is_protected"])));
        const string destroy = "branches__purge_on_delete.out.requests.destroy.json";
        Fixtures.AssertSame(Fixtures.Find(destroy, "DELETE", $"/api/2.0/postgres/{Fixtures.Project}/branches/test-pg-branch-hard-u1"),
            await SendOne(c => c.DeleteBranchAsync(Fixtures.Project + "/branches/test-pg-branch-hard-u1", purge: true)));
        Fixtures.AssertSame(Fixtures.Find(destroy, "DELETE", $"/api/2.0/postgres/{Fixtures.Project}/branches/test-pg-branch-soft-u1"),
            await SendOne(c => c.DeleteBranchAsync(Fixtures.Project + "/branches/test-pg-branch-soft-u1")));
    }

    [Fact]
    public async Task Create_update_delete_endpoint()
    {
        Fixtures.AssertSame(Fixtures.Find("endpoints__basic.out.requests.direct.json", "POST", $"/api/2.0/postgres/{Main}/endpoints"),
            await SendOne(c => c.CreateEndpointAsync(Main, "custom", new Endpoint
            {
                Spec = new EndpointSpec { AutoscalingLimitMinCu = 0.5, AutoscalingLimitMaxCu = 2, EndpointType = "ENDPOINT_TYPE_READ_ONLY" },
            })));
        Fixtures.AssertSame(Fixtures.Find("endpoints__replace_existing.out.requests.deploy.direct.json", "POST", $"/api/2.0/postgres/{Fixtures.Project}/branches/develop/endpoints"),
            await SendOne(c => c.CreateEndpointAsync(Fixtures.Project + "/branches/develop", "primary", new Endpoint
            {
                Spec = new EndpointSpec
                {
                    AutoscalingLimitMinCu = 0.5, AutoscalingLimitMaxCu = 4, EndpointType = "ENDPOINT_TYPE_READ_WRITE", SuspendTimeoutDuration = TimeSpan.FromMinutes(10),
                },
            }, replaceExisting: true)));
        Fixtures.AssertSame(Fixtures.Find("endpoints__update_autoscaling.out.requests.update.direct.json", "PATCH"),
            await SendOne(c => c.UpdateEndpointAsync(Main + "/endpoints/my-endpoint", new Endpoint
            {
                Spec = new EndpointSpec
                {
                    AutoscalingLimitMinCu = 0.5, AutoscalingLimitMaxCu = 4, EndpointType = "ENDPOINT_TYPE_READ_ONLY", SuspendTimeoutDuration = TimeSpan.FromSeconds(300),
                },
            }, ["spec.autoscaling_limit_max_cu"])));
        Fixtures.AssertSame(Fixtures.Find("endpoints__replace_existing.out.requests.destroy.direct.json", "DELETE", $"/api/2.0/postgres/{Fixtures.Project}/branches/develop/endpoints/primary"),
            await SendOne(c => c.DeleteEndpointAsync(Fixtures.Project + "/branches/develop/endpoints/primary")));
    }

    [Fact]
    public async Task Create_update_delete_role()
    {
        Fixtures.AssertSame(Fixtures.Find("roles__basic.out.requests.direct.json", "POST", $"/api/2.0/postgres/{Main}/roles"),
            await SendOne(c => c.CreateRoleAsync(Main, "test-role", new Role
            {
                Spec = new RoleSpec { PostgresRole = "app_role", Attributes = new RoleAttributes { Createdb = true } },
            })));
        Fixtures.AssertSame(Fixtures.Find("roles__replace_existing.out.requests.deploy.direct.json", "POST", $"/api/2.0/postgres/{Main}/roles"),
            await SendOne(c => c.CreateRoleAsync(Main, "test-role", new Role { Spec = new RoleSpec { PostgresRole = "app_role" } }, replaceExisting: true)));
        Fixtures.AssertSame(Fixtures.Find("roles__update.out.requests.restore.direct.json", "PATCH"),
            await SendOne(c => c.UpdateRoleAsync(Main + "/roles/test-role", new Role
            {
                Spec = new RoleSpec { PostgresRole = "app_role", Attributes = new RoleAttributes { Createdb = false } },
            }, ["spec.attributes.createdb"])));

        var withoutId = await SendOne(c => c.CreateRoleAsync(Main, null, new Role { Spec = new RoleSpec { PostgresRole = "r" } }));
        Assert.Empty(withoutId.Query);

        var delete = await SendOne(c => c.DeleteRoleAsync(Main + "/roles/test-role", reassignOwnedTo: Main + "/roles/app-owner"));
        Assert.Equal("DELETE", delete.Method);
        Assert.Equal($"/api/2.0/postgres/{Main}/roles/test-role", delete.Path);
        Assert.Equal(Main + "/roles/app-owner", delete.Query["reassign_owned_to"]);
        Assert.Empty((await SendOne(c => c.DeleteRoleAsync(Main + "/roles/test-role"))).Query);
    }

    [Fact]
    public async Task Create_update_delete_database()
    {
        var spec = new DatabaseSpec { PostgresDatabase = "app_db", Role = Main + "/roles/app-owner" };
        Fixtures.AssertSame(Fixtures.Find("databases__basic.out.requests.direct.json", "POST", $"/api/2.0/postgres/{Main}/databases"),
            await SendOne(c => c.CreateDatabaseAsync(Main, "my-database", new Database { Spec = spec })));
        Fixtures.AssertSame(Fixtures.Find("databases__replace_existing.out.requests.deploy.direct.json", "POST", $"/api/2.0/postgres/{Main}/databases"),
            await SendOne(c => c.CreateDatabaseAsync(Main, "my-database", new Database { Spec = spec }, replaceExisting: true)));
        Fixtures.AssertSame(Fixtures.Find("databases__update.out.requests.restore.direct.json", "PATCH"),
            await SendOne(c => c.UpdateDatabaseAsync(Main + "/databases/my-database", new Database
            {
                Spec = new DatabaseSpec { PostgresDatabase = "initial_db_name", Role = Main + "/roles/app-owner" },
            }, ["spec.postgres_database"])));
        var delete = await SendOne(c => c.DeleteDatabaseAsync(Main + "/databases/my-database"));
        Assert.Equal(("DELETE", $"/api/2.0/postgres/{Main}/databases/my-database", ""), (delete.Method, delete.Path, delete.RawQuery));
    }

    [Fact]
    public async Task Update_mask_with_several_paths_is_one_comma_joined_percent_encoded_parameter()
    {
        var request = await SendOne(c => c.UpdateEndpointAsync(Main + "/endpoints/e", new Endpoint { Spec = new EndpointSpec() },
            ["spec.autoscaling_limit_min_cu", "spec.autoscaling_limit_max_cu"]));
        Assert.Equal("update_mask=spec.autoscaling_limit_min_cu%2Cspec.autoscaling_limit_max_cu", request.RawQuery);
        Assert.Equal("spec.autoscaling_limit_min_cu,spec.autoscaling_limit_max_cu", request.Query["update_mask"]);
    }

    [Fact]
    public async Task Operation_names_are_sent_back_untouched()
    {
        const string name = "projects/p/branches/b/operations/ab+c/d=e==";
        var request = await SendOne(c => c.GetOperationAsync(name), """{"name":"x","done":true,"response":{}}""");
        Assert.Equal("/api/2.0/postgres/" + name, request.Path);
    }

    [Fact]
    public async Task Generate_database_credential_posts_to_credentials()
    {
        var handler = new RecordingHandler(_ => Http.Json("""{"token":"jwt-token","expire_time":"2026-06-29T12:00:00Z"}"""));
        using var client = await TestClient.ConnectAsync(handler);
        var credential = await client.GenerateDatabaseCredentialAsync(new DatabaseCredentialRequest { Endpoint = Main + "/endpoints/primary" });
        var request = Assert.Single(handler.Requests);
        Assert.Equal(("POST", "/api/2.0/postgres/credentials"), (request.Method, request.Path));
        JsonAssert.Equal(System.Text.Json.Nodes.JsonNode.Parse($$"""{"endpoint":"{{Main}}/endpoints/primary"}"""), request.Json);
        Assert.Equal("jwt-token", credential.Token);
        Assert.Equal(new DateTimeOffset(2026, 6, 29, 12, 0, 0, TimeSpan.Zero), credential.ExpireTime);
    }

    [Fact]
    public async Task Every_call_carries_the_sdk_headers()
    {
        var handler = new RecordingHandler(_ => Http.Json(Operation));
        using var client = await TestClient.ConnectAsync(handler, new LakebaseConfig { Host = TestClient.Host, Token = TestClient.Token, WorkspaceId = "1234567890" });
        await client.CreateBranchAsync(Fixtures.Project, "b", new Branch { Spec = new BranchSpec { NoExpiry = true } });
        await client.GetProjectAsync(Fixtures.Project);
        foreach (var request in handler.AllRequests)
        {
            Assert.Equal("application/json", request.Header("Accept"));
            Assert.Equal("Bearer " + TestClient.Token, request.Header("Authorization"));
            Assert.StartsWith("lakebase-powershell/0.1.0 ", request.Header("User-Agent"));
            Assert.Contains("auth/pat", request.Header("User-Agent"));
            Assert.Equal("1234567890", request.Header("X-Databricks-Workspace-Id"));
        }
        Assert.Equal("application/json", handler.Requests[0].Header("Content-Type"));
        Assert.Null(handler.Requests[1].Header("Content-Type"));
    }

    [Fact]
    public async Task No_workspace_id_header_unless_configured()
    {
        var handler = new RecordingHandler(_ => Http.Json("{}"));
        using var client = await TestClient.ConnectAsync(handler);
        await client.GetProjectAsync(Fixtures.Project);
        Assert.All(handler.AllRequests, r => Assert.Null(r.Header("X-Databricks-Workspace-Id")));
    }

    [Fact]
    public async Task Connect_learns_the_user_name_from_scim_me()
    {
        var handler = new RecordingHandler();
        using var client = await TestClient.ConnectAsync(handler, new LakebaseConfig { Host = "dbc-test.cloud.databricks.com/", Token = TestClient.Token });
        var me = Assert.Single(handler.AllRequests);
        Assert.Equal(("GET", "/api/2.0/preview/scim/v2/Me"), (me.Method, me.Path));
        Assert.StartsWith(TestClient.Host + "/", me.Url);
        Assert.Equal(RecordingHandler.UserName, client.UserName);
        Assert.Equal("pat", client.AuthType);
        Assert.Equal(TestClient.Host, client.Host);
    }

    [Fact]
    public async Task Connect_fails_with_the_service_error_when_credentials_are_refused()
    {
        var handler = new RecordingHandler(_ => Http.Json(HttpStatusCode.Unauthorized, """{"error_code":"UNAUTHENTICATED","message":"Invalid access token."}"""));
        var error = await Assert.ThrowsAsync<LakebaseApiException>(() => TestClient.ConnectAsync(handler));
        Assert.Equal((401, "UNAUTHENTICATED"), (error.HttpStatus, error.ErrorCode));
        Assert.DoesNotContain(TestClient.Token, error.ToString());
    }
}
