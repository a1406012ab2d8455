namespace Lakebase.Contract.Models;

/// <summary>A project's permissions (GET, and the answer to PUT and PATCH, of /api/2.0/permissions/database-projects/{id}).</summary>
public sealed class ObjectPermissions
{
    public string? ObjectId { get; set; }
    public string? ObjectType { get; set; }
    public List<AccessControlResponse>? AccessControlList { get; set; }
}

/// <summary>One principal's permissions: exactly one of the three names is set.</summary>
public sealed class AccessControlResponse
{
    public string? UserName { get; set; }
    public string? GroupName { get; set; }
    public string? ServicePrincipalName { get; set; }
    public string? DisplayName { get; set; }
    public List<Permission>? AllPermissions { get; set; }
}

public sealed class Permission
{
    public string? PermissionLevel { get; set; }
    public bool Inherited { get; set; }
    public List<string>? InheritedFromObject { get; set; }
}

/// <summary>The body of PUT (replaces the list) and PATCH (adds to it or changes a principal's level).</summary>
public sealed class ObjectPermissionsRequest
{
    public List<AccessControlRequest>? AccessControlList { get; set; }
}

/// <summary>A grant: exactly one of the three names, and a level.</summary>
public sealed class AccessControlRequest
{
    public string? UserName { get; set; }
    public string? GroupName { get; set; }
    public string? ServicePrincipalName { get; set; }
    public string? PermissionLevel { get; set; }
}

/// <summary>The levels a database project has (CAN_CREATE is the workspace's, for creating projects).</summary>
public static class PermissionLevel
{
    public const string CanUse = "CAN_USE";
    public const string CanManage = "CAN_MANAGE";

    /// <summary>Higher levels include lower ones.</summary>
    public static int Rank(string? level) => level switch { CanManage => 2, CanUse => 1, _ => 0 };
}

/// <summary>Where the permissions API names database projects.</summary>
public static class DatabaseProjectPermissions
{
    public const string ObjectType = "database-project";
    public const string PathPrefix = "/api/2.0/permissions/database-projects/";
    public static string ObjectId(string projectId) => "/database-projects/" + projectId;
    /// <summary>The workspace admins group: it manages every project, inherited from the workspace.</summary>
    public const string AdminsGroup = "admins";
    /// <summary>The group every identity is in.</summary>
    public const string UsersGroup = "users";
}
