using System.Text.Json.Nodes;
using Npgsql;
using Xunit;

namespace Lakebase.Local.Tests;

/// <summary>One server (CONTINUOUS polls every second) and one project with a catalog, shared by the synced-table tests.</summary>
public sealed class SyncedTablesServer : IAsyncLifetime
{
    public static readonly string DeltaFixtures = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../Fixtures/delta-tables"));
    public LocalServerProcess Server { get; private set; } = null!;
    public string Project { get; } = SharedServer.NewId("sync");
    public string Branch => $"projects/{Project}/branches/production";
    public string Endpoint => $"{Branch}/endpoints/primary";
    public const string CatalogId = "lake";
    public const string Database = "appdb";
    private string _tables = null!;

    public async Task InitializeAsync()
    {
        Server = await LocalServerProcess.StartAsync("--sync-interval", "1");
        _tables = Path.Combine(Server.Root, "delta-sources");
        await Server.CreateProjectAsync(Project);
        await Server.RunAsync(HttpMethod.Post, $"catalogs?catalog_id={CatalogId}",
            new { spec = new { branch = Branch, postgres_database = Database, create_database_if_missing = true } });
    }

    public async Task DisposeAsync() => await Server.DisposeAsync();

    /// <summary>Copies a fixture table (its commits up to <paramref name="upToVersion"/> only, when given) and registers it as main.fixtures.{alias}.</summary>
    public async Task<string> RegisterAsync(string fixture, string alias, long? upToVersion = null)
    {
        var copy = Path.Combine(_tables, alias);
        CopyFixture(fixture, copy, upToVersion);
        await Server.SendAsync(HttpMethod.Post, "/api/2.0/lakebase-local/unity-catalog/tables", new { name = $"main.fixtures.{alias}", path = copy });
        return $"main.fixtures.{alias}";
    }

    /// <summary>Adds the fixture's commits after <paramref name="fromVersion"/> to a copy made with fewer: new commits land in the source.</summary>
    public static void CopyFixture(string fixture, string copy, long? upToVersion = null, long? fromVersion = null)
    {
        var source = Path.Combine(DeltaFixtures, fixture);
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(source, file);
            if (Path.GetFileName(Path.GetDirectoryName(file)) == "_delta_log" && long.TryParse(Path.GetFileNameWithoutExtension(file), out var version)
                && (version > upToVersion || version <= fromVersion)) continue;
            var target = Path.Combine(copy, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            if (!File.Exists(target)) File.Copy(file, target);
        }
    }

    public async Task<JsonObject> CreateSyncedTableAsync(string table, string source, string[] primaryKey, string policy = "SNAPSHOT", string? timeseriesKey = null) =>
        await Server.RunAsync(HttpMethod.Post, $"synced_tables?synced_table_id={CatalogId}.fixtures.{table}", new
        {
            spec = new { source_table_full_name = source, primary_key_columns = primaryKey, scheduling_policy = policy, timeseries_key = timeseriesKey },
        });

    /// <summary>Polls the synced table until it has synced the version given and no sync is under way.</summary>
    public async Task<JsonObject> WaitForSyncAsync(string table, long version, string catalog = CatalogId)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            var synced = await Server.GetAsync($"synced_tables/{catalog}.fixtures.{table}");
            var status = synced["status"]!;
            var state = status["detailed_state"]!.GetValue<string>();
            if (state.EndsWith("FAILED", StringComparison.Ordinal)) throw new InvalidOperationException($"Sync of {table} failed: {status["message"]}");
            if (status["last_processed_commit_version"]?.GetValue<long>() == version && status["ongoing_sync_progress"] is null) return synced;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{table} did not reach version {version}: {synced.ToJsonString()}");
            await Task.Delay(100);
        }
    }

    /// <summary>The PostgreSQL table's rows as text, one "a|b|c" per row, sorted.</summary>
    public async Task<List<string>> RowsAsync(string table)
    {
        await using var connection = await Server.ConnectAsync(Endpoint, Database);
        await using var command = new NpgsqlCommand(
            $"SELECT array_to_string(array(SELECT coalesce(value, 'null') FROM json_each_text(row_to_json(t))), '|') FROM fixtures.\"{table}\" t", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync()) rows.Add(reader.GetString(0));
        rows.Sort(StringComparer.Ordinal);
        return rows;
    }
}

/// <summary>Synced tables in Lakebase Local: real syncs of the real Delta fixtures into the branch's PostgreSQL.</summary>
public sealed class SyncedTableTests(SyncedTablesServer fixture) : IClassFixture<SyncedTablesServer>
{
    private static List<string> Sorted(IEnumerable<string> rows) => rows.Order(StringComparer.Ordinal).ToList();

    public static TheoryData<string, string[], string[]> Snapshots => new()
    {
        { "table-without-dv-small", ["value"], Enumerable.Range(0, 10).Select(i => $"{i}").ToArray() },
        { "delta-0.8.0-partitioned", ["value"], ["1|2020|1|1", "2|2020|2|3", "3|2020|2|5", "6|2021|12|20", "7|2021|12|20", "5|2021|12|4", "4|2021|4|5"] },
        { "simple_table", ["id"], ["5", "7", "9"] },
        { "table-with-dv-small", ["value"], Enumerable.Range(1, 8).Select(i => $"{i}").ToArray() },
        { "dv-partitioned-with-checkpoint", ["col1"],
            Enumerable.Range(0, 50).Where(x => !(x % 2 == 0 && x < 30)).Select(x => $"{x % 10}|{x}|foo{x % 5}").ToArray() },
        { "cdf-table", ["id"], ["1|Steve|2023-12-22", "2|Bob|2023-12-22", "3|Dave|2023-12-22", "4|Kate|2023-12-22", "5|Emily|2023-12-29",
            "6|Carl|2023-12-29", "8|Claire|2023-12-25", "9|Ada|2023-12-25", "10|Borb|2023-12-25"] },
        { "cdf-table-non-partitioned", ["id", "name"], CdfNonPartitionedLatest },
        { "data-reader-timestamp_ntz", ["id"], ["0|2021-11-18T02:30:00.123456|2021-11-18T02:30:00.123456", "1|2013-07-05T17:01:00.123456|2021-11-18T02:30:00.123456",
            "2|null|2021-11-18T02:30:00.123456", "3|2021-11-18T02:30:00.123456|2013-07-05T17:01:00.123456", "4|2013-07-05T17:01:00.123456|2013-07-05T17:01:00.123456",
            "5|null|2013-07-05T17:01:00.123456", "6|2021-11-18T02:30:00.123456|null", "7|2013-07-05T17:01:00.123456|null", "8|null|null"] },
        { "basic-decimal-table", ["col1"], ["234.00000|1.00|2.00000|3.0000000000", "2342222.23454|111.11|22222.22222|3333333333.3333333333",
            "0.00004|0.00|0.00000|0.0000000000", "-2342342.23423|-999.99|-99999.99999|-9999999999.9999999999"] },
    };

    private static readonly string[] CdfNonPartitionedLatest =
    [
        "1|Steve|2024-04-14|1|true|3.14|1", "1|Alex|2024-04-14|1|true|3.14|1", "2|Bob|2024-04-14|1|true|3.14|1",
        "2|Alan|2024-04-15|1|true|3.14|1", "3|Dave|2024-04-14|2|true|3.14|1", "4|Kate|2024-04-14|3|true|3.14|1",
        "5|Emily|2024-04-14|4|true|3.14|1", "6|Carl|2024-04-14|5|true|3.14|1", "8|Claire|2024-04-17|7|true|3.14|1",
        "9|Ada|2024-04-17|8|true|3.14|1", "10|Borb|2024-04-17|99999999999999999|true|3.14|1",
    ];

    [Theory]
    [MemberData(nameof(Snapshots))]
    public async Task Snapshot_sync_copies_the_latest_version_into_postgres(string fixtureTable, string[] primaryKey, string[] expected)
    {
        var alias = "snap_" + fixtureTable.Replace('-', '_').Replace('.', '_');
        var source = await fixture.RegisterAsync(fixtureTable, alias);
        await fixture.CreateSyncedTableAsync(alias, source, primaryKey);
        var synced = await fixture.WaitForSyncAsync(alias, new Lakebase.Delta.DeltaTable(Path.Combine(SyncedTablesServer.DeltaFixtures, fixtureTable)).LatestVersion());
        Assert.Equal(Sorted(expected), await fixture.RowsAsync(alias));
        Assert.Equal("SYNCED_TABLE_ONLINE_NO_PENDING_UPDATE", synced["status"]!["detailed_state"]!.GetValue<string>());
        Assert.Equal("ACTIVE", synced["status"]!["unity_catalog_provisioning_state"]!.GetValue<string>());
        Assert.NotNull(synced["status"]!["last_sync"]!["delta_table_sync_info"]!["delta_commit_time"]);
    }

    [Fact]
    public async Task Snapshot_of_nested_types_lands_as_jsonb_with_logical_names()
    {
        var source = await fixture.RegisterAsync("table-with-columnmapping-mode-name", "snap_mapping");
        await fixture.CreateSyncedTableAsync("snap_mapping", source, ["IntegerType"]);
        await fixture.WaitForSyncAsync("snap_mapping", 0);
        await using var connection = await fixture.Server.ConnectAsync(fixture.Endpoint, SyncedTablesServer.Database);
        await using var command = new NpgsqlCommand("""
            SELECT "nested_struct"->'ac'->>'aca', "map_of_arrays"::text, pg_typeof("TimestampType")::text, "decimal"::text
            FROM fixtures.snap_mapping WHERE "IntegerType" = 3
            """, connection);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal("3", reader.GetString(0));
        Assert.Equal("""{"3": [3, null, 4], "4": []}""", reader.GetString(1));
        Assert.Equal("timestamp with time zone", reader.GetString(2));
        Assert.Equal("3.00", reader.GetString(3));
    }

    [Theory]
    [InlineData("cdf-table", new[] { "id" }, 1L, 3L)]
    [InlineData("cdf-table-non-partitioned", new[] { "id", "name" }, 1L, 4L)]
    public async Task Triggered_sync_from_an_early_version_reaches_the_latest_exactly(string fixtureTable, string[] primaryKey, long early, long latest)
    {
        var alias = "trig_" + fixtureTable.Replace('-', '_');
        var source = await fixture.RegisterAsync(fixtureTable, alias, upToVersion: early);
        var created = await fixture.CreateSyncedTableAsync(alias, source, primaryKey, "TRIGGERED");
        await fixture.WaitForSyncAsync(alias, early);
        SyncedTablesServer.CopyFixture(fixtureTable, Path.Combine(fixture.Server.Root, "delta-sources", alias), fromVersion: early);

        var pipeline = created["status"]!["pipeline_id"]!.GetValue<string>();
        var started = await fixture.Server.SendAsync(HttpMethod.Post, $"/api/2.0/pipelines/{pipeline}/updates", new { });
        var updateId = started["update_id"]!.GetValue<string>();
        var synced = await fixture.WaitForSyncAsync(alias, latest);
        var update = await fixture.Server.GetAsync($"/api/2.0/pipelines/{pipeline}/updates/{updateId}");
        Assert.Equal("COMPLETED", update["update"]!["state"]!.GetValue<string>());

        var snapshot = await fixture.Server.SendAsync(HttpMethod.Get, $"/api/2.0/pipelines/{pipeline}", null);
        Assert.Equal("IDLE", snapshot["state"]!.GetValue<string>());
        var expected = Snapshots.Single(row => (string)row[0] == fixtureTable)[2] as string[];
        Assert.Equal(Sorted(expected!), await fixture.RowsAsync(alias));
        Assert.Equal(latest, synced["status"]!["last_sync"]!["delta_table_sync_info"]!["delta_commit_version"]!.GetValue<long>());
    }

    [Fact]
    public async Task Continuous_sync_picks_up_a_commit_appended_to_the_source()
    {
        var source = await fixture.RegisterAsync("cdf-table-non-partitioned", "cont_cdf", upToVersion: 3);
        await fixture.CreateSyncedTableAsync("cont_cdf", source, ["id", "name"], "CONTINUOUS");
        var before = await fixture.WaitForSyncAsync("cont_cdf", 3);
        Assert.Equal("SYNCED_TABLE_ONLINE_CONTINUOUS_UPDATE", before["status"]!["detailed_state"]!.GetValue<string>());
        Assert.DoesNotContain("2|Alan|2024-04-15|1|true|3.14|1", await fixture.RowsAsync("cont_cdf"));

        SyncedTablesServer.CopyFixture("cdf-table-non-partitioned", Path.Combine(fixture.Server.Root, "delta-sources", "cont_cdf"), fromVersion: 3);
        await fixture.WaitForSyncAsync("cont_cdf", 4);
        Assert.Equal(Sorted(CdfNonPartitionedLatest), await fixture.RowsAsync("cont_cdf"));
    }

    [Fact]
    public async Task Synced_tables_accept_select_and_create_index_but_not_writes_and_stay_after_delete()
    {
        var source = await fixture.RegisterAsync("simple_table", "guarded");
        await fixture.CreateSyncedTableAsync("guarded", source, ["id"]);
        await fixture.WaitForSyncAsync("guarded", 4);
        await using (var connection = await fixture.Server.ConnectAsync(fixture.Endpoint, SyncedTablesServer.Database))
        {
            await using (var index = new NpgsqlCommand("CREATE INDEX guarded_id ON fixtures.guarded (id)", connection)) await index.ExecuteNonQueryAsync();
            await using var insert = new NpgsqlCommand("INSERT INTO fixtures.guarded VALUES (100)", connection);
            var refused = await Assert.ThrowsAsync<PostgresException>(() => insert.ExecuteNonQueryAsync());
            Assert.Equal("42501", refused.SqlState);
            Assert.Contains("read-only", refused.MessageText);
        }

        await fixture.Server.RunAsync(HttpMethod.Delete, $"synced_tables/{SyncedTablesServer.CatalogId}.fixtures.guarded");
        var gone = await Assert.ThrowsAsync<ApiCallException>(() => fixture.Server.GetAsync($"synced_tables/{SyncedTablesServer.CatalogId}.fixtures.guarded"));
        Assert.Equal(404, gone.Status);
        // lakebase-semantics §3.6: the PostgreSQL table stays, with its data, and is the user's to drop.
        Assert.Equal(["5", "7", "9"], await fixture.RowsAsync("guarded"));
        await fixture.Server.ExecuteAsync(fixture.Endpoint, "DROP TABLE fixtures.guarded", SyncedTablesServer.Database);
    }

    [Fact]
    public async Task Bad_requests_get_clear_400s()
    {
        var simple = await fixture.RegisterAsync("simple_table", "bad_simple");
        var unsupported = Path.Combine(fixture.Server.Root, "delta-sources", "bad_variant", "_delta_log");
        Directory.CreateDirectory(unsupported);
        await File.WriteAllTextAsync(Path.Combine(unsupported, "00000000000000000000.json"), """
            {"protocol":{"minReaderVersion":1,"minWriterVersion":2}}
            {"metaData":{"id":"v","format":{"provider":"parquet","options":{}},"schemaString":"{\"type\":\"struct\",\"fields\":[{\"name\":\"id\",\"type\":\"long\",\"nullable\":false,\"metadata\":{}},{\"name\":\"doc\",\"type\":\"variant\",\"nullable\":true,\"metadata\":{}}]}","partitionColumns":[],"configuration":{}}}
            """);
        await fixture.Server.SendAsync(HttpMethod.Post, "/api/2.0/lakebase-local/unity-catalog/tables",
            new { name = "main.fixtures.bad_variant", path = Path.GetDirectoryName(unsupported) });

        async Task<ApiCallException> Refused(string table, object spec) => await Assert.ThrowsAsync<ApiCallException>(() =>
            fixture.Server.SendAsync(HttpMethod.Post, $"synced_tables?synced_table_id={SyncedTablesServer.CatalogId}.fixtures.{table}", new { spec }));

        var noKey = await Refused("t1", new { source_table_full_name = simple, scheduling_policy = "SNAPSHOT" });
        Assert.Contains("primary_key_columns", noKey.ErrorMessage);
        var unknown = await Refused("t2", new { source_table_full_name = "main.fixtures.nothing_here", primary_key_columns = new[] { "id" }, scheduling_policy = "SNAPSHOT" });
        Assert.Contains("main.fixtures.nothing_here", unknown.ErrorMessage);
        var noCdf = await Refused("t3", new { source_table_full_name = simple, primary_key_columns = new[] { "id" }, scheduling_policy = "TRIGGERED" });
        Assert.Contains("Change Data Feed", noCdf.ErrorMessage);
        var badType = await Refused("t4", new { source_table_full_name = "main.fixtures.bad_variant", primary_key_columns = new[] { "id" }, scheduling_policy = "SNAPSHOT" });
        Assert.Contains("variant", badType.ErrorMessage);
        var badKey = await Refused("t5", new { source_table_full_name = simple, primary_key_columns = new[] { "nope" }, scheduling_policy = "SNAPSHOT" });
        Assert.Contains("nope", badKey.ErrorMessage);
        var duplicate = await Assert.ThrowsAsync<ApiCallException>(() => fixture.Server.SendAsync(HttpMethod.Post, $"catalogs?catalog_id={SyncedTablesServer.CatalogId}",
            new { spec = new { branch = fixture.Branch, postgres_database = "other" } }));
        foreach (var error in new[] { noKey, unknown, noCdf, badType, badKey, duplicate })
            Assert.Equal(400, error.Status);
        Assert.Equal("BAD_REQUEST", duplicate.ErrorCode);
    }

    [Fact]
    public async Task A_branch_of_a_branch_with_a_synced_table_holds_its_rows_as_of_that_moment()
    {
        var source = await fixture.RegisterAsync("simple_table", "inherited");
        await fixture.CreateSyncedTableAsync("inherited", source, ["id"]);
        await fixture.WaitForSyncAsync("inherited", 4);
        await fixture.Server.RunAsync(HttpMethod.Post, $"projects/{fixture.Project}/branches?branch_id=with-synced", new { spec = new { no_expiry = true } });

        var child = $"projects/{fixture.Project}/branches/with-synced/endpoints/primary";
        Assert.Equal(3L, await fixture.Server.QueryAsync<long>(child, "SELECT count(*) FROM fixtures.inherited", SyncedTablesServer.Database));
        Assert.Equal(new long[] { 5, 7, 9 }, await fixture.Server.QueryAsync<long[]>(child, "SELECT array_agg(id ORDER BY id) FROM fixtures.inherited", SyncedTablesServer.Database));
    }

    [Fact]
    public async Task A_type_override_makes_a_string_column_varchar_and_what_cannot_be_honoured_is_refused()
    {
        var source = await fixture.RegisterAsync("cdf-table", "overridden");
        string Path(string table) => $"synced_tables?synced_table_id={SyncedTablesServer.CatalogId}.fixtures.{table}";
        object Spec(object overrides) => new { spec = new { source_table_full_name = source, primary_key_columns = new[] { "id" }, scheduling_policy = "SNAPSHOT", type_overrides = overrides } };
        await fixture.Server.RunAsync(HttpMethod.Post, Path("overridden"), Spec(new[] { new { column_name = "name", pg_type = "PG_SPECIFIC_TYPE_VARCHAR", size = 40 } }));
        await fixture.WaitForSyncAsync("overridden", 3);
        Assert.Equal("character varying(40)", await fixture.Server.QueryAsync<string>(fixture.Endpoint,
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'fixtures.overridden'::regclass AND attname = 'name'", SyncedTablesServer.Database));
        Assert.Equal(9, (await fixture.RowsAsync("overridden")).Count);

        async Task<ApiCallException> Refused(string table, object body) =>
            await Assert.ThrowsAsync<ApiCallException>(() => fixture.Server.SendAsync(HttpMethod.Post, Path(table), body));
        var vector = await Refused("o1", Spec(new[] { new { column_name = "name", pg_type = "PG_SPECIFIC_TYPE_VECTOR", size = 3 } }));
        Assert.Contains("pgvector", vector.ErrorMessage);
        var notString = await Refused("o2", Spec(new[] { new { column_name = "id", pg_type = "PG_SPECIFIC_TYPE_VARCHAR", size = 10 } }));
        Assert.Contains("only a string column", notString.ErrorMessage);
        var extra = await Refused("o3", new { spec = new { source_table_full_name = source, primary_key_columns = new[] { "id" }, scheduling_policy = "SNAPSHOT",
            extra_columns = new[] { new { column_name = "doc", column_type = "tsvector", compute = "to_tsvector(name)", maintenance = "STORED_GENERATED" } } } });
        Assert.Contains("extra_columns", extra.ErrorMessage);
        foreach (var error in new[] { vector, notString, extra })
            Assert.Equal("INVALID_PARAMETER_VALUE", error.ErrorCode);
    }

    [Fact]
    public async Task Registered_tables_are_listed_and_read_where_they_are()
    {
        var source = await fixture.RegisterAsync("table-without-dv-small", "listed");
        var tables = (await fixture.Server.GetAsync("/api/2.0/lakebase-local/unity-catalog/tables"))["tables"]!.AsArray();
        var listed = tables.Single(t => t!["name"]!.GetValue<string>() == source)!;
        Assert.True(listed["registered"]!.GetValue<bool>());
        Assert.Equal(Path.Combine(fixture.Server.Root, "delta-sources", "listed"), listed["path"]!.GetValue<string>());
    }

    [Fact]
    public async Task Synced_tables_go_offline_with_a_deleted_branch_and_go_with_it_and_its_catalogs_when_it_is_purged()
    {
        var branch = $"projects/{fixture.Project}/branches/lifecycle";
        await fixture.Server.RunAsync(HttpMethod.Post, $"projects/{fixture.Project}/branches?branch_id=lifecycle", new { spec = new { no_expiry = true } });
        await fixture.Server.RunAsync(HttpMethod.Post, "catalogs?catalog_id=life_lake",
            new { spec = new { branch, postgres_database = "lifedb", create_database_if_missing = true } });
        var source = await fixture.RegisterAsync("simple_table", "life_source");
        await fixture.Server.RunAsync(HttpMethod.Post, "synced_tables?synced_table_id=life_lake.fixtures.kept",
            new { spec = new { source_table_full_name = source, primary_key_columns = new[] { "id" }, scheduling_policy = "SNAPSHOT" } });
        await fixture.WaitForSyncAsync("kept", 4, "life_lake");

        // Deleted (restorable): the synced table says it is offline, and why, until the branch is undeleted.
        await fixture.Server.RunAsync(HttpMethod.Delete, branch);
        var offline = (await fixture.Server.GetAsync("synced_tables/life_lake.fixtures.kept"))["status"]!;
        Assert.Equal("SYNCED_TABLE_OFFLINE", offline["detailed_state"]!.GetValue<string>());
        Assert.Contains(branch, offline["message"]!.GetValue<string>());
        await fixture.Server.RunAsync(HttpMethod.Post, $"{branch}/undelete", new { });
        var online = await fixture.WaitForSyncAsync("kept", 4, "life_lake");
        Assert.Equal("SYNCED_TABLE_ONLINE_NO_PENDING_UPDATE", online["status"]!["detailed_state"]!.GetValue<string>());

        // A dropped database takes the catalog registered on it along.
        var owner = (await fixture.Server.GetAsync($"{branch}/roles"))["roles"]!.AsArray()[0]!["name"]!.GetValue<string>();
        await fixture.Server.RunAsync(HttpMethod.Post, $"{branch}/databases?database_id=dropped",
            new { spec = new { postgres_database = "droppeddb", role = owner } });
        await fixture.Server.RunAsync(HttpMethod.Post, "catalogs?catalog_id=dropped_lake", new { spec = new { branch, postgres_database = "droppeddb" } });
        await fixture.Server.RunAsync(HttpMethod.Delete, $"{branch}/databases/dropped");
        Assert.Equal(404, (await Assert.ThrowsAsync<ApiCallException>(() => fixture.Server.GetAsync("catalogs/dropped_lake"))).Status);

        // Purged: nothing is left to sync into, so the catalog and the synced table are gone too.
        await fixture.Server.RunAsync(HttpMethod.Delete, $"{branch}?purge=true");
        Assert.Equal(404, (await Assert.ThrowsAsync<ApiCallException>(() => fixture.Server.GetAsync("synced_tables/life_lake.fixtures.kept"))).Status);
        Assert.Equal(404, (await Assert.ThrowsAsync<ApiCallException>(() => fixture.Server.GetAsync("catalogs/life_lake"))).Status);
    }
}
