using System.Text.RegularExpressions;

namespace Lakebase.Contract;

public enum ResourceKind { Project, Branch, Endpoint, Role, Database, Operation, Catalog, SyncedTable, PipelineUpdate }

/// <summary>
/// A parsed resource name such as projects/p/branches/b/endpoints/e. Names travel raw in URLs (slashes kept,
/// no percent-encoding); operation ids are opaque and may contain '+', '/' and '='.
/// </summary>
public sealed record ResourceName(ResourceKind Kind, string ProjectId, string? BranchId = null, string? ChildId = null,
    ResourceName? OperationTarget = null, string? OperationId = null)
{
    public const string OperationsSegment = "/operations/";

    public static ResourceName Project(string projectId) => new(ResourceKind.Project, projectId);
    public static ResourceName Branch(string projectId, string branchId) => new(ResourceKind.Branch, projectId, branchId);
    public static ResourceName Endpoint(string projectId, string branchId, string endpointId) => new(ResourceKind.Endpoint, projectId, branchId, endpointId);
    public static ResourceName Role(string projectId, string branchId, string roleId) => new(ResourceKind.Role, projectId, branchId, roleId);
    public static ResourceName Database(string projectId, string branchId, string databaseId) => new(ResourceKind.Database, projectId, branchId, databaseId);

    /// <summary>catalogs/{id} and synced_tables/{catalog.schema.table} are top-level: they belong to no project by name.</summary>
    public static ResourceName Catalog(string catalogId) => new(ResourceKind.Catalog, "", ChildId: catalogId);
    public static ResourceName SyncedTable(string syncedTableId) => new(ResourceKind.SyncedTable, "", ChildId: syncedTableId);

    /// <summary>The id of this resource within its parent (project id, branch id, endpoint id, ...).</summary>
    public string Id => Kind switch
    {
        ResourceKind.Project => ProjectId,
        ResourceKind.Branch => BranchId!,
        ResourceKind.Operation => OperationId!,
        _ => ChildId!,
    };

    public string ProjectName => $"projects/{ProjectId}";
    public string? BranchName => BranchId is null ? null : $"{ProjectName}/branches/{BranchId}";

    /// <summary>The parent resource's name; null for a project.</summary>
    public string? Parent => Kind switch
    {
        ResourceKind.Project => null,
        ResourceKind.Branch => ProjectName,
        ResourceKind.Operation => OperationTarget!.ToString(),
        ResourceKind.Catalog or ResourceKind.SyncedTable => null,
        _ => BranchName,
    };

    public override string ToString() => Kind switch
    {
        ResourceKind.Project => ProjectName,
        ResourceKind.Branch => BranchName!,
        ResourceKind.Endpoint => $"{BranchName}/endpoints/{ChildId}",
        ResourceKind.Role => $"{BranchName}/roles/{ChildId}",
        ResourceKind.Database => $"{BranchName}/databases/{ChildId}",
        ResourceKind.Operation => $"{OperationTarget}{OperationsSegment}{OperationId}",
        ResourceKind.Catalog => $"catalogs/{ChildId}",
        ResourceKind.SyncedTable => $"synced_tables/{ChildId}",
        _ => throw new InvalidOperationException(),
    };

    public ResourceName NewOperation(string operationId) =>
        new(ResourceKind.Operation, ProjectId, BranchId, ChildId, this, operationId);

    public static bool TryParse(string? text, out ResourceName name)
    {
        name = null!;
        if (string.IsNullOrEmpty(text)) return false;
        var operationAt = text.IndexOf(OperationsSegment, StringComparison.Ordinal);
        if (operationAt >= 0)
        {
            var operationId = text[(operationAt + OperationsSegment.Length)..];
            if (operationId.Length == 0 || !TryParse(text[..operationAt], out var target)) return false;
            name = target.NewOperation(operationId);
            return true;
        }
        var parts = text.Split('/');
        if (parts is ["catalogs", { Length: > 0 } catalogId])
        {
            name = Catalog(catalogId);
            return true;
        }
        if (parts is ["synced_tables", { Length: > 0 } syncedTableId])
        {
            name = SyncedTable(syncedTableId);
            return true;
        }
        if (parts.Length < 2 || parts[0] != "projects" || parts[1].Length == 0) return false;
        switch (parts.Length)
        {
            case 2:
                name = Project(parts[1]);
                return true;
            case 4 when parts[2] == "branches" && parts[3].Length > 0:
                name = Branch(parts[1], parts[3]);
                return true;
            case 6 when parts[2] == "branches" && parts[3].Length > 0 && parts[5].Length > 0:
                ResourceKind? kind = parts[4] switch
                {
                    "endpoints" => ResourceKind.Endpoint,
                    "roles" => ResourceKind.Role,
                    "databases" => ResourceKind.Database,
                    _ => null,
                };
                if (kind is null) return false;
                name = new ResourceName(kind.Value, parts[1], parts[3], parts[5]);
                return true;
            default:
                return false;
        }
    }

    public static ResourceName Parse(string text) =>
        TryParse(text, out var name) ? name : throw new FormatException($"'{text}' is not a Lakebase resource name.");
}

/// <summary>
/// Id syntax rules. The real service words its error exactly like <see cref="Describe"/>. The patterns are shown as the
/// service shows them; they are matched against the whole id (\A…\z), since $ would also accept an id ending in a newline.
/// </summary>
public static partial class ResourceIds
{
    /// <summary>Projects, branches and endpoints: 1–63 characters.</summary>
    public const string Pattern = "^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$";

    /// <summary>Roles: 4–63 characters (postgres-api.md §1.4). The SDK calls it RFC 1123; the CLI's fake, checked
    /// against the real API, accepts a trailing hyphen, so that is followed here.</summary>
    public const string RolePattern = "^[a-z][a-z0-9-]{3,62}$";

    /// <summary>The shortest role or database id; ids made for a role or database are at least this long.</summary>
    public const int MinRoleOrDatabaseIdLength = 4;

    public static bool IsValid(string? id) => id is not null && IdRegex().IsMatch(id);

    public static bool IsValidRoleId(string? id) => id is not null && RoleIdRegex().IsMatch(id);

    /// <summary>Databases: the service checks database_id against <see cref="Pattern"/> (recorded from the live API),
    /// and its reference gives them 4–63 characters, as roles.</summary>
    public static bool IsValidDatabaseId(string? id) => IsValid(id) && id!.Length >= MinRoleOrDatabaseIdLength;

    /// <summary>Null when valid, otherwise the message the service returns for field <paramref name="field"/>.</summary>
    public static string? Describe(string field, string? id) =>
        IsValid(id) ? null : $"Field {field} must match pattern {Pattern}, got '{id}'.";

    /// <summary>As <see cref="Describe"/>, for a role_id.</summary>
    public static string? DescribeRoleId(string? id) => IsValidRoleId(id) ? null : $"Field role_id must match pattern {RolePattern}, got '{id}'.";

    /// <summary>As <see cref="Describe"/>, for a database_id.</summary>
    public static string? DescribeDatabaseId(string? id) =>
        IsValidDatabaseId(id) ? null : Describe("database_id", id) ?? $"Field database_id must have {MinRoleOrDatabaseIdLength} to 63 characters, got '{id}'.";

    [GeneratedRegex(@"\A[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?\z")]
    private static partial Regex IdRegex();

    [GeneratedRegex(@"\A[a-z][a-z0-9-]{3,62}\z")]
    private static partial Regex RoleIdRegex();
}
