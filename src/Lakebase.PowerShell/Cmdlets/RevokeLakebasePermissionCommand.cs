using System.Management.Automation;
using Lakebase.PowerShell.CmdletBases;
using Lakebase.PowerShell.Objects;

namespace Lakebase.PowerShell.Cmdlets;

/// <summary>Takes away what a user, group or service principal was granted on a project; the rest of the project's
/// permissions stay. Inherited permissions (workspace admins) are not the project's to revoke.</summary>
[Cmdlet(VerbsSecurity.Revoke, "LakebasePermission", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(void))]
public sealed class RevokeLakebasePermissionCommand : PermissionCmdlet
{
    protected override void ProcessItem()
    {
        var projectId = CheckedProjectId;
        var client = Client;
        var direct = LakebasePermission.From(projectId, Await(cancellationToken => client.GetProjectPermissionsAsync(projectId, cancellationToken)))
            .Where(permission => !permission.Inherited)
            .ToList();
        var kept = direct.Where(permission => permission.PrincipalType != PrincipalType || permission.Principal != Principal).ToList();
        if (kept.Count == direct.Count)
        {
            WriteError(new ErrorRecord(new ItemNotFoundException($"{PrincipalType} '{Principal}' has no permission granted on project '{projectId}'."),
                "PermissionNotGranted", ErrorCategory.ObjectNotFound, Principal));
            return;
        }
        if (!ShouldProcess($"projects/{projectId}", $"Revoke every permission of {PrincipalType} '{Principal}'")) return;
        Await(cancellationToken => client.SetProjectPermissionsAsync(projectId, kept.Select(permission => permission.ToGrant()).ToList(), cancellationToken));
    }
}
