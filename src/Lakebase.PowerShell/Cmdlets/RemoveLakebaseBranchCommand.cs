using System.Management.Automation;
using Lakebase.PowerShell.CmdletBases;
using Lakebase.PowerShell.Objects;

namespace Lakebase.PowerShell.Cmdlets;

/// <summary>Deletes a branch and its computes. Without -Purge it can be restored until its purge time.</summary>
[Cmdlet(VerbsCommon.Remove, "LakebaseBranch", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(LakebaseOperation), typeof(LakebaseJob))]
public sealed class RemoveLakebaseBranchCommand : BranchOperationCmdlet
{
    [Parameter]
    public SwitchParameter Purge { get; set; }

    /// <summary>Succeeds when the branch is not there (the service's allow_missing), so a cleanup can run twice.</summary>
    [Parameter]
    public SwitchParameter AllowMissing { get; set; }

    protected override void ProcessItem()
    {
        var name = BranchName().ToString();
        if (!ShouldProcess(name, Purge ? "Delete permanently, with its data" : "Delete (restorable until purged)")) return;
        Complete((client, cancellationToken) => client.DeleteBranchAsync(name, Purge, AllowMissing, cancellationToken), $"Deleting {name}");
    }
}
