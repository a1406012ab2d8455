using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Xunit;

namespace Lakebase.Local.Tests;

/// <summary>
/// Replays the requests the Databricks CLI sent to the real service (tests/Fixtures) against Lakebase Local, in
/// order, and checks that each is accepted and that GET answers have the fields the real service's answers have.
/// </summary>
public sealed partial class FixtureReplayTests(SharedServer shared) : IClassFixture<SharedServer>
{
    internal static readonly string FixtureRoot = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../Fixtures/databricks-cli-postgres"));

    public static TheoryData<string> Scenarios()
    {
        var data = new TheoryData<string>();
        foreach (var directory in Directory.EnumerateDirectories(FixtureRoot).Order())
        {
            var name = Path.GetFileName(directory);
            if (name.Contains("catalogs") || name.Contains("synced_tables") || name.Contains("permissions") || name.Contains("live_errors")) continue;
            if (Directory.EnumerateFiles(directory, "out.requests*direct.json").Any()) data.Add(name);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    public async Task Recorded_requests_are_accepted_and_answered_in_the_services_shapes(string scenario)
    {
        var server = shared.Server;
        // Phases (create, update, no_change, restore) continue one project; a recording that starts by creating the
        // project again (deploy, then destroy) is a whole run of its own and gets a fresh one.
        var files = Directory.EnumerateFiles(Path.Combine(FixtureRoot, scenario), "out.requests*direct.json")
            .OrderBy(f => Array.FindIndex(["create", "deploy", "update", "no_change", "restore", "destroy"], phase => f.Contains($".{phase}.")));
        string? unique = null;
        foreach (var file in files)
        {
            var requests = ReadConcatenated(File.ReadAllText(file)).ToList();
            if (unique is null || CreatesProject(requests))
            {
                unique = SharedServer.NewId("fx");
                await CreatePrerequisitesAsync(server, requests, unique);
            }
            await ReplayAsync(server, requests, unique);
        }
        await server.SendRawAsync(HttpMethod.Delete, $"projects/test-pg-proj-{unique}?purge=true", null);
    }

    private static bool CreatesProject(List<JsonObject> requests) =>
        requests.Any(r => r["method"]!.GetValue<string>() == "POST" && r["path"]!.GetValue<string>() == "/api/2.0/postgres/projects");

    private static async Task ReplayAsync(LocalServerProcess server, List<JsonObject> requests, string unique)
    {
        foreach (var request in requests)
        {
            var path = request["path"]!.GetValue<string>();
            if (!path.StartsWith("/api/2.0/postgres/projects", StringComparison.Ordinal) || path.Contains('[') && !path.Contains("[UNIQUE_NAME]")) continue;
            path = path.Replace("[UNIQUE_NAME]", unique);
            var query = string.Join('&', (request["q"]?.AsObject() ?? []).Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value!.GetValue<string>().Replace("[UNIQUE_NAME]", unique))}"));
            var body = request["body"]?.ToJsonString().Replace("[UNIQUE_NAME]", unique);
            var method = new HttpMethod(request["method"]!.GetValue<string>());
            using var response = await server.SendRawAsync(method, path + (query.Length > 0 ? "?" + query : ""), body);
            var text = await response.Content.ReadAsStringAsync();
            if (method == HttpMethod.Get && (int)response.StatusCode == 404) continue; // a read after a recorded delete
            // The service refuses to delete what its parent manages (root branch, primary endpoint); the CLI expects that.
            if (method == HttpMethod.Delete && (int)response.StatusCode == 400 && text.Contains("MANAGED_BY_PARENT")) continue;
            Assert.True(response.IsSuccessStatusCode, $"{method} {path}?{query} {body}\n→ {(int)response.StatusCode} {text}");
            var answer = JsonNode.Parse(text)!.AsObject();
            if (answer["done"] is not null && answer["name"]!.GetValue<string>().Contains("/operations/"))
            {
                var finished = await WaitAsync(server, answer);
                Assert.True(finished["error"] is null, $"{method} {path}: {finished["error"]?.ToJsonString()}");
                Assert.NotNull(finished["response"]);
            }
            else if (method == HttpMethod.Get)
            {
                Assert.Null(answer["spec"]);
                Assert.NotNull(answer["name"] ?? answer.FirstOrDefault().Value);
            }
        }
    }

    /// <summary>Some recordings start from a project, branch or role the test script made without recording it.</summary>
    private static async Task CreatePrerequisitesAsync(LocalServerProcess server, List<JsonObject> requests, string unique)
    {
        var text = string.Join('\n', requests.Select(r => r.ToJsonString())).Replace("[UNIQUE_NAME]", unique);
        var project = $"projects/test-pg-proj-{unique}";
        bool Creates(string collection, string id) => requests.Any(r => r["method"]!.GetValue<string>() == "POST"
            && r["path"]!.GetValue<string>().EndsWith(collection) && r["q"]?.ToJsonString().Contains($"\"{id}\"") == true);
        if (CreatesProject(requests)) return;
        await server.CreateProjectAsync($"test-pg-proj-{unique}");
        foreach (var branch in BranchReference().Matches(text).Select(m => m.Groups[1].Value).Distinct())
        {
            if (branch == "production" || Creates("/branches", branch)) continue;
            await server.RunAsync(HttpMethod.Post, $"{project}/branches?branch_id={branch}", new { spec = new { no_expiry = true } });
        }
        foreach (Match role in RoleReference().Matches(text))
        {
            var (branch, roleId) = (role.Groups[1].Value, role.Groups[2].Value);
            if (Creates("/roles", roleId)) continue;
            await server.RunAsync(HttpMethod.Post, $"{project}/branches/{branch}/roles?role_id={roleId}", new { spec = new { postgres_role = roleId.Replace('-', '_') } });
        }
    }

    [GeneratedRegex(@"/branches/([a-z0-9-]+)")]
    private static partial Regex BranchReference();

    [GeneratedRegex(@"""role"":""projects/[^/]+/branches/([a-z0-9-]+)/roles/([a-z0-9-]+)""")]
    private static partial Regex RoleReference();

    private static async Task<JsonObject> WaitAsync(LocalServerProcess server, JsonObject operation)
    {
        for (var i = 0; i < 1200 && operation["done"]?.GetValue<bool>() != true; i++)
        {
            await Task.Delay(50);
            operation = await server.GetAsync(operation["name"]!.GetValue<string>());
        }
        return operation;
    }

    internal static IEnumerable<JsonObject> ReadConcatenated(string text)
    {
        var reader = new Utf8JsonReader(System.Text.Encoding.UTF8.GetBytes(text), new JsonReaderOptions { AllowMultipleValues = true });
        var items = new List<JsonObject>();
        while (reader.Read()) items.Add(JsonNode.Parse(ref reader)!.AsObject());
        return items;
    }
}
