using System.Management.Automation;
using Lakebase.Contract;
using Lakebase.PowerShell.Binding;
using Lakebase.PowerShell.Completion;

namespace Lakebase.PowerShell.CmdletBases;

/// <summary>
/// New-* for a resource inside a branch (endpoint, role, database). The branch is named by -BranchId plus
/// -ProjectId, which bind from a piped branch, or by its full name alone; the new resource's own id never binds
/// from the pipeline.
/// </summary>
public abstract class NewBranchChildCmdlet : OperationCmdlet
{
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(ProjectIdCompleter))]
    public string? ProjectId { get; set; }

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(BranchIdCompleter))]
    public string BranchId { get; set; } = "";

    /// <summary>Create or update: when the resource exists, update it to the given settings instead of failing.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>The full name of the branch the resource is created in, checked.</summary>
    protected ResourceName ParentBranch() => Names.Branch(ProjectId, BranchId);
}
