using Lakebase.Contract;
using Lakebase.Contract.Local;
using Lakebase.Contract.Models;
using Lakebase.Local.Compute;
using Lakebase.Local.ControlPlane;

namespace Lakebase.Local.Api;

/// <summary>Lakebase Local's own view of its computes (see <see cref="LocalCompute"/>): the size each runs at, which
/// the postgres API has no field for. A caller sees the computes of the projects it may use.</summary>
internal static class ComputeApi
{
    public static void MapComputeApi(this IEndpointRouteBuilder routes) =>
        routes.MapGet("/api/2.0/lakebase-local/computes", (HttpContext context, Catalog catalog, ComputeManager computes, Autoscaler autoscaler,
            PermissionService permissions) => ApiResults.Json(new LocalComputeList
        {
            Computes = catalog.Store.List<Endpoint>(ResourceKind.Endpoint, null)
                .Where(endpoint => permissions.Allows(context.Principal().UserName, ResourceName.Parse(endpoint.Name!).ProjectId, PermissionLevel.CanUse))
                .OrderBy(e => e.Name, StringComparer.Ordinal).Select(endpoint => new LocalCompute
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
