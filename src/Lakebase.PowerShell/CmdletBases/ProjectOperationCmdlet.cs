using System.Management.Automation;
using Lakebase.Contract;
using Lakebase.PowerShell.Binding;
using Lakebase.PowerShell.Completion;

namespace Lakebase.PowerShell.CmdletBases;

/// <summary>
/// An operation on an existing project (Set-, Remove-, Restore-LakebaseProject), named by its id or full name,
/// which binds from a piped project.
/// </summary>
public abstract class ProjectOperationCmdlet : OperationCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(ProjectIdCompleter))]
    public string ProjectId { get; set; } = "";

    protected override object? Target => ProjectId;

    /// <summary>The full name of the project, checked.</summary>
    protected ResourceName ProjectName() => Names.Project(ProjectId);
}
