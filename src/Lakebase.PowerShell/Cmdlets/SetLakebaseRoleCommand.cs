using System.Management.Automation;
using Lakebase.Contract;
using Lakebase.Contract.Models;
using Lakebase.PowerShell.CmdletBases;
using Lakebase.PowerShell.Objects;
using Lakebase.PowerShell.Completion;

namespace Lakebase.PowerShell.Cmdlets;

/// <summary>Renames a role or changes its attributes and membership; only the parameters given change
/// (-CreateDb $true sends exactly spec.attributes.createdb).</summary>
[Cmdlet(VerbsCommon.Set, "LakebaseRole", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(LakebaseRole), typeof(LakebaseOperation), typeof(LakebaseJob))]
public sealed class SetLakebaseRoleCommand : BranchChildOperationCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(RoleIdCompleter))]
    public string RoleId { get; set; } = "";

    [Parameter]
    public string? PostgresRole { get; set; }

    [Parameter]
    public bool Superuser { get; set; }

    [Parameter]
    public bool CreateDb { get; set; }

    [Parameter]
    public bool CreateRole { get; set; }

    [Parameter]
    public bool BypassRls { get; set; }

    protected override object? Target => RoleId;

    protected override void ProcessItem()
    {
        var name = ChildName(ResourceKind.Role, RoleId, nameof(RoleId)).ToString();
        var bound = MyInvocation.BoundParameters;
        var spec = new RoleSpec { Attributes = new RoleAttributes() };
        var mask = new List<string>();
        if (bound.ContainsKey(nameof(PostgresRole))) { spec.PostgresRole = PostgresRole; mask.Add("spec.postgres_role"); }
        if (bound.ContainsKey(nameof(Superuser))) { spec.MembershipRoles = Superuser ? [MembershipRole.DatabricksSuperuser] : []; mask.Add("spec.membership_roles"); }
        if (bound.ContainsKey(nameof(CreateDb))) { spec.Attributes.Createdb = CreateDb; mask.Add("spec.attributes.createdb"); }
        if (bound.ContainsKey(nameof(CreateRole))) { spec.Attributes.Createrole = CreateRole; mask.Add("spec.attributes.createrole"); }
        if (bound.ContainsKey(nameof(BypassRls))) { spec.Attributes.Bypassrls = BypassRls; mask.Add("spec.attributes.bypassrls"); }
        CompleteUpdate<Role>(name, mask, "give -PostgresRole, -Superuser, -CreateDb, -CreateRole or -BypassRls",
            (client, cancellationToken) => client.UpdateRoleAsync(name, new Role { Spec = spec }, mask, cancellationToken),
            role => new LakebaseRole(role));
    }
}
