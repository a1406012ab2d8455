using System.Management.Automation;
using Lakebase.Contract;
using Lakebase.PowerShell.Infrastructure;
using Lakebase.PowerShell.Objects;

namespace Lakebase.PowerShell.Cmdlets;

/// <summary>Gets one role, or lists a branch's roles.</summary>
[Cmdlet(VerbsCommon.Get, "LakebaseRole")]
[OutputType(typeof(LakebaseRole))]
public sealed class GetLakebaseRoleCommand : LakebaseCmdlet
{
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? ProjectId { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? BranchId { get; set; }

    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    public string? RoleId { get; set; }

    protected override object? Target => RoleId ?? BranchId;

    protected override void ProcessItem()
    {
        var client = Client;
        if (RoleId is not null)
        {
            var name = Names.Child(ResourceKind.Role, ProjectId, BranchId, RoleId, nameof(RoleId)).ToString();
            WriteObject(new LakebaseRole(Await(cancellationToken => client.GetRoleAsync(name, cancellationToken))));
            return;
        }
        var branch = Names.Branch(ProjectId, BranchId ?? throw new ArgumentException("-BranchId is required (or pipe in a branch).", nameof(BranchId))).ToString();
        WriteEach(cancellationToken => client.ListRolesAsync(branch, cancellationToken), role => new LakebaseRole(role));
    }
}
