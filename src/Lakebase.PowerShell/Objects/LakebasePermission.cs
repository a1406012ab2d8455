using Lakebase.Contract.Models;

namespace Lakebase.PowerShell.Objects;

/// <summary>Who a permission is granted to.</summary>
public enum LakebasePrincipalType { User, Group, ServicePrincipal }

/// <summary>The levels of a project permission: CanUse reads and connects, CanManage also changes.</summary>
public enum LakebasePermissionLevel { CanUse, CanManage }

/// <summary>One principal's permission on a project (direct, or inherited from the workspace).</summary>
public sealed class LakebasePermission
{
    internal LakebasePermission(string projectId, AccessControlResponse entry, Permission permission)
    {
        ProjectId = projectId;
        (PrincipalType, Principal) = entry switch
        {
            { UserName: { Length: > 0 } user } => (LakebasePrincipalType.User, user),
            { GroupName: { Length: > 0 } group } => (LakebasePrincipalType.Group, group),
            _ => (LakebasePrincipalType.ServicePrincipal, entry.ServicePrincipalName ?? ""),
        };
        DisplayName = entry.DisplayName;
        Level = permission.PermissionLevel;
        Inherited = permission.Inherited;
        InheritedFrom = permission.InheritedFromObject?.FirstOrDefault();
    }

    public string ProjectId { get; }
    public LakebasePrincipalType PrincipalType { get; }
    /// <summary>The user name, group name or service principal's application id.</summary>
    public string Principal { get; }
    public string? DisplayName { get; }
    /// <summary>CAN_USE or CAN_MANAGE, as the API names them.</summary>
    public string? Level { get; }
    public bool Inherited { get; }
    public string? InheritedFrom { get; }

    /// <summary>Each principal's permissions on the project, one object per level held.</summary>
    internal static IEnumerable<LakebasePermission> From(string projectId, ObjectPermissions permissions) =>
        (permissions.AccessControlList ?? []).SelectMany(entry => (entry.AllPermissions ?? []).Select(permission => new LakebasePermission(projectId, entry, permission)));

    /// <summary>The API's name for a level.</summary>
    internal static string Wire(LakebasePermissionLevel level) => level == LakebasePermissionLevel.CanManage ? PermissionLevel.CanManage : PermissionLevel.CanUse;

    /// <summary>A grant of <paramref name="level"/> to a principal, as the API takes it.</summary>
    internal static AccessControlRequest Grant(LakebasePrincipalType type, string principal, string level) => type switch
    {
        LakebasePrincipalType.User => new AccessControlRequest { UserName = principal, PermissionLevel = level },
        LakebasePrincipalType.Group => new AccessControlRequest { GroupName = principal, PermissionLevel = level },
        _ => new AccessControlRequest { ServicePrincipalName = principal, PermissionLevel = level },
    };

    /// <summary>This permission as a grant to send back (inherited ones are not the project's to send).</summary>
    internal AccessControlRequest ToGrant() => Grant(PrincipalType, Principal, Level ?? PermissionLevel.CanUse);
}
