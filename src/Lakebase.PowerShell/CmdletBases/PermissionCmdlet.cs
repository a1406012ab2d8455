using System.Management.Automation;
using Lakebase.PowerShell.Binding;
using Lakebase.PowerShell.Objects;

namespace Lakebase.PowerShell.CmdletBases;

/// <summary>Base of the cmdlets that grant and revoke a project permission: the project (piped from
/// Get-LakebaseProject) and exactly one principal, a user, a group or a service principal.</summary>
public abstract class PermissionCmdlet : LakebaseCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    public string ProjectId { get; set; } = "";

    [Parameter(Mandatory = true, ParameterSetName = nameof(LakebasePrincipalType.User))]
    public string? UserName { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = nameof(LakebasePrincipalType.Group))]
    public string? GroupName { get; set; }

    /// <summary>The service principal's application id.</summary>
    [Parameter(Mandatory = true, ParameterSetName = nameof(LakebasePrincipalType.ServicePrincipal))]
    public string? ServicePrincipalName { get; set; }

    protected override object? Target => ProjectId;

    private protected LakebasePrincipalType PrincipalType => Enum.Parse<LakebasePrincipalType>(ParameterSetName);

    private protected string Principal => UserName ?? GroupName ?? ServicePrincipalName ?? "";

    /// <summary>The project's id, checked (a project name, projects/…, is accepted too).</summary>
    private protected string CheckedProjectId => Names.Project(ProjectId).ProjectId;

    private protected void WritePermissions(string projectId, Contract.Models.ObjectPermissions permissions)
    {
        foreach (var permission in LakebasePermission.From(projectId, permissions).Where(p => p.PrincipalType == PrincipalType && p.Principal == Principal))
            WriteObject(permission);
    }
}
