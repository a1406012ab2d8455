using System.Management.Automation;
using Lakebase.Contract.Models;
using Lakebase.PowerShell.Binding;
using Lakebase.PowerShell.CmdletBases;
using Lakebase.PowerShell.Objects;

namespace Lakebase.PowerShell.Cmdlets;

/// <summary>Creates a Postgres role on a branch: a Databricks identity (logs in with OAuth tokens) or a plain role.</summary>
[Cmdlet(VerbsCommon.New, "LakebaseRole")]
[OutputType(typeof(LakebaseRole), typeof(LakebaseOperation), typeof(LakebaseJob))]
public sealed class NewLakebaseRoleCommand : NewBranchChildCmdlet
{
    /// <summary>The Postgres role name: a user's e-mail, a service principal's application id, or any name.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    public string PostgresRole { get; set; } = "";

    /// <summary>The resource id; derived from the role name when omitted.</summary>
    [Parameter]
    public string? RoleId { get; set; }

    [Parameter]
    [ValidateSet("User", "ServicePrincipal", "Group")]
    public string? IdentityType { get; set; }

    [Parameter]
    [ValidateSet("LakebaseOAuth", "Password", "NoLogin")]
    public string? AuthMethod { get; set; }

    /// <summary>Makes the role a member of databricks_superuser.</summary>
    [Parameter]
    public SwitchParameter Superuser { get; set; }

    [Parameter]
    public SwitchParameter CreateDb { get; set; }

    [Parameter]
    public SwitchParameter CreateRole { get; set; }

    [Parameter]
    public SwitchParameter BypassRls { get; set; }

    protected override object? Target => PostgresRole;

    protected override void ProcessItem()
    {
        var branch = ParentBranch().ToString();
        var roleId = RoleId is null ? null : Names.CheckedId(RoleId, nameof(RoleId));
        var spec = new RoleSpec
        {
            PostgresRole = PostgresRole,
            IdentityType = RoleEnums.Identity(IdentityType),
            AuthMethod = RoleEnums.Auth(AuthMethod),
            MembershipRoles = Superuser ? [MembershipRole.DatabricksSuperuser] : null,
            Attributes = new RoleAttributes { Createdb = CreateDb ? true : null, Createrole = CreateRole ? true : null, Bypassrls = BypassRls ? true : null },
        };
        Complete<Role>((client, cancellationToken) => client.CreateRoleAsync(branch, roleId, new Role { Spec = spec }, false, cancellationToken),
            role => new LakebaseRole(role), $"Creating role {PostgresRole} on {branch}");
    }
}
