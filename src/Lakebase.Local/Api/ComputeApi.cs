using System.Text.Json.Nodes;
using Lakebase.Contract;
using Lakebase.Local.Compute;
using Lakebase.Local.ControlPlane;

namespace Lakebase.Local.Api;

/// <summary>
/// Lakebase Local's own view of its computes. The postgres API reports an endpoint's autoscaling limits but has no
/// field for the size it runs at, so the size the autoscaler picked within them, and the load it picked it from, are
/// reported here, under Lakebase Local's own prefix.
/// </summary>
internal static class ComputeApi
{
    public static void MapComputeApi(this IEndpointRouteBuilder routes) =>
        routes.MapGet("/api/2.0/lakebase-local/computes", (Catalog catalog, ComputeManager computes, Autoscaler autoscaler) =>
        {
            var list = new JsonArray();
            foreach (var endpoint in catalog.Store.List<Endpoint>(ResourceKind.Endpoint, null).OrderBy(e => e.Name, StringComparer.Ordinal))
            {
                var uid = endpoint.Uid!;
                var compute = new JsonObject
                {
                    ["endpoint"] = endpoint.Name,
                    ["uid"] = uid,
                    ["running"] = computes.IsRunning(uid),
                    ["autoscaling_limit_min_cu"] = endpoint.Status!.AutoscalingLimitMinCu,
                    ["autoscaling_limit_max_cu"] = endpoint.Status.AutoscalingLimitMaxCu,
                };
                if (computes.Sizing(uid)?.CurrentCu is { } currentCu) compute["current_cu"] = currentCu;
                if (autoscaler.Load(uid) is { } load)
                    compute["load"] = new JsonObject { ["active_queries"] = load.ActiveQueries, ["busy_cores"] = Math.Round(load.BusyCores, 2) };
                list.Add(compute);
            }
            return Results.Json(new JsonObject { ["computes"] = list });
        });
}
