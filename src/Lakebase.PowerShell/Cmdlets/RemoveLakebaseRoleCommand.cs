using System.Management.Automation;
using Lakebase.Contract;
using Lakebase.PowerShell.Binding;
using Lakebase.PowerShell.CmdletBases;
using Lakebase.PowerShell.Objects;
using Lakebase.PowerShell.Completion;

namespace Lakebase.PowerShell.Cmdlets;

/// <summary>Drops a role; -ReassignOwnedTo hands what it owns to another role first.</summary>
[Cmdlet(VerbsCommon.Remove, "LakebaseRole", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(LakebaseOperation), typeof(LakebaseJob))]
public sealed class RemoveLakebaseRoleCommand : BranchChildOperationCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(RoleIdCompleter))]
    public string RoleId { get; set; } = "";

    /// <summary>The role (id or name) that takes over the removed role's objects.</summary>
    [Parameter]
    public string? ReassignOwnedTo { get; set; }

    protected override object? Target => RoleId;

    protected override void ProcessItem()
    {
        var name = ChildName(ResourceKind.Role, RoleId, nameof(RoleId));
        var heir = ReassignOwnedTo is null ? null : Names.Child(ResourceKind.Role, name.ProjectId, name.BranchId, ReassignOwnedTo, nameof(ReassignOwnedTo)).ToString();
        if (!ShouldProcess(name.ToString(), heir is null ? "Drop role" : $"Reassign owned objects to {heir}, then drop role")) return;
        Complete((client, cancellationToken) => client.DeleteRoleAsync(name.ToString(), heir, cancellationToken), $"Deleting {name}");
    }
}
