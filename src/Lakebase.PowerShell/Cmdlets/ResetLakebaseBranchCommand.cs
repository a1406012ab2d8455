using System.Management.Automation;
using Lakebase.Contract.Models;
using Lakebase.PowerShell.Binding;
using Lakebase.PowerShell.CmdletBases;
using Lakebase.PowerShell.Objects;

namespace Lakebase.PowerShell.Cmdlets;

/// <summary>Brings a branch back to its parent's current state, on the same endpoint host (Lakebase Local only: the
/// Lakebase API has no reset).</summary>
[Cmdlet(VerbsCommon.Reset, "LakebaseBranch", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(LakebaseBranch), typeof(LakebaseOperation), typeof(LakebaseJob))]
public sealed class ResetLakebaseBranchCommand : BranchOperationCmdlet
{
    /// <summary>Keeps the branch's data before the reset as a new branch of this id.</summary>
    [Parameter]
    public string? PreserveUnderName { get; set; }

    protected override void ProcessItem()
    {
        var name = BranchName().ToString();
        if (PreserveUnderName is not null) Names.CheckedId(PreserveUnderName, "PreserveUnderName");
        Client.CheckCanResetBranch(name);
        var action = PreserveUnderName is null ? "Reset to its parent's current state, discarding its changes"
            : $"Reset to its parent's current state, keeping its current data as branch {PreserveUnderName}";
        if (!ShouldProcess(name, action)) return;
        Complete<Branch>((client, cancellationToken) => client.ResetBranchAsync(name, PreserveUnderName, cancellationToken),
            branch => new LakebaseBranch(branch), $"Resetting {name}");
    }
}
