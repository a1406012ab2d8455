using Lakebase.Contract;
using Lakebase.Contract.Local;
using Lakebase.Local.Compute;
using Lakebase.Local.ControlPlane;

namespace Lakebase.Local.Api;

/// <summary>Lakebase Local's own view of its computes (see <see cref="LocalCompute"/>): the size each runs at, which
/// the postgres API has no field for.</summary>
internal static class ComputeApi
{
    public static void MapComputeApi(this IEndpointRouteBuilder routes) =>
        routes.MapGet("/api/2.0/lakebase-local/computes", (Catalog catalog, ComputeManager computes, Autoscaler autoscaler) => ApiResults.Json(new LocalComputeList
        {
            Computes = catalog.Store.List<Endpoint>(ResourceKind.Endpoint, null).OrderBy(e => e.Name, StringComparer.Ordinal).Select(endpoint => new LocalCompute
            {
                Endpoint = endpoint.Name,
                Uid = endpoint.Uid,
                Running = computes.IsRunning(endpoint.Uid!),
                AutoscalingLimitMinCu = endpoint.Status!.AutoscalingLimitMinCu,
                AutoscalingLimitMaxCu = endpoint.Status.AutoscalingLimitMaxCu,
                CurrentCu = computes.Sizing(endpoint.Uid!)?.CurrentCu,
                Load = autoscaler.Load(endpoint.Uid!) is { } load
                    ? new LocalComputeLoad { ActiveQueries = load.ActiveQueries, BusyCores = Math.Round(load.BusyCores, 2) }
                    : null,
            }).ToList(),
        }));
}
