using System.Management.Automation;
using Lakebase.PowerShell.CmdletBases;
using Lakebase.PowerShell.Objects;

namespace Lakebase.PowerShell.Cmdlets;

/// <summary>Gives a user, group or service principal a level on a project (replacing the level it had); the rest of
/// the project's permissions stay as they are.</summary>
[Cmdlet(VerbsSecurity.Grant, "LakebasePermission", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(LakebasePermission))]
public sealed class GrantLakebasePermissionCommand : PermissionCmdlet
{
    [Parameter(Mandatory = true)]
    public LakebasePermissionLevel Level { get; set; }

    protected override void ProcessItem()
    {
        var projectId = CheckedProjectId;
        var level = LakebasePermission.Wire(Level);
        if (!ShouldProcess($"projects/{projectId}", $"Grant {level} to {PrincipalType} '{Principal}'")) return;
        var client = Client;
        var grant = LakebasePermission.Grant(PrincipalType, Principal, level);
        WritePermissions(projectId, Await(cancellationToken => client.UpdateProjectPermissionsAsync(projectId, [grant], cancellationToken)));
    }
}
