using System.Management.Automation;
using Lakebase.PowerShell.CmdletBases;
using Lakebase.PowerShell.Objects;

namespace Lakebase.PowerShell.Cmdlets;

/// <summary>Brings back a soft-deleted project (undelete).</summary>
[Cmdlet(VerbsData.Restore, "LakebaseProject", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(LakebaseProject), typeof(LakebaseOperation), typeof(LakebaseJob))]
public sealed class RestoreLakebaseProjectCommand : ProjectOperationCmdlet
{
    protected override void ProcessItem()
    {
        var name = ProjectName().ToString();
        if (!ShouldProcess(name, "Undelete")) return;
        Complete((client, cancellationToken) => client.UndeleteProjectAsync(name, cancellationToken), $"Restoring {name}");
        if (!NoWait && !AsJob) WriteObject(new LakebaseProject(Await(cancellationToken => Client.GetProjectAsync(name, cancellationToken))));
    }
}
