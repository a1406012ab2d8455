using System.Management.Automation;
using Lakebase.Contract.Models;
using Lakebase.PowerShell.Infrastructure;
using Lakebase.PowerShell.Objects;

namespace Lakebase.PowerShell.Cmdlets;

/// <summary>
/// Creates a branch: a copy of its source (the project's default branch unless -SourceBranch says otherwise) as of
/// now, with its own read-write endpoint. Without -Ttl or -ExpireTime the branch never expires.
/// </summary>
[Cmdlet(VerbsCommon.New, "LakebaseBranch")]
[OutputType(typeof(LakebaseBranch), typeof(LakebaseOperation), typeof(LakebaseJob))]
public sealed class NewLakebaseBranchCommand : OperationCmdlet
{
    /// <summary>Binds from a piped project (its ProjectId); the new branch's id never binds from the pipeline.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    public string ProjectId { get; set; } = "";

    [Parameter(Mandatory = true, Position = 0)]
    [Alias("Name")]
    public string BranchId { get; set; } = "";

    /// <summary>The branch to copy (id or name); the default is the project's default branch.</summary>
    [Parameter]
    public string? SourceBranch { get; set; }

    [Parameter]
    [DurationTransformation]
    public TimeSpan Ttl { get; set; }

    [Parameter]
    public DateTimeOffset ExpireTime { get; set; }

    [Parameter]
    public SwitchParameter NoExpiry { get; set; }

    [Parameter]
    public SwitchParameter Protected { get; set; }

    protected override object? Target => BranchId;

    protected override void ProcessItem()
    {
        var project = Names.Project(ProjectId);
        var branchId = Names.CheckedId(BranchId, nameof(BranchId));
        var spec = new BranchSpec
        {
            SourceBranch = SourceBranch is null ? null : Names.Branch(project.ProjectId, SourceBranch).ToString(),
            IsProtected = Protected ? true : null,
        };
        Expiration.Apply(spec, MyInvocation.BoundParameters, Ttl, ExpireTime);
        Complete<Branch>((client, cancellationToken) => client.CreateBranchAsync(project.ToString(), branchId, new Branch { Spec = spec }, false, cancellationToken),
            branch => new LakebaseBranch(branch), $"Creating branch {branchId} of {project}");
    }
}
