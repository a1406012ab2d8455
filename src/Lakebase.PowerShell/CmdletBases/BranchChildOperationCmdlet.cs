using System.Management.Automation;
using Lakebase.Contract;
using Lakebase.PowerShell.Binding;
using Lakebase.PowerShell.Completion;

namespace Lakebase.PowerShell.CmdletBases;

/// <summary>
/// An operation on a resource inside a branch (endpoint, role, database). The resource is named by its id plus
/// -ProjectId/-BranchId, which bind from a piped branch or resource, or by its full name alone.
/// </summary>
public abstract class BranchChildOperationCmdlet : OperationCmdlet
{
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(ProjectIdCompleter))]
    public string? ProjectId { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(BranchIdCompleter))]
    public string? BranchId { get; set; }

    /// <summary>The full name of the <paramref name="kind"/> the id parameter names, checked.</summary>
    protected ResourceName ChildName(ResourceKind kind, string id, string parameterName) => Names.Child(kind, ProjectId, BranchId, id, parameterName);
}
