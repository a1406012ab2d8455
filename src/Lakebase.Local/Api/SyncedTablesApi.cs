using Lakebase.Contract;
using Lakebase.Contract.Local;
using Lakebase.Contract.Models;
using UcCatalog = Lakebase.Contract.Models.Catalogs.Catalog;
using Lakebase.Local.ControlPlane;
using Lakebase.Local.SyncedTables;

namespace Lakebase.Local.Api;

/// <summary>
/// Reverse ETL: /api/2.0/postgres/catalogs and /synced_tables (long-running operations), the Pipelines API calls a
/// client makes to run a synced table's pipeline, and Lakebase Local's own Unity Catalog table registry.
/// </summary>
internal static class SyncedTablesApi
{
    public static void MapSyncedTablesApi(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/api/2.0/postgres/catalogs", async (HttpRequest request, CatalogService catalogs) =>
        {
            var (body, _) = await ApiResults.ReadBodyAsync<UcCatalog>(request);
            return ApiResults.Json(catalogs.Create(ApiResults.Text(request, "catalog_id"), body));
        });
        routes.MapMethods("/api/2.0/postgres/catalogs/{**rest}", ["GET", "DELETE"], (HttpRequest request, string rest, CatalogService catalogs, OperationLookup operations) =>
            Resource(request, "catalogs/" + rest, operations, name => catalogs.Get(name), name => catalogs.Delete(name)));

        routes.MapPost("/api/2.0/postgres/synced_tables", async (HttpRequest request, SyncedTableService tables) =>
        {
            var (body, _) = await ApiResults.ReadBodyAsync<SyncedTable>(request);
            return ApiResults.Json(await tables.CreateAsync(ApiResults.Text(request, "synced_table_id"), body, request.HttpContext.RequestAborted));
        });
        routes.MapMethods("/api/2.0/postgres/synced_tables/{**rest}", ["GET", "DELETE"], (HttpRequest request, string rest, SyncedTableService tables, OperationLookup operations) =>
            Resource(request, "synced_tables/" + rest, operations, name => tables.Get(name), name => tables.Delete(name)));

        routes.MapPost("/api/2.0/pipelines/{pipelineId}/updates", async (HttpRequest request, string pipelineId, SyncScheduler scheduler) =>
        {
            var (body, _) = await ApiResults.ReadBodyAsync<PipelineUpdate>(request);
            return ApiResults.Json(new StartUpdateResponse { UpdateId = scheduler.StartUpdate(pipelineId, body.FullRefresh == true).UpdateId });
        });
        routes.MapGet("/api/2.0/pipelines/{pipelineId}/updates/{updateId}", (string pipelineId, string updateId, SyncScheduler scheduler) =>
            ApiResults.Json(new GetUpdateResponse { Update = scheduler.GetUpdate(pipelineId, updateId) }));
        routes.MapGet("/api/2.0/pipelines/{pipelineId}", (string pipelineId, SyncScheduler scheduler) => ApiResults.Json(scheduler.GetPipeline(pipelineId)));

        routes.MapGet("/api/2.0/lakebase-local/unity-catalog/tables", (UnityCatalog unityCatalog) => ApiResults.Json(new LocalDeltaTableList
        {
            Tables = unityCatalog.List().Select(Wire).ToList(),
        }));
        routes.MapPost("/api/2.0/lakebase-local/unity-catalog/tables", async (HttpRequest request, UnityCatalog unityCatalog) =>
        {
            var (body, _) = await ApiResults.ReadBodyAsync<LocalDeltaTable>(request);
            return ApiResults.Json(Wire(unityCatalog.Register(body.Name, body.Path)));
        });
        routes.MapDelete("/api/2.0/lakebase-local/unity-catalog/tables/{name}", (string name, UnityCatalog unityCatalog) =>
        {
            unityCatalog.Unregister(name);
            return ApiResults.Json(new { });
        });
    }

    private static LocalDeltaTable Wire(UnityCatalogTable table) => new() { Name = table.FullName, Path = table.Path, Registered = table.Registered };

    /// <summary>GET or DELETE on a catalog or synced table, or GET on one of their operations.</summary>
    private static IResult Resource<T>(HttpRequest request, string path, OperationLookup operations, Func<ResourceName, T> get, Func<ResourceName, Operation> delete)
    {
        path = path.TrimEnd('/');
        if (path.Contains(ResourceName.OperationsSegment, StringComparison.Ordinal) && request.Method == "GET")
            return ApiResults.Json(operations.Get(path));
        if (!ResourceName.TryParse(path, out var name))
            return ApiResults.Error(ErrorCodes.NotFound, $"No API method for {request.Method} /api/2.0/postgres/{path}.");
        return request.Method == "GET" ? ApiResults.Json(get(name)) : ApiResults.Json(delete(name));
    }
}
