using System.Text.Json.Nodes;
using Xunit;

namespace Lakebase.Local.Tests;

/// <summary>
/// Replays the Databricks CLI's recorded catalog and synced-table requests (tests/Fixtures) against Lakebase Local:
/// each is accepted, the synced table really holds its source's rows, and every answer has the fields the
/// service's answers have (postgres-api.md §2.9–2.10).
/// </summary>
public sealed class SyncedTableReplayTests(SharedServer shared) : IClassFixture<SharedServer>
{
    private sealed class Trip
    {
        public DateTime tpep_pickup_datetime { get; set; }
        public double fare_amount { get; set; }
    }

    [Theory]
    [InlineData("acceptance__bundle__resources__postgres_catalogs__basic")]
    [InlineData("acceptance__bundle__resources__postgres_synced_tables__basic")]
    public async Task Recorded_requests_are_accepted_and_answered_in_the_services_shapes(string scenario)
    {
        var server = shared.Server;
        // It lands in a project id (letters, digits, hyphens) and a catalog id (letters, digits, underscores).
        var unique = "rp" + Guid.NewGuid().ToString("N")[..8];
        var requests = FixtureReplayTests.ReadConcatenated(
            File.ReadAllText(Path.Combine(FixtureReplayTests.FixtureRoot, scenario, "out.requests.json")).Replace("[UNIQUE_NAME]", unique)).ToList();
        var trips = await RegisterTripsAsync(server, requests);

        foreach (var request in requests)
        {
            var method = new HttpMethod(request["method"]!.GetValue<string>());
            var query = string.Join('&', (request["q"]?.AsObject() ?? []).Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value!.GetValue<string>())}"));
            var path = request["path"]!.GetValue<string>() + (query.Length > 0 ? "?" + query : "");
            var answer = await server.SendAsync(method, path, request["body"]?.ToJsonString());
            if (answer["name"]!.GetValue<string>().Contains("/operations/")) answer = await server.WaitAsync(answer);
            if (path.Contains("/catalogs")) AssertCatalogShape(answer);
            else if (path.Contains("/synced_tables")) AssertSyncedTableShape(answer);
        }

        if (trips is not null)
        {
            var syncedTable = requests.Single(r => r["path"]!.GetValue<string>().EndsWith("/synced_tables"))["q"]!["synced_table_id"]!.GetValue<string>();
            await WaitUntilSyncedAsync(server, syncedTable);
            Assert.Equal(trips.Length, await CountAsync(server, requests, "public.trips_synced"));
        }
        var project = requests.First()["q"]!["project_id"]!.GetValue<string>();
        await server.SendRawAsync(HttpMethod.Delete, $"projects/{project}?purge=true", null);
    }

    private static void AssertCatalogShape(JsonObject catalog)
    {
        foreach (var field in new[] { "name", "catalog_id", "uid", "create_time", "update_time", "status" })
            Assert.True(catalog[field] is not null, $"catalog has no {field}: {catalog.ToJsonString()}");
        Assert.StartsWith("catalogs/", catalog["name"]!.GetValue<string>());
        var status = catalog["status"]!;
        Assert.StartsWith("projects/", status["project"]!.GetValue<string>());
        Assert.Contains("/branches/", status["branch"]!.GetValue<string>());
        Assert.Equal("appdb", status["postgres_database"]!.GetValue<string>());
    }

    private static void AssertSyncedTableShape(JsonObject table)
    {
        foreach (var field in new[] { "name", "synced_table_id", "uid", "create_time", "status" })
            Assert.True(table[field] is not null, $"synced table has no {field}: {table.ToJsonString()}");
        Assert.Null(table["update_time"]); // §2.10: a synced table has none
        Assert.StartsWith("synced_tables/", table["name"]!.GetValue<string>());
        var status = table["status"]!;
        Assert.StartsWith("SYNCED_TABLE_", status["detailed_state"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(status["pipeline_id"]?.GetValue<string>()));
        Assert.StartsWith("projects/", status["project"]!.GetValue<string>());
        Assert.Contains(status["unity_catalog_provisioning_state"]!.GetValue<string>(), new[] { "PROVISIONING", "ACTIVE", "UPDATING" });
    }

    /// <summary>The recording's source table lives in the workspace's Unity Catalog; here it is a Delta table
    /// written for the test and registered under the same three-part name.</summary>
    private static async Task<Trip[]?> RegisterTripsAsync(LocalServerProcess server, List<JsonObject> requests)
    {
        var spec = requests.Select(r => r["body"]?["spec"]).FirstOrDefault(s => s?["source_table_full_name"] is not null);
        if (spec is null) return null;
        var trips = Enumerable.Range(0, 25).Select(i => new Trip
        {
            tpep_pickup_datetime = new DateTime(2016, 2, 13, 21, 0, 0, DateTimeKind.Utc).AddMinutes(i * 7),
            fare_amount = 5.5 + i,
        }).ToArray();
        var directory = Path.Combine(server.Root, "delta-sources", Guid.NewGuid().ToString("N"));
        await TestDeltaTables.CommitAsync(directory, 0, trips,
            """{"type":"struct","fields":[{"name":"tpep_pickup_datetime","type":"timestamp","nullable":true,"metadata":{}},{"name":"fare_amount","type":"double","nullable":true,"metadata":{}}]}""");
        await server.SendAsync(HttpMethod.Post, "/api/2.0/lakebase-local/unity-catalog/tables",
            new { name = spec["source_table_full_name"]!.GetValue<string>(), path = directory });
        return trips;
    }

    private static async Task WaitUntilSyncedAsync(LocalServerProcess server, string syncedTable)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            var synced = await server.GetAsync($"synced_tables/{syncedTable}");
            if (synced["status"]!["last_sync"] is not null && synced["status"]!["ongoing_sync_progress"] is null) return;
            Assert.False(synced["status"]!["detailed_state"]!.GetValue<string>().EndsWith("FAILED"), synced.ToJsonString());
            Assert.True(DateTime.UtcNow < deadline, $"{syncedTable} did not sync: {synced.ToJsonString()}");
            await Task.Delay(100);
        }
    }

    private static async Task<int> CountAsync(LocalServerProcess server, List<JsonObject> requests, string table)
    {
        var branch = requests.Select(r => r["body"]?["spec"]?["branch"]).First(b => b is not null)!.GetValue<string>();
        return (int)(await server.QueryAsync<long>($"{branch}/endpoints/primary", $"SELECT count(*) FROM {table}", "appdb"));
    }
}
