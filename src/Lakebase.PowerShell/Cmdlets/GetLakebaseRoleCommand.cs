using System.Management.Automation;
using Lakebase.Contract;
using Lakebase.PowerShell.CmdletBases;
using Lakebase.PowerShell.Objects;
using Lakebase.PowerShell.Completion;

namespace Lakebase.PowerShell.Cmdlets;

/// <summary>Gets one role, or lists a branch's roles.</summary>
[Cmdlet(VerbsCommon.Get, "LakebaseRole")]
[OutputType(typeof(LakebaseRole))]
public sealed class GetLakebaseRoleCommand : BranchChildCmdlet
{
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(RoleIdCompleter))]
    public string? RoleId { get; set; }

    protected override object? Target => RoleId ?? BranchId;

    protected override void ProcessItem() => GetOrList(ResourceKind.Role, RoleId,
        (client, name, cancellationToken) => client.GetRoleAsync(name, cancellationToken),
        (client, branch, cancellationToken) => client.ListRolesAsync(branch, cancellationToken),
        role => new LakebaseRole(role));
}
