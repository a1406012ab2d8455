using Lakebase.Contract;
using Lakebase.Contract.Models;

namespace Lakebase.PowerShell.Objects;

/// <summary>A Postgres role on a branch.</summary>
public sealed class LakebaseRole
{
    internal LakebaseRole(Role role)
    {
        Raw = role;
        var status = role.Status ?? new RoleStatus();
        Name = role.Name ?? "";
        var name = ResourceName.Parse(Name);
        ProjectId = name.ProjectId;
        BranchId = name.BranchId!;
        RoleId = name.ChildId!;
        PostgresRole = status.PostgresRole;
        IdentityType = WireValues.Identity(status.IdentityType);
        AuthMethod = WireValues.Auth(status.AuthMethod);
        IsSuperuser = status.MembershipRoles?.Contains(MembershipRole.DatabricksSuperuser) == true;
        CreateDb = status.Attributes?.Createdb ?? false;
        CreateRole = status.Attributes?.Createrole ?? false;
        BypassRls = status.Attributes?.Bypassrls ?? false;
    }

    public string Name { get; }
    public string ProjectId { get; }
    public string BranchId { get; }
    public string RoleId { get; }
    public string? PostgresRole { get; }
    /// <summary>Null for a plain Postgres role.</summary>
    public IdentityType? IdentityType { get; }
    public AuthMethod? AuthMethod { get; }
    /// <summary>Member of databricks_superuser.</summary>
    public bool IsSuperuser { get; }
    public bool CreateDb { get; }
    public bool CreateRole { get; }
    public bool BypassRls { get; }
    public Role Raw { get; }

    public override string ToString() => Name;
}
