using System.Net;
using System.Text;
using System.Text.Json;
using Lakebase.Client.Auth;
using Xunit;

namespace Lakebase.Client.Tests.Client;

public sealed class ConfigResolveTests : IDisposable
{
    private readonly string _home = Directory.CreateTempSubdirectory("lakebase-home-").FullName;

    public void Dispose() => Directory.Delete(_home, recursive: true);

    private void WriteConfig(string text, string name = ".databrickscfg") => File.WriteAllText(Path.Combine(_home, name), text);

    private LakebaseConfig Resolve(LakebaseConfig? explicitValues = null, Dictionary<string, string?>? environment = null) =>
        LakebaseConfig.Resolve(explicitValues ?? new LakebaseConfig(), environment ?? [], _home);

    private const string File1 = """
        ; comment
        [DEFAULT]
        host  = https://default.cloud.databricks.com/
        token = file-default-token

        [sp]
        host: dbc-sp.cloud.databricks.com:443
        client_id     = sp-id
        client_secret = sp-secret#with%chars
        """;

    [Fact]
    public void Reads_retry_timeout_seconds_and_http_timeout_seconds_from_the_profile()
    {
        WriteConfig("[ci]\nhost = https://ci.cloud.databricks.com\ntoken = t\nretry_timeout_seconds = 42\nhttp_timeout_seconds = 7\n");
        var config = Resolve(new LakebaseConfig { Profile = "ci" });
        Assert.Equal((42, 7), (config.RetryTimeoutSeconds, config.HttpTimeoutSeconds));
        var retry = config.ApplyTo(new RetryOptions());
        Assert.Equal((TimeSpan.FromSeconds(42), TimeSpan.FromSeconds(7)), (retry.Budget, retry.RequestTimeout));
        Assert.Equal(TimeSpan.FromMinutes(5), new LakebaseConfig().ApplyTo(new RetryOptions()).Budget);
    }

    [Fact]
    public void Refuses_a_retry_timeout_that_is_not_a_positive_number_of_seconds()
    {
        WriteConfig("[ci]\nhost = https://ci.cloud.databricks.com\ntoken = t\nretry_timeout_seconds = soon\n");
        var error = Assert.Throws<LakebaseConfigException>(() => Resolve(new LakebaseConfig { Profile = "ci" }));
        Assert.Contains("retry_timeout_seconds", error.Message);
    }

    [Fact]
    public void Explicit_beats_environment()
    {
        var config = Resolve(new LakebaseConfig { Host = "https://explicit.cloud.databricks.com", Token = "explicit" },
            new() { ["DATABRICKS_HOST"] = "https://env.cloud.databricks.com", ["DATABRICKS_TOKEN"] = "env", ["DATABRICKS_WORKSPACE_ID"] = "42" });
        Assert.Equal(("https://explicit.cloud.databricks.com", "explicit", "42"), (config.Host, config.Token, config.WorkspaceId));
    }

    [Fact]
    public void Environment_beats_the_file_which_is_then_not_read()
    {
        WriteConfig(File1);
        var config = Resolve(environment: new() { ["DATABRICKS_HOST"] = "env.cloud.databricks.com", ["DATABRICKS_TOKEN"] = "env" });
        Assert.Equal(("https://env.cloud.databricks.com", "env"), (config.Host, config.Token));
        Assert.Null(config.Profile);
    }

    [Fact]
    public void Without_host_or_credentials_the_default_profile_is_used()
    {
        WriteConfig(File1);
        var config = Resolve();
        Assert.Equal(("https://default.cloud.databricks.com", "file-default-token"), (config.Host, config.Token));
    }

    [Fact]
    public void A_named_profile_fills_only_unset_values_and_does_not_inherit_default()
    {
        WriteConfig(File1);
        var config = Resolve(new LakebaseConfig { Profile = "sp", ClientId = "explicit-id" });
        Assert.Equal("https://dbc-sp.cloud.databricks.com", config.Host);
        Assert.Equal(("explicit-id", "sp-secret#with%chars", "sp"), (config.ClientId, config.ClientSecret, config.Profile));
        Assert.Null(config.Token);
    }

    [Fact]
    public void Profile_and_config_file_from_the_environment()
    {
        WriteConfig(File1, "other.cfg");
        var config = Resolve(environment: new() { ["DATABRICKS_CONFIG_PROFILE"] = "sp", ["DATABRICKS_CONFIG_FILE"] = Path.Combine(_home, "other.cfg") });
        Assert.Equal(("sp-id", "sp"), (config.ClientId, config.Profile));
    }

    [Fact]
    public void Settings_default_profile_is_honoured()
    {
        WriteConfig(File1 + "\n[__settings__]\ndefault_profile = sp\n");
        Assert.Equal("sp-id", Resolve().ClientId);
    }

    [Fact]
    public void Unknown_profile_names_the_file_and_the_profiles()
    {
        WriteConfig(File1);
        var error = Assert.Throws<LakebaseConfigException>(() => Resolve(new LakebaseConfig { Profile = "nope" }));
        Assert.Contains("nope", error.Message);
        Assert.Contains(Path.Combine(_home, ".databrickscfg"), error.Message);
        Assert.Contains("sp", error.Message);
    }

    [Fact]
    public void Named_profile_without_a_file_fails()
    {
        var error = Assert.Throws<LakebaseConfigException>(() => Resolve(new LakebaseConfig { Profile = "x" }));
        Assert.Contains("does not exist", error.Message);
    }

    [Fact]
    public void No_host_anywhere_fails_naming_what_was_tried()
    {
        var error = Assert.Throws<LakebaseConfigException>(() => Resolve());
        Assert.Contains("DATABRICKS_HOST", error.Message);
        Assert.Contains(".databrickscfg", error.Message);
    }

    [Fact]
    public void Azure_variables_are_read()
    {
        var config = Resolve(environment: new()
        {
            ["DATABRICKS_HOST"] = "adb-1.2.azuredatabricks.net", ["ARM_CLIENT_ID"] = "a", ["ARM_CLIENT_SECRET"] = "b", ["ARM_TENANT_ID"] = "t",
            ["DATABRICKS_AUTH_TYPE"] = "azure-client-secret",
        });
        Assert.Equal(("a", "b", "t", "azure-client-secret"), (config.AzureClientId, config.AzureClientSecret, config.AzureTenantId, config.AuthType));
    }

    [Fact]
    public void ToString_redacts_every_secret()
    {
        var config = new LakebaseConfig
        {
            Host = "https://h", Token = "tok-secret", ClientId = "cid", ClientSecret = "cs-secret", AzureClientId = "aid", AzureClientSecret = "az-secret",
        };
        var text = config.ToString();
        Assert.DoesNotContain("tok-secret", text);
        Assert.DoesNotContain("cs-secret", text);
        Assert.DoesNotContain("az-secret", text);
        Assert.Contains("cid", text);
        Assert.Contains("token=***", text);
    }

    [Theory]
    [InlineData("dbc-1.cloud.databricks.com", "https://dbc-1.cloud.databricks.com")]
    [InlineData("https://dbc-1.cloud.databricks.com:443/", "https://dbc-1.cloud.databricks.com")]
    [InlineData("http://127.0.0.1:8470/", "http://127.0.0.1:8470")]
    public void Hosts_are_normalised(string host, string expected) => Assert.Equal(expected, LakebaseConfig.NormalizeHost(host));
}

public class CredentialSelectionTests
{
    private static ICredentialStrategy Select(LakebaseConfig config) => CredentialChain.Select(config with { Host = TestClient.Host }, new HttpClient(), TimeProvider.System);

    [Fact]
    public void Strategy_order_and_forced_auth_type()
    {
        Assert.Equal("pat", Select(new LakebaseConfig { Token = "t" }).AuthType);
        Assert.Equal("oauth-m2m", Select(new LakebaseConfig { ClientId = "i", ClientSecret = "s" }).AuthType);
        Assert.Equal("azure-client-secret", Select(new LakebaseConfig { AzureClientId = "i", AzureClientSecret = "s", AzureTenantId = "t" }).AuthType);
        Assert.Equal("oauth-m2m", Select(new LakebaseConfig { Token = "t", ClientId = "i", ClientSecret = "s", AuthType = "oauth-m2m" }).AuthType);
        Assert.Equal("databricks-cli", Select(new LakebaseConfig { AuthType = "databricks-cli" }).AuthType);
    }

    [Fact]
    public void Two_auth_groups_without_auth_type_is_an_error()
    {
        var error = Assert.Throws<LakebaseConfigException>(() => Select(new LakebaseConfig { Token = "t", ClientId = "i", ClientSecret = "s" }));
        Assert.Contains("pat and oauth", error.Message);
    }

    [Fact]
    public void Forced_auth_type_without_its_settings_is_an_error()
    {
        Assert.Throws<LakebaseConfigException>(() => Select(new LakebaseConfig { AuthType = "pat" }));
        Assert.Throws<LakebaseConfigException>(() => Select(new LakebaseConfig { AuthType = "basic" }));
    }

    [Fact]
    public async Task Nothing_usable_names_every_strategy_tried()
    {
        var strategy = Select(new LakebaseConfig { DatabricksCliPath = Path.Combine(Path.GetTempPath(), "no-such-dir", "databricks") });
        var error = await Assert.ThrowsAsync<LakebaseConfigException>(async () => await strategy.GetHeadersAsync(CancellationToken.None));
        foreach (var name in new[] { "pat", "oauth-m2m", "azure-client-secret", "azure-cli", "databricks-cli" }) Assert.Contains(name, error.Message);
        Assert.Contains("not installed", error.Message);
    }

    [Fact]
    public void Cli_token_outputs_are_parsed()
    {
        using var databricks = JsonDocument.Parse("""{"access_token":"a1","token_type":"Bearer","expiry":"2026-08-19T04:06:58.123456789+02:00"}""");
        var token = CliToken.ReadDatabricksCliToken(databricks.RootElement);
        Assert.Equal("a1", token.Value);
        Assert.Equal(new DateTimeOffset(2026, 8, 19, 2, 6, 58, TimeSpan.Zero).AddTicks(1234567), token.ExpiresAt);

        using var az = JsonDocument.Parse("""{"accessToken":"z1","expiresOn":"2026-08-19 04:06:58.000000","tokenType":"Bearer"}""");
        var local = CliToken.ReadAzureCliToken(az.RootElement);
        Assert.Equal(new DateTimeOffset(new DateTime(2026, 8, 19, 4, 6, 58, DateTimeKind.Local)), local.ExpiresAt);

        using var azNew = JsonDocument.Parse("""{"accessToken":"z2","expiresOn":"2026-08-19 04:06:58.000000","expires_on":1787112418}""");
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1787112418), CliToken.ReadAzureCliToken(azNew.RootElement).ExpiresAt);
    }

    [Fact]
    public void Jwt_claims_are_detected()
    {
        static string Jwt(string payload) => "e30." + Convert.ToBase64String(Encoding.UTF8.GetBytes(payload)).TrimEnd('=').Replace('+', '-').Replace('/', '_') + ".sig";
        Assert.True(CliToken.HasClaim(Jwt("""{"upn":"me@x.com"}"""), "upn"));
        Assert.False(CliToken.HasClaim(Jwt("""{"appid":"x"}"""), "upn"));
        Assert.False(CliToken.HasClaim("not-a-jwt", "upn"));
    }
}

public class OAuthTests
{
    private static RecordingHandler Workspace(List<string> issued) => new(request =>
    {
        switch (request.Path)
        {
            case "/oidc/.well-known/oauth-authorization-server":
                return Http.Json($$"""{"authorization_endpoint":"{{TestClient.Host}}/oidc/v1/authorize","token_endpoint":"{{TestClient.Host}}/oidc/v1/token"}""");
            case "/oidc/v1/token":
                lock (issued)
                {
                    issued.Add("tok" + (issued.Count + 1));
                    return Http.Json($$"""{"access_token":"{{issued[^1]}}","token_type":"Bearer","expires_in":3600}""");
                }
            default:
                return Http.Json("""{"userName":"sp-app-id"}""");
        }
    });

    [Fact]
    public async Task M2M_discovers_the_endpoint_uses_client_credentials_and_caches_then_refreshes()
    {
        var issued = new List<string>();
        var handler = Workspace(issued);
        var clock = new ManualClock(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        using var client = await TestClient.ConnectAsync(handler, new LakebaseConfig { Host = TestClient.Host, ClientId = "sp-id", ClientSecret = "sp-secret" }, clock: clock);
        Assert.Equal("oauth-m2m", client.AuthType);
        Assert.Equal("sp-app-id", client.UserName);

        await client.GetProjectAsync("projects/p");
        clock.Advance(TimeSpan.FromMinutes(58));
        await client.GetProjectAsync("projects/p"); // still fresh: 2 min left
        clock.Advance(TimeSpan.FromMinutes(1.5));
        await client.GetProjectAsync("projects/p"); // 30 s left: refreshed

        var all = handler.AllRequests;
        Assert.Single(all, r => r.Path == "/oidc/.well-known/oauth-authorization-server");
        var tokenRequests = all.Where(r => r.Path == "/oidc/v1/token").ToList();
        Assert.Equal(2, tokenRequests.Count);
        var form = tokenRequests[0];
        Assert.Equal("POST", form.Method);
        Assert.Equal("grant_type=client_credentials&scope=all-apis", form.Body);
        Assert.Equal("application/x-www-form-urlencoded", form.Header("Content-Type"));
        Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("sp-id:sp-secret")), form.Header("Authorization"));

        var api = all.Where(r => r.Path.StartsWith("/api/", StringComparison.Ordinal)).Select(r => r.Header("Authorization")).ToList();
        Assert.Equal(["Bearer tok1", "Bearer tok1", "Bearer tok1", "Bearer tok2"], api);
    }

    [Fact]
    public async Task Concurrent_callers_share_one_token_fetch()
    {
        var issued = new List<string>();
        var strategy = new OAuthM2M(new HttpClient(Workspace(issued)), TestClient.Host, "i", "s", TimeProvider.System);
        var tokens = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => strategy.GetAccessTokenAsync(CancellationToken.None).AsTask()));
        Assert.All(tokens, t => Assert.Equal("tok1", t));
        Assert.Single(issued);
    }

    [Fact]
    public async Task Token_endpoint_errors_are_config_errors_without_the_secret()
    {
        var handler = new RecordingHandler(request => request.Path == "/oidc/v1/token"
            ? Http.Json(HttpStatusCode.Unauthorized, """{"error":"invalid_client","error_description":"Client authentication failed"}""")
            : Http.Json($$"""{"token_endpoint":"{{TestClient.Host}}/oidc/v1/token"}"""));
        var strategy = new OAuthM2M(new HttpClient(handler), TestClient.Host, "i", "very-secret", TimeProvider.System);
        var error = await Assert.ThrowsAsync<LakebaseConfigException>(async () => await strategy.GetAccessTokenAsync(CancellationToken.None));
        Assert.Contains("invalid_client", error.Message);
        Assert.Contains("401", error.Message);
        Assert.DoesNotContain("very-secret", error.Message);
    }

    [Fact]
    public async Task Azure_client_secret_gets_databricks_and_management_tokens_and_discovers_the_tenant()
    {
        const string host = "https://adb-123.4.azuredatabricks.net";
        var handler = new RecordingHandler(request =>
        {
            if (request.Path == "/aad/auth")
            {
                var redirect = new HttpResponseMessage(HttpStatusCode.Found);
                redirect.Headers.Location = new Uri("https://login.microsoftonline.com/tenant-42/oauth2/authorize?client_id=x");
                return redirect;
            }
            if (request.Path == "/tenant-42/oauth2/token")
            {
                var resource = request.Body!.Contains("resource=2ff814a6", StringComparison.Ordinal) ? "dbx" : "mgmt";
                return Http.Json($$"""{"access_token":"{{resource}}-token","token_type":"Bearer","expires_in":"3599"}""");
            }
            return Http.Json("""{"userName":"sp"}""");
        });
        using var client = await TestClient.ConnectAsync(handler, new LakebaseConfig
        {
            Host = host, AzureClientId = "app", AzureClientSecret = "pw", AzureWorkspaceResourceId = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Databricks/workspaces/w",
        });
        Assert.Equal("azure-client-secret", client.AuthType);
        var me = handler.AllRequests.Single(r => r.Path.EndsWith("/Me", StringComparison.Ordinal));
        Assert.Equal("Bearer dbx-token", me.Header("Authorization"));
        Assert.Equal("mgmt-token", me.Header("X-Databricks-Azure-SP-Management-Token"));
        Assert.Equal("/subscriptions/s/resourceGroups/g/providers/Microsoft.Databricks/workspaces/w", me.Header("X-Databricks-Azure-Workspace-Resource-Id"));
        var tokenRequest = handler.AllRequests.First(r => r.Path == "/tenant-42/oauth2/token");
        Assert.StartsWith("https://login.microsoftonline.com/tenant-42/oauth2/token", tokenRequest.Url);
        Assert.Contains("grant_type=client_credentials", tokenRequest.Body);
        Assert.Contains("client_id=app", tokenRequest.Body);
        Assert.Contains("resource=https%3A%2F%2Fmanagement.core.windows.net%2F", string.Concat(handler.AllRequests.Select(r => r.Body)));
    }

    [Fact]
    public void Tokens_are_fresh_until_a_minute_before_expiry()
    {
        var clock = new ManualClock(DateTimeOffset.UnixEpoch);
        var token = new AccessToken("x", DateTimeOffset.UnixEpoch.AddHours(1)) { ObtainedAt = DateTimeOffset.UnixEpoch };
        clock.Advance(TimeSpan.FromMinutes(58.9));
        Assert.True(token.IsFresh(clock));
        clock.Advance(TimeSpan.FromMinutes(0.2));
        Assert.False(token.IsFresh(clock));
        Assert.DoesNotContain("x)", token.ToString());
    }
}
