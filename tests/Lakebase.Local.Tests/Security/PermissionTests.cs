using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Xunit;

namespace Lakebase.Local.Tests.Security;

/// <summary>Project permissions as the service has them: CAN_USE reads and connects, CAN_MANAGE changes, the creator
/// manages, the admin identity is above all, and nobody else sees a project at all.</summary>
public sealed class PermissionTests(SharedServer shared) : IClassFixture<SharedServer>
{
    private LocalServerProcess Server => shared.Server;

    [Fact]
    public async Task A_service_principal_without_a_grant_can_neither_read_change_delete_nor_connect()
    {
        var id = SharedServer.NewId("perm");
        await Server.CreateProjectAsync(id);
        using var principal = await NewServicePrincipalAsync();

        foreach (var (method, path, body) in new (HttpMethod, string, object?)[]
        {
            (HttpMethod.Get, $"projects/{id}", null),
            (HttpMethod.Get, $"projects/{id}/branches", null),
            (HttpMethod.Get, $"projects/{id}/branches/production/endpoints/primary", null),
            (HttpMethod.Patch, $"projects/{id}?update_mask=spec.display_name", new { spec = new { display_name = "mine" } }),
            (HttpMethod.Post, $"projects/{id}/branches?branch_id=theirs", new { spec = new { no_expiry = true } }),
            (HttpMethod.Delete, $"projects/{id}/branches/production", null),
            (HttpMethod.Delete, $"projects/{id}", null),
            (HttpMethod.Post, "credentials", new { endpoint = $"projects/{id}/branches/production/endpoints/primary" }),
            (HttpMethod.Get, $"/api/2.0/permissions/database-projects/{id}", null),
            (HttpMethod.Put, $"/api/2.0/permissions/database-projects/{id}", Acl(("service_principal_name", principal.Id, "CAN_MANAGE"))),
        })
        {
            var (status, error) = await principal.SendAsync(method, path, body);
            Assert.True(status == 403, $"{method} {path}: {status}");
            Assert.Equal("PERMISSION_DENIED", error!["error_code"]!.GetValue<string>());
        }
        var list = await principal.SendAsync(HttpMethod.Get, "projects", null);
        Assert.DoesNotContain(list.Body!["projects"]?.AsArray() ?? [], project => project!["name"]!.GetValue<string>() == $"projects/{id}");
        Assert.Null((await Server.GetAsync($"projects/{id}"))["delete_time"]);
    }

    [Fact]
    public async Task CAN_USE_reads_and_mints_credentials_CAN_MANAGE_changes_and_revoking_takes_it_back()
    {
        var id = SharedServer.NewId("perm");
        await Server.CreateProjectAsync(id);
        using var principal = await NewServicePrincipalAsync();
        var endpoint = $"projects/{id}/branches/production/endpoints/primary";

        await Server.SendAsync(HttpMethod.Patch, $"/api/2.0/permissions/database-projects/{id}", Acl(("service_principal_name", principal.Id, "CAN_USE")));
        Assert.Equal(200, (await principal.SendAsync(HttpMethod.Get, $"projects/{id}/branches/production", null)).Status);
        Assert.Equal(200, (await principal.SendAsync(HttpMethod.Post, "credentials", new { endpoint })).Status);
        Assert.Equal(403, (await principal.SendAsync(HttpMethod.Patch, $"projects/{id}?update_mask=spec.display_name", new { spec = new { display_name = "x" } })).Status);

        await Server.SendAsync(HttpMethod.Patch, $"/api/2.0/permissions/database-projects/{id}", Acl(("service_principal_name", principal.Id, "CAN_MANAGE")));
        var rename = await principal.SendAsync(HttpMethod.Patch, $"projects/{id}?update_mask=spec.display_name", new { spec = new { display_name = "renamed by sp" } });
        Assert.Equal(200, rename.Status);
        await Server.WaitAsync(rename.Body!);

        var acl = await Server.GetAsync($"/api/2.0/permissions/database-projects/{id}");
        Assert.Equal($"/database-projects/{id}", acl["object_id"]!.GetValue<string>());
        Assert.Equal("database-project", acl["object_type"]!.GetValue<string>());
        var entries = acl["access_control_list"]!.AsArray();
        var creator = Assert.Single(entries, entry => entry!["user_name"]?.GetValue<string>() == ProxyClient.User)!;
        Assert.Equal("CAN_MANAGE", creator["all_permissions"]![0]!["permission_level"]!.GetValue<string>());
        var granted = Assert.Single(entries, entry => entry!["service_principal_name"]?.GetValue<string>() == principal.Id)!;
        Assert.Equal("CAN_MANAGE", granted["all_permissions"]![0]!["permission_level"]!.GetValue<string>());
        Assert.False(granted["all_permissions"]![0]!["inherited"]!.GetValue<bool>());
        var admins = Assert.Single(entries, entry => entry!["group_name"]?.GetValue<string>() == "admins")!;
        Assert.True(admins["all_permissions"]![0]!["inherited"]!.GetValue<bool>());

        // PUT replaces the list: the principal is no longer on it.
        await Server.SendAsync(HttpMethod.Put, $"/api/2.0/permissions/database-projects/{id}", Acl(("user_name", ProxyClient.User, "CAN_MANAGE")));
        Assert.Equal(403, (await principal.SendAsync(HttpMethod.Get, $"projects/{id}", null)).Status);
    }

    [Fact]
    public async Task The_creator_manages_its_project_and_the_admin_identity_is_above_every_list()
    {
        using var principal = await NewServicePrincipalAsync();
        var id = SharedServer.NewId("perm");
        var created = await principal.SendAsync(HttpMethod.Post, $"projects?project_id={id}", new { spec = new { display_name = id } });
        Assert.Equal(200, created.Status);
        await Server.WaitAsync(created.Body!);

        var acl = (await principal.SendAsync(HttpMethod.Get, $"/api/2.0/permissions/database-projects/{id}", null)).Body!;
        var creator = Assert.Single(acl["access_control_list"]!.AsArray(), entry => entry!["service_principal_name"]?.GetValue<string>() == principal.Id)!;
        Assert.Equal("CAN_MANAGE", creator["all_permissions"]![0]!["permission_level"]!.GetValue<string>());

        // The creator hands the project to a group the admin is not named in; the admin still manages it.
        var put = await principal.SendAsync(HttpMethod.Put, $"/api/2.0/permissions/database-projects/{id}", Acl(("group_name", "data-team", "CAN_MANAGE")));
        Assert.Equal(200, put.Status);
        Assert.Equal(403, (await principal.SendAsync(HttpMethod.Get, $"projects/{id}", null)).Status);
        await Server.RunAsync(HttpMethod.Patch, $"projects/{id}?update_mask=spec.display_name", new { spec = new { display_name = "admin was here" } });
        Assert.Contains((await Server.GetAsync("projects"))["projects"]!.AsArray(), project => project!["name"]!.GetValue<string>() == $"projects/{id}");
    }

    [Fact]
    public async Task A_malformed_access_control_list_is_refused_and_changes_nothing()
    {
        var id = SharedServer.NewId("perm");
        await Server.CreateProjectAsync(id);
        foreach (var body in new[]
        {
            """{"access_control_list":[{"user_name":"a@b.c","permission_level":"CAN_FLY"}]}""",
            """{"access_control_list":[{"user_name":"a@b.c","group_name":"g","permission_level":"CAN_USE"}]}""",
            """{"access_control_list":[{"permission_level":"CAN_USE"}]}""",
            """{"access_control_list":[{"user_name":"a\u0007b","permission_level":"CAN_USE"}]}""",
            """{"access_control_list":"CAN_USE"}""",
            """{}""",
        })
        {
            using var response = await Server.SendRawAsync(HttpMethod.Put, $"/api/2.0/permissions/database-projects/{id}", body);
            Assert.True((int)response.StatusCode == 400, $"{body}: {(int)response.StatusCode}");
            Assert.NotNull(JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error_code"]);
        }
        var acl = await Server.GetAsync($"/api/2.0/permissions/database-projects/{id}");
        Assert.Equal(2, acl["access_control_list"]!.AsArray().Count);
    }

    [Fact]
    public async Task Permissions_of_a_project_that_does_not_exist_are_not_found()
    {
        var missing = await Assert.ThrowsAsync<ApiCallException>(() => Server.GetAsync("/api/2.0/permissions/database-projects/no-such-project"));
        Assert.Equal(404, missing.Status);
    }

    private static JsonObject Acl(params (string Kind, string Name, string Level)[] entries) => new()
    {
        ["access_control_list"] = new JsonArray(entries.Select(entry => (JsonNode)new JsonObject { [entry.Kind] = entry.Name, ["permission_level"] = entry.Level }).ToArray()),
    };

    private async Task<ServicePrincipalClient> NewServicePrincipalAsync()
    {
        var created = await Server.SendAsync(HttpMethod.Post, "/api/2.0/lakebase-local/service-principals", new { display_name = "perm-test" });
        var id = created["application_id"]!.GetValue<string>();
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = id, ["client_secret"] = created["secret"]!.GetValue<string>(), ["scope"] = "all-apis",
        });
        using var response = await Server.Http.PostAsync("/oidc/v1/token", form);
        var token = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["access_token"]!.GetValue<string>();
        var http = new HttpClient { BaseAddress = Server.Http.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return new ServicePrincipalClient(id, http);
    }

    private sealed class ServicePrincipalClient(string id, HttpClient http) : IDisposable
    {
        public string Id { get; } = id;

        public async Task<(int Status, JsonObject? Body)> SendAsync(HttpMethod method, string path, object? body)
        {
            using var request = new HttpRequestMessage(method, path.StartsWith('/') ? path : "/api/2.0/postgres/" + path);
            if (body is not null) request.Content = JsonContent(body);
            using var response = await http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            return ((int)response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text)!.AsObject());
        }

        private static StringContent JsonContent(object body) => new(
            body is JsonNode node ? node.ToJsonString() : System.Text.Json.JsonSerializer.Serialize(body), System.Text.Encoding.UTF8, "application/json");

        public void Dispose() => http.Dispose();
    }
}
