using System.Management.Automation;
using Lakebase.Client;
using Lakebase.Contract.Models;
using AuthMethod = Lakebase.PowerShell.Objects.AuthMethod;
using IdentityType = Lakebase.PowerShell.Objects.IdentityType;
using Lakebase.PowerShell.Binding;
using Lakebase.PowerShell.CmdletBases;
using Lakebase.PowerShell.Objects;

namespace Lakebase.PowerShell.Cmdlets;

/// <summary>Creates a Postgres role on a branch: a Databricks identity (logs in with OAuth tokens) or a plain role.</summary>
[Cmdlet(VerbsCommon.New, "LakebaseRole", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
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
    public IdentityType? IdentityType { get; set; }

    [Parameter]
    public AuthMethod? AuthMethod { get; set; }

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
        var roleId = RoleId is null ? null : Names.CheckedRoleId(RoleId, nameof(RoleId));
        var spec = new RoleSpec
        {
            PostgresRole = PostgresRole,
            IdentityType = WireValues.ToWire(IdentityType),
            AuthMethod = WireValues.ToWire(AuthMethod),
            MembershipRoles = Superuser ? [MembershipRole.DatabricksSuperuser] : null,
            Attributes = new RoleAttributes { Createdb = CreateDb ? true : null, Createrole = CreateRole ? true : null, Bypassrls = BypassRls ? true : null },
        };
        CompleteCreate<Role>($"role {PostgresRole} on {branch}", Force,
            (client, cancellationToken) => Force
                ? client.CreateOrUpdateRoleAsync(branch, roleId, new Role { Spec = spec }, cancellationToken)
                : client.CreateRoleAsync(branch, roleId, new Role { Spec = spec }, false, cancellationToken),
            role => new LakebaseRole(role));
    }
}
