using Lakebase.Local.ControlPlane;

namespace Lakebase.Local.Api;

/// <summary>What the last start of Lakebase Local repaired (see <see cref="RecoveryReport"/>); the postgres API has
/// no place for it.</summary>
internal static class RecoveryApi
{
    public static void MapRecoveryApi(this IEndpointRouteBuilder routes) =>
        routes.MapGet("/api/2.0/lakebase-local/recovery", (RecoveryReport report) => ApiResults.Json(new Dictionary<string, IReadOnlyList<string>>
        {
            ["repairs"] = report.Repairs,
        }));
}
