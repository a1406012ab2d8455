using Lakebase.Contract.Models;
using Lakebase.Local.ControlPlane;

namespace Lakebase.Local.Api;

/// <summary>/api/2.0/permissions/database-projects/{project_id}: get, set (PUT replaces) and update (PATCH adds).</summary>
internal static class PermissionsApi
{
    public static void MapPermissionsApi(this IEndpointRouteBuilder routes)
    {
        const string route = DatabaseProjectPermissions.PathPrefix + "{projectId}";
        routes.MapGet(route, (HttpContext context, string projectId, PermissionService permissions) =>
            ApiResults.Json(permissions.Get(projectId, context.Principal())));
        routes.MapPut(route, async (HttpContext context, string projectId, PermissionService permissions) =>
            ApiResults.Json(permissions.Set(projectId, (await ApiResults.ReadBodyAsync<ObjectPermissionsRequest>(context.Request)).Body, context.Principal())));
        routes.MapPatch(route, async (HttpContext context, string projectId, PermissionService permissions) =>
            ApiResults.Json(permissions.Update(projectId, (await ApiResults.ReadBodyAsync<ObjectPermissionsRequest>(context.Request)).Body, context.Principal())));
    }
}
