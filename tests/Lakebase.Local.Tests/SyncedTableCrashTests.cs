using System.Text.Json.Nodes;
using Npgsql;
using Xunit;

namespace Lakebase.Local.Tests;

/// <summary>
/// Lakebase Local killed in the middle of a sync: readers never see a half-loaded table, the last good data stays,
/// and after the restart the sync resumes and ends with exactly the source's rows.
/// </summary>
public sealed class SyncedTableCrashTests : IAsyncLifetime
{
    private const string Schema = """{"type":"struct","fields":[{"name":"id","type":"long","nullable":true,"metadata":{}},{"name":"label","type":"string","nullable":true,"metadata":{}}]}""";
    private const int RowsPerCommit = 200_000; // enough that a sync takes several progress reports
    private LocalServerProcess _server = null!;
    private readonly string _project = SharedServer.NewId("crash");
    private string _socket = null!;
    private string Endpoint => $"projects/{_project}/branches/production/endpoints/primary";

    private sealed class Row
    {
        public long id { get; set; }
        public string label { get; set; } = "";
    }

    public async Task InitializeAsync()
    {
        _server = await LocalServerProcess.StartAsync();
        await _server.CreateProjectAsync(_project);
        await _server.RunAsync(HttpMethod.Post, "catalogs?catalog_id=crashcat",
            new { spec = new { branch = $"projects/{_project}/branches/production", postgres_database = "appdb", create_database_if_missing = true } });
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_sync_cut_off_by_a_crash_keeps_the_last_good_data_and_resumes_to_exactly_the_source()
    {
        var source = Path.Combine(_server.Root, "delta-sources", "rows");
        await TestDeltaTables.CommitAsync(source, 0, Rows(0), Schema);
        await _server.SendAsync(HttpMethod.Post, "/api/2.0/lakebase-local/unity-catalog/tables", new { name = "main.crash.rows", path = source });
        var created = await _server.RunAsync(HttpMethod.Post, "synced_tables?synced_table_id=crashcat.crash.rows",
            new { spec = new { source_table_full_name = "main.crash.rows", primary_key_columns = new[] { "id" }, scheduling_policy = "SNAPSHOT" } });

        // The initial snapshot, cut off: no table at all rather than a part of one.
        _socket = Path.Combine(_server.Root, "run", (await _server.GetAsync(Endpoint))["uid"]!.GetValue<string>());
        await CrashWhileSyncingAsync(version: 0);
        Assert.IsType<DBNull>(await QueryComputeAsync("SELECT to_regclass('crash.rows')::text"));
        await _server.RestartAsync();
        await WaitForVersionAsync(0);
        Assert.Equal(RowsPerCommit, await CountAsync());

        // A refresh to version 1, cut off: version 0's rows stay readable, then the resumed sync brings version 1.
        await TestDeltaTables.CommitAsync(source, 1, Rows(1), Schema);
        await _server.SendAsync(HttpMethod.Post, $"/api/2.0/pipelines/{created["status"]!["pipeline_id"]}/updates", new { });
        await CrashWhileSyncingAsync(version: 1);
        Assert.Equal(RowsPerCommit, await CountAsync());
        await _server.RestartAsync();
        await WaitForVersionAsync(1);
        Assert.Equal(2 * RowsPerCommit, await CountAsync());
        Assert.Equal(2L * RowsPerCommit, await QueryComputeAsync("SELECT count(DISTINCT label) FROM crash.rows"));
    }

    private static IEnumerable<Row> Rows(int commit) =>
        Enumerable.Range(commit * RowsPerCommit, RowsPerCommit).Select(i => new Row { id = i, label = $"row-{i}" });

    private async Task<long> CountAsync() => (long)(await QueryComputeAsync("SELECT count(*) FROM crash.rows"))!;

    /// <summary>Asks the compute through its socket: it outlives a crashed server.</summary>
    private async Task<object?> QueryComputeAsync(string sql)
    {
        await using var compute = new NpgsqlConnection($"Host={_socket};Username=lakebase_admin;Database=appdb;Pooling=false");
        await compute.OpenAsync();
        await using var command = new NpgsqlCommand(sql, compute);
        return await command.ExecuteScalarAsync();
    }

    private async Task<JsonObject> SyncedTableAsync() => await _server.GetAsync("synced_tables/crashcat.crash.rows");

    /// <summary>Kills the server once the sync of <paramref name="version"/> has loaded some rows, but not all.</summary>
    private async Task CrashWhileSyncingAsync(long version)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            var progress = (await SyncedTableAsync())["status"]!["ongoing_sync_progress"];
            if (progress?["latest_version_currently_processing"]?.GetValue<long>() == version && progress["synced_row_count"]?.GetValue<long>() > 0) break;
            Assert.True(DateTime.UtcNow < deadline, "The sync never showed progress.");
            await Task.Delay(20);
        }
        await _server.CrashAsync();
    }

    private async Task WaitForVersionAsync(long version)
    {
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (true)
        {
            var status = (await SyncedTableAsync())["status"]!;
            Assert.False(status["detailed_state"]!.GetValue<string>().EndsWith("FAILED"), status.ToJsonString());
            if (status["last_processed_commit_version"]?.GetValue<long>() == version && status["ongoing_sync_progress"] is null) return;
            Assert.True(DateTime.UtcNow < deadline, $"The sync did not reach version {version}: {status.ToJsonString()}");
            await Task.Delay(100);
        }
    }
}
