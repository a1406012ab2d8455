using System.Management.Automation;
using Lakebase.PowerShell.CmdletBases;
using Lakebase.PowerShell.Objects;

namespace Lakebase.PowerShell.Cmdlets;

/// <summary>Deletes a project with all its branches. Without -Purge it can be restored until its purge time.</summary>
[Cmdlet(VerbsCommon.Remove, "LakebaseProject", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(LakebaseOperation), typeof(LakebaseJob))]
public sealed class RemoveLakebaseProjectCommand : ProjectOperationCmdlet
{
    /// <summary>Deletes for good, at once; no restore.</summary>
    [Parameter]
    public SwitchParameter Purge { get; set; }

    /// <summary>Succeeds when the project is not there (the service's allow_missing), so a cleanup can run twice.</summary>
    [Parameter]
    public SwitchParameter AllowMissing { get; set; }

    protected override void ProcessItem()
    {
        var name = ProjectName().ToString();
        if (!ShouldProcess(name, Purge ? "Delete permanently, with all branches and data" : "Delete (restorable until purged)")) return;
        Complete((client, cancellationToken) => client.DeleteProjectAsync(name, Purge, AllowMissing, cancellationToken), $"Deleting {name}");
    }
}
