using Lakebase.Contract;
using Lakebase.Contract.Local;
using Lakebase.Local.ControlPlane;

namespace Lakebase.Local.Api;

/// <summary>Reset from parent (see <see cref="BranchReset"/>), under Lakebase Local's own prefix because the postgres
/// API has no such method.</summary>
internal static class BranchResetApi
{
    public static void MapBranchResetApi(this IEndpointRouteBuilder routes) =>
        routes.MapPost("/api/2.0/lakebase-local/projects/{projectId}/branches/{branchId}/reset", async (HttpRequest request, string projectId, string branchId, BranchReset reset) =>
        {
            var (body, _) = await ApiResults.ReadBodyAsync<LocalBranchReset>(request);
            return ApiResults.Json(reset.Reset(ResourceName.Branch(projectId, branchId), body.PreserveUnderName));
        });
}
