using System.Text.Json.Nodes;
using Xunit;

namespace Lakebase.Local.Tests.Security;

/// <summary>User values that reach PostgreSQL: settings go to a compute's configuration file only from an allowlist,
/// checked for type and range; names and values reach SQL only quoted as identifiers or sent as parameters.</summary>
public sealed class ControlPlaneInputTests(SharedServer shared) : IClassFixture<SharedServer>
{
    private LocalServerProcess Server => shared.Server;

    public static TheoryData<string, string> RefusedSettings => new()
    {
        { "archive_cleanup_command", "touch /tmp/owned" },
        { "recovery_end_command", "touch /tmp/owned" },
        { "session_preload_libraries", "auto_explain" },
        { "dynamic_library_path", "/tmp" },
        { "standard_conforming_strings", "off" },
        { "escape_string_warning", "off" },
        { "ssl", "on" },
        { "no_such_setting", "1" },
        { "work_mem", "lots" },
        { "work_mem", "-1" },
        { "statement_timeout", "1 fortnight" },
        { "random_page_cost", "NaN" },
        { "enable_seqscan", "maybe" },
        { "log_line_prefix", "x\nshared_preload_libraries = 'evil'" },
        { "application_name", "a\u0000b" },
    };

    [Theory]
    [MemberData(nameof(RefusedSettings))]
    public async Task A_setting_outside_the_allowlist_or_a_value_of_the_wrong_type_is_refused_naming_the_setting(string key, string value)
    {
        var id = SharedServer.NewId("pgs");
        var projectCreate = await Assert.ThrowsAsync<ApiCallException>(() => Server.SendAsync(HttpMethod.Post, $"projects?project_id={id}",
            new JsonObject { ["spec"] = new JsonObject { ["default_endpoint_settings"] = new JsonObject { ["pg_settings"] = new JsonObject { [key] = value } } } }));
        Assert.Equal(400, projectCreate.Status);
        Assert.Contains(key, projectCreate.ErrorMessage);
    }

    [Fact]
    public async Task Allowed_settings_reach_the_compute_exactly_as_written()
    {
        var id = SharedServer.NewId("pgs");
        await Server.CreateProjectAsync(id);
        var endpoint = $"projects/{id}/branches/production/endpoints/primary";
        const string prefix = @"%m it's \n [%p] ";
        await Server.RunAsync(HttpMethod.Patch, endpoint + "?update_mask=spec.settings.pg_settings", new JsonObject
        {
            ["spec"] = new JsonObject
            {
                ["settings"] = new JsonObject
                {
                    ["pg_settings"] = new JsonObject
                    {
                        ["statement_timeout"] = "5s", ["log_line_prefix"] = prefix, ["random_page_cost"] = "1.5",
                        ["enable_seqscan"] = "off", ["pg_stat_statements.track"] = "all",
                    },
                },
            },
        });
        Assert.Equal("5s", await Server.QueryAsync<string>(endpoint, "SHOW statement_timeout"));
        Assert.Equal(prefix, await Server.QueryAsync<string>(endpoint, "SHOW log_line_prefix"));
        Assert.Equal("1.5", await Server.QueryAsync<string>(endpoint, "SHOW random_page_cost"));
        Assert.Equal("off", await Server.QueryAsync<string>(endpoint, "SHOW enable_seqscan"));
    }

    [Fact]
    public async Task A_database_name_built_to_break_out_of_a_literal_renames_as_a_name_and_runs_nothing()
    {
        var id = SharedServer.NewId("sqli");
        await Server.CreateProjectAsync(id);
        var branch = $"projects/{id}/branches/production";
        var endpoint = branch + "/endpoints/primary";
        // Today's route to a backslash-escaped literal; refused by the allowlist, and harmless once SQL takes parameters.
        using (var settings = await Server.SendRawAsync(HttpMethod.Patch, endpoint + "?update_mask=spec.settings.pg_settings",
            new JsonObject { ["spec"] = new JsonObject { ["settings"] = new JsonObject { ["pg_settings"] = new JsonObject { ["standard_conforming_strings"] = "off" } } } }))
        {
            if (settings.IsSuccessStatusCode) await Server.WaitAsync(JsonNode.Parse(await settings.Content.ReadAsStringAsync())!.AsObject());
        }
        await Server.RunAsync(HttpMethod.Post, branch + "/roles?role_id=victim", new { spec = new { postgres_role = "victim", auth_method = "NO_LOGIN" } });
        const string hostile = "x\\';ALTER ROLE \"victim\" SUPERUSER;--";
        await Server.RunAsync(HttpMethod.Post, branch + "/databases?database_id=hostile",
            new { spec = new { postgres_database = hostile, role = branch + "/roles/victim" } });

        await Server.RunAsync(HttpMethod.Patch, branch + "/databases/hostile?update_mask=spec.postgres_database",
            new { spec = new { postgres_database = "renamed" } });

        Assert.False(await Server.QueryAsync<bool>(endpoint, "SELECT rolsuper FROM pg_roles WHERE rolname = 'victim'"));
        Assert.Equal(1L, await Server.QueryAsync<long>(endpoint, "SELECT count(*) FROM pg_database WHERE datname = 'renamed'"));
    }
}
