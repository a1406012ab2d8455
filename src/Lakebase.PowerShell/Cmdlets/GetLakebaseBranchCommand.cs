using System.Management.Automation;
using Lakebase.PowerShell.Binding;
using Lakebase.PowerShell.CmdletBases;
using Lakebase.PowerShell.Objects;
using Lakebase.PowerShell.Completion;

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
    public TimeSpan ExpiringWithin { get; set; }

    private bool Expiring(LakebaseBranch branch) =>
        !MyInvocation.BoundParameters.ContainsKey(nameof(ExpiringWithin))
        || (branch.ExpireTime is { } expireTime && expireTime <= DateTimeOffset.UtcNow + ExpiringWithin);

    protected override object? Target => BranchId ?? ProjectId;

    protected override void ProcessItem()
    {
        var client = Client;
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
