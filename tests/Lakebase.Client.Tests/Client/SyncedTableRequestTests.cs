using Lakebase.Contract.Models;
using Lakebase.Contract.Models.Catalogs;
using Xunit;

namespace Lakebase.Client.Tests.Client;

/// <summary>Catalogs and synced tables are created with exactly what the Databricks CLI sent to the real service.</summary>
public class SyncedTableRequestTests
{
    private const string Operation = """{"name":"catalogs/lakebase_test_u1/operations/abc","done":false}""";
    private const string Production = Fixtures.Project + "/branches/production";

    private static async Task<RecordedRequest> SendOne(Func<LakebaseClient, Task> call)
    {
        var handler = new RecordingHandler(_ => Http.Json(Operation));
        using var client = await TestClient.ConnectAsync(handler);
        await call(client);
        return Assert.Single(handler.Requests);
    }

    [Fact]
    public async Task Create_catalog_posts_the_spec_with_catalog_id()
    {
        var request = await SendOne(c => c.CreateCatalogAsync("lakebase_test_u1", new Catalog
        {
            Spec = new CatalogSpec { Branch = Production, PostgresDatabase = "appdb", CreateDatabaseIfMissing = true },
        }));
        Fixtures.AssertSame(Fixtures.Find("catalogs__basic.out.requests.json", "POST", "/api/2.0/postgres/catalogs"), request);
    }

    [Fact]
    public async Task Create_synced_table_posts_the_spec_with_synced_table_id()
    {
        var request = await SendOne(c => c.CreateSyncedTableAsync("lakebase_test_u1.public.trips_synced", new SyncedTable
        {
            Spec = new SyncedTableSpec
            {
                Branch = Production,
                CreateDatabaseObjectsIfMissing = true,
                NewPipelineSpec = new NewPipelineSpec { StorageCatalog = "main", StorageSchema = "pipeline_storage_u1" },
                PostgresDatabase = "appdb",
                PrimaryKeyColumns = ["tpep_pickup_datetime"],
                SchedulingPolicy = SchedulingPolicy.Snapshot,
                SourceTableFullName = "main.source_u1.trips_source",
            },
        }));
        Fixtures.AssertSame(Fixtures.Find("synced_tables__basic.out.requests.json", "POST", "/api/2.0/postgres/synced_tables"), request);
    }
}
