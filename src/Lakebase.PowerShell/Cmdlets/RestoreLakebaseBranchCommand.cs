using System.Management.Automation;
using Lakebase.PowerShell.CmdletBases;
using Lakebase.PowerShell.Objects;

namespace Lakebase.PowerShell.Cmdlets;

/// <summary>Brings back a soft-deleted branch (undelete).</summary>
[Cmdlet(VerbsData.Restore, "LakebaseBranch", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(LakebaseBranch), typeof(LakebaseOperation), typeof(LakebaseJob))]
public sealed class RestoreLakebaseBranchCommand : BranchOperationCmdlet
{
    protected override void ProcessItem()
    {
        var name = BranchName().ToString();
        if (!ShouldProcess(name, "Undelete")) return;
        Complete((client, cancellationToken) => client.UndeleteBranchAsync(name, cancellationToken), $"Restoring {name}");
        if (!NoWait && !AsJob) WriteObject(new LakebaseBranch(Await(cancellationToken => Client.GetBranchAsync(name, cancellationToken))));
    }
}
