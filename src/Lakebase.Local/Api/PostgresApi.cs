using Lakebase.Contract;
using Lakebase.Contract.Models;
using Lakebase.Local.ControlPlane;

namespace Lakebase.Local.Api;

/// <summary>
/// /api/2.0/postgres/…: resource names arrive raw in the path, so one route takes every call and tells them apart by
/// the name's shape (collection keyword, custom method suffix, operations segment), as the service's transcoding does.
/// </summary>
internal static class PostgresApi
{
    private static readonly string[] Collections = ["branches", "endpoints", "roles", "databases"];

    public static void MapPostgresApi(this IEndpointRouteBuilder routes) =>
        routes.MapMethods("/api/2.0/postgres/{**path}", ["GET", "POST", "PATCH", "DELETE"], HandleAsync);

    private static async Task<IResult> HandleAsync(HttpContext context, string path,
        ProjectService projects, BranchService branches, EndpointService endpoints, RoleService roles, DatabaseService databases,
        OperationLookup operations, CredentialApi credentials, PermissionService permissions)
    {
        var request = context.Request;
        var method = request.Method;
        var caller = context.Principal();
        path = path.TrimEnd('/');
        if (ProjectIdOf(path) is { } projectId)
            permissions.Require(caller, projectId, method == "GET" ? PermissionLevel.CanUse : PermissionLevel.CanManage);

        if (path == "projects")
        {
            if (method == "GET")
            {
                var visible = projects.List(ApiResults.Flag(request, "show_deleted"))
                    .Where(project => permissions.Allows(caller.UserName, project.ProjectId!, PermissionLevel.CanUse));
                var (items, next) = ApiResults.Page(visible, request);
                return ApiResults.Json(new ListProjectsResponse { Projects = items, NextPageToken = next });
            }
            if (method == "POST")
            {
                var (body, _) = await ApiResults.ReadBodyAsync<Project>(request);
                return ApiResults.Json(projects.Create(ApiResults.Text(request, "project_id"), body, caller));
            }
        }

        if (path == "credentials" && method == "POST") return await credentials.GenerateAsync(context);

        if (path.Contains(ResourceName.OperationsSegment, StringComparison.Ordinal) && method == "GET")
            return ApiResults.Json(operations.Get(path));

        if (path.EndsWith("/undelete", StringComparison.Ordinal) && method == "POST")
        {
            var target = Parse(path[..^"/undelete".Length]);
            return target.Kind switch
            {
                ResourceKind.Project => ApiResults.Json(projects.Undelete(target)),
                ResourceKind.Branch => ApiResults.Json(branches.Undelete(target)),
                _ => Unsupported(method, path),
            };
        }

        var lastSlash = path.LastIndexOf('/');
        var collection = lastSlash < 0 ? "" : path[(lastSlash + 1)..];
        if (Collections.Contains(collection))
        {
            var parent = Parse(path[..lastSlash]);
            return (collection, method) switch
            {
                ("branches", "GET") => Page(branches.List(parent, ApiResults.Flag(request, "show_deleted")), request, (items, next) => new ListBranchesResponse { Branches = items, NextPageToken = next }),
                ("endpoints", "GET") => Page(endpoints.List(RequireBranch(parent)), request, (items, next) => new ListEndpointsResponse { Endpoints = items, NextPageToken = next }),
                ("roles", "GET") => Page(roles.List(RequireBranch(parent)), request, (items, next) => new ListRolesResponse { Roles = items, NextPageToken = next }),
                ("databases", "GET") => Page(databases.List(RequireBranch(parent)), request, (items, next) => new ListDatabasesResponse { Databases = items, NextPageToken = next }),
                ("branches", "POST") => await CreateAsync<Branch>(request, (body, raw, replace) =>
                    branches.Create(RequireProject(parent), ApiResults.Text(request, "branch_id"), body, raw, replace)),
                ("endpoints", "POST") => await CreateAsync<Endpoint>(request, (body, raw, replace) =>
                    endpoints.Create(RequireBranch(parent), ApiResults.Text(request, "endpoint_id"), body, raw, replace)),
                ("roles", "POST") => await CreateAsync<Role>(request, (body, raw, replace) =>
                    roles.Create(RequireBranch(parent), ApiResults.Text(request, "role_id"), body, raw, replace)),
                ("databases", "POST") => await CreateAsync<Database>(request, (body, raw, replace) =>
                    databases.Create(RequireBranch(parent), ApiResults.Text(request, "database_id"), body, raw, replace)),
                _ => Unsupported(method, path),
            };
        }

        var name = Parse(path);
        var mask = ApiResults.Text(request, "update_mask");
        return (name.Kind, method) switch
        {
            (ResourceKind.Project, "GET") => ApiResults.Json(projects.Get(name)),
            (ResourceKind.Branch, "GET") => ApiResults.Json(branches.Get(name)),
            (ResourceKind.Endpoint, "GET") => ApiResults.Json(endpoints.Get(name)),
            (ResourceKind.Role, "GET") => ApiResults.Json(roles.Get(name)),
            (ResourceKind.Database, "GET") => ApiResults.Json(databases.Get(name)),
            (ResourceKind.Project, "PATCH") => await UpdateAsync<Project>(request, (body, raw) => projects.Update(name, body, raw, mask)),
            (ResourceKind.Branch, "PATCH") => await UpdateAsync<Branch>(request, (body, raw) => branches.Update(name, body, raw, mask)),
            (ResourceKind.Endpoint, "PATCH") => await UpdateAsync<Endpoint>(request, (body, raw) => endpoints.Update(name, body, raw, mask)),
            (ResourceKind.Role, "PATCH") => await UpdateAsync<Role>(request, (body, raw) => roles.Update(name, body, raw, mask)),
            (ResourceKind.Database, "PATCH") => await UpdateAsync<Database>(request, (body, raw) => databases.Update(name, body, raw, mask)),
            (ResourceKind.Project, "DELETE") => ApiResults.Json(projects.Delete(name, ApiResults.Flag(request, "purge"), ApiResults.Flag(request, "allow_missing"))),
            (ResourceKind.Branch, "DELETE") => ApiResults.Json(branches.Delete(name, ApiResults.Flag(request, "purge"), ApiResults.Flag(request, "allow_missing"))),
            (ResourceKind.Endpoint, "DELETE") => ApiResults.Json(endpoints.Delete(name)),
            (ResourceKind.Role, "DELETE") => ApiResults.Json(roles.Delete(name, ApiResults.Text(request, "reassign_owned_to"))),
            (ResourceKind.Database, "DELETE") => ApiResults.Json(databases.Delete(name)),
            _ => Unsupported(method, path),
        };
    }

    private static async Task<IResult> CreateAsync<T>(HttpRequest request, Func<T, System.Text.Json.Nodes.JsonObject, bool, Operation> create) where T : new()
    {
        var (body, raw) = await ApiResults.ReadBodyAsync<T>(request);
        return ApiResults.Json(create(body, raw, ApiResults.Flag(request, "replace_existing")));
    }

    private static async Task<IResult> UpdateAsync<T>(HttpRequest request, Func<T, System.Text.Json.Nodes.JsonObject, Operation> update) where T : new()
    {
        var (body, raw) = await ApiResults.ReadBodyAsync<T>(request);
        return ApiResults.Json(update(body, raw));
    }

    private static IResult Page<T, TResponse>(IEnumerable<T> items, HttpRequest request, Func<List<T>, string?, TResponse> wrap)
    {
        var (page, next) = ApiResults.Page(items, request);
        return ApiResults.Json(wrap(page, next));
    }

    /// <summary>The project a call acts in or on (projects/{id}/…), whose permissions it needs.</summary>
    private static string? ProjectIdOf(string path)
    {
        var parts = path.Split('/', 3);
        return parts.Length >= 2 && parts[0] == "projects" && parts[1].Length > 0 ? parts[1] : null;
    }

    private static ResourceName Parse(string path) => ResourceName.TryParse(path, out var name)
        ? name
        : throw new ApiException(ErrorCodes.NotFound, $"No API method for path '/api/2.0/postgres/{path}'.");

    private static ResourceName RequireProject(ResourceName name) =>
        name.Kind == ResourceKind.Project ? name : throw new ApiException(ErrorCodes.NotFound, $"Branches belong to projects, not to {name}.");

    private static ResourceName RequireBranch(ResourceName name) =>
        name.Kind == ResourceKind.Branch ? name : throw new ApiException(ErrorCodes.NotFound, $"This collection belongs to branches, not to {name}.");

    private static IResult Unsupported(string method, string path) =>
        ApiResults.Error(ErrorCodes.NotFound, $"No API method for {method} /api/2.0/postgres/{path}.");
}
