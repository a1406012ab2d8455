using System.Management.Automation;
using Lakebase.PowerShell.Binding;
using Lakebase.PowerShell.CmdletBases;
using Lakebase.PowerShell.Objects;
using Lakebase.PowerShell.Completion;

namespace Lakebase.PowerShell.Cmdlets;

/// <summary>Gets one project, or lists all of them.</summary>
[Cmdlet(VerbsCommon.Get, "LakebaseProject")]
[OutputType(typeof(LakebaseProject))]
public sealed class GetLakebaseProjectCommand : LakebaseCmdlet
{
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [ArgumentCompleter(typeof(ProjectIdCompleter))]
    public string? ProjectId { get; set; }

    /// <summary>Also lists soft-deleted projects (which Restore-LakebaseProject can bring back).</summary>
    [Parameter]
    public SwitchParameter IncludeDeleted { get; set; }

    protected override object? Target => ProjectId;

    protected override void ProcessItem()
    {
        var client = Client;
        if (ProjectId is null)
        {
            WriteEach(cancellationToken => client.ListProjectsAsync(IncludeDeleted, cancellationToken), project => new LakebaseProject(project));
            return;
        }
        var name = Names.Project(ProjectId).ToString();
        WriteObject(new LakebaseProject(Await(cancellationToken => client.GetProjectAsync(name, cancellationToken))));
    }
}
