using System.Management.Automation;
using Lakebase.Contract;
using Lakebase.PowerShell.Binding;
using Lakebase.PowerShell.Completion;

namespace Lakebase.PowerShell.CmdletBases;

/// <summary>
/// An operation on an existing branch (Set-, Remove-, Restore-LakebaseBranch). The branch is named by its id plus
/// -ProjectId, both binding from a piped branch, or by its full name alone.
/// </summary>
public abstract class BranchOperationCmdlet : OperationCmdlet
{
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(ProjectIdCompleter))]
    public string? ProjectId { get; set; }

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(BranchIdCompleter))]
    public string BranchId { get; set; } = "";

    protected override object? Target => BranchId;

    /// <summary>The full name of the branch, checked.</summary>
    protected ResourceName BranchName() => Names.Branch(ProjectId, BranchId);
}
