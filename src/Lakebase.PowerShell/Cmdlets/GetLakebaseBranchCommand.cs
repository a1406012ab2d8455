using System.Management.Automation;
using Lakebase.PowerShell.Binding;
using Lakebase.PowerShell.CmdletBases;
using Lakebase.PowerShell.Objects;
using Lakebase.PowerShell.Completion;
using Lakebase.PowerShell.Output;

namespace Lakebase.PowerShell.Cmdlets;

/// <summary>Gets one branch, or lists a project's branches.</summary>
[Cmdlet(VerbsCommon.Get, "LakebaseBranch")]
[OutputType(typeof(LakebaseBranch))]
public sealed class GetLakebaseBranchCommand : LakebaseCmdlet
{
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(ProjectIdCompleter))]
    public string? ProjectId { get; set; }

    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(BranchIdCompleter))]
    public string? BranchId { get; set; }

    [Parameter]
    public SwitchParameter IncludeDeleted { get; set; }

    /// <summary>
    /// Only branches whose expiry falls within this window from now. Branches that never expire are left out, which a
    /// Where-Object ExpireTime -lt filter does not do: in PowerShell $null -lt any date is true.
    /// </summary>
    [Parameter]
    [DurationTransformation]
    public TimeSpan? ExpiringWithin { get; set; }

    private bool Expiring(LakebaseBranch branch) =>
        ExpiringWithin is not { } window || (branch.ExpireTime is { } expireTime && expireTime <= DateTimeOffset.UtcNow + window);

    /// <summary>Lists the project's branches as a tree (with -BranchId, that branch and its descendants): each under
    /// the branch it was made from, with where it came from, its state, protection and expiry.</summary>
    [Parameter]
    public SwitchParameter Tree { get; set; }

    protected override object? Target => BranchId ?? ProjectId;

    protected override void ProcessItem()
    {
        var client = Client;
        if (Tree)
        {
            var treeProject = Names.Project(ProjectId ?? throw new ArgumentException("-ProjectId is required (or pipe in a project).", nameof(ProjectId))).ToString();
            var root = BranchId is null ? null : Names.Branch(ProjectId, BranchId).ToString();
            var branches = Await(async cancellationToken =>
            {
                var all = new List<LakebaseBranch>();
                await foreach (var branch in client.ListBranchesAsync(treeProject, IncludeDeleted, cancellationToken).ConfigureAwait(false)) all.Add(new LakebaseBranch(branch));
                return all;
            });
            if (root is not null && branches.All(b => b.Name != root)) throw new ArgumentException($"Branch {root} does not exist.", nameof(BranchId));
            WriteObject(BranchTree.Layout(branches, root), enumerateCollection: true);
            return;
        }
        if (BranchId is not null)
        {
            var name = Names.Branch(ProjectId, BranchId).ToString();
            var branch = new LakebaseBranch(Await(cancellationToken => client.GetBranchAsync(name, cancellationToken)));
            if (Expiring(branch)) WriteObject(branch);
            return;
        }
        if (ProjectId is null) throw new ArgumentException("-ProjectId is required (or pipe in a project).", nameof(ProjectId));
        var project = Names.Project(ProjectId).ToString();
        WriteEach(cancellationToken => client.ListBranchesAsync(project, IncludeDeleted, cancellationToken), branch => new LakebaseBranch(branch), Expiring);
    }
}
