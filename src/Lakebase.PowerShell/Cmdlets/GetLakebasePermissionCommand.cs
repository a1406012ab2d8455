using System.Management.Automation;
using Lakebase.PowerShell.Binding;
using Lakebase.PowerShell.CmdletBases;
using Lakebase.PowerShell.Objects;

namespace Lakebase.PowerShell.Cmdlets;

/// <summary>Gets who may use and manage a project: one object per principal and level, inherited ones included.</summary>
[Cmdlet(VerbsCommon.Get, "LakebasePermission")]
[OutputType(typeof(LakebasePermission))]
public sealed class GetLakebasePermissionCommand : LakebaseCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    public string ProjectId { get; set; } = "";

    protected override object? Target => ProjectId;

    protected override void ProcessItem()
    {
        var projectId = Names.Project(ProjectId).ProjectId;
        var client = Client;
        var permissions = Await(cancellationToken => client.GetProjectPermissionsAsync(projectId, cancellationToken));
        foreach (var permission in LakebasePermission.From(projectId, permissions)) WriteObject(permission);
    }
}
