using System.Management.Automation;
using System.Text.RegularExpressions;
using Lakebase.Client;
using Lakebase.Contract.Models;
using Lakebase.PowerShell.Binding;
using Lakebase.PowerShell.CmdletBases;
using Lakebase.PowerShell.Objects;
using Lakebase.PowerShell.Completion;

namespace Lakebase.PowerShell.Cmdlets;

/// <summary>
/// Creates a branch: a copy of its source (the project's default branch unless -SourceBranch says otherwise) as of
/// now, or as of a past moment (-AsOf) or WAL position (-Lsn) inside the project's history window, with its own
/// read-write endpoint, which -MinCu, -MaxCu, -SuspendTimeout and -NoSuspension size in the same call. Without -Ttl
/// or -ExpireTime the branch never expires.
/// </summary>
[Cmdlet(VerbsCommon.New, "LakebaseBranch", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low, DefaultParameterSetName = HeadSet)]
[OutputType(typeof(LakebaseBranch), typeof(LakebaseOperation), typeof(LakebaseJob))]
public sealed partial class NewLakebaseBranchCommand : OperationCmdlet
{
    private const string HeadSet = "Head";
    private const string AsOfSet = "AsOf";
    private const string LsnSet = "Lsn";

    /// <summary>Binds from a piped project (its ProjectId); the new branch's id never binds from the pipeline.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(ProjectIdCompleter))]
    public string ProjectId { get; set; } = "";

    [Parameter(Mandatory = true, Position = 0)]
    [Alias("Name")]
    public string BranchId { get; set; } = "";

    /// <summary>The branch to copy (id or name); the default is the project's default branch.</summary>
    [Parameter]
    public string? SourceBranch { get; set; }

    /// <summary>The moment to branch from: commits at or before it are in the new branch, later ones are not.</summary>
    [Parameter(Mandatory = true, ParameterSetName = AsOfSet)]
    public DateTimeOffset AsOf { get; set; }

    /// <summary>The WAL position to branch from, as pg_current_wal_lsn() prints it.</summary>
    [Parameter(Mandatory = true, ParameterSetName = LsnSet)]
    public string Lsn { get; set; } = "";

    [Parameter]
    [DurationTransformation]
    public TimeSpan Ttl { get; set; }

    [Parameter]
    public DateTimeOffset ExpireTime { get; set; }

    [Parameter]
    public SwitchParameter NoExpiry { get; set; }

    [Parameter]
    public SwitchParameter Protected { get; set; }

    /// <summary>The smallest size of the branch's read-write endpoint, in CU.</summary>
    [Parameter]
    public double? MinCu { get; set; }

    [Parameter]
    public double? MaxCu { get; set; }

    [Parameter]
    [DurationTransformation]
    public TimeSpan? SuspendTimeout { get; set; }

    [Parameter]
    public SwitchParameter NoSuspension { get; set; }

    /// <summary>Create or update: when the branch exists, update it to the given settings instead of failing.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override object? Target => BranchId;

    protected override void ProcessItem()
    {
        var project = Names.Project(ProjectId);
        var branchId = Names.CheckedId(BranchId, nameof(BranchId));
        if (ParameterSetName == AsOfSet && AsOf > DateTimeOffset.Now)
            throw new InvalidParametersException($"-AsOf {AsOf:O} is in the future; a branch can only be made from the past.", nameof(AsOf));
        if (ParameterSetName == LsnSet && !LsnPattern().IsMatch(Lsn))
            throw new InvalidParametersException($"-Lsn '{Lsn}' is not a Postgres LSN such as 16/B374D848.", nameof(Lsn));
        var spec = new BranchSpec
        {
            SourceBranch = SourceBranch is null ? null : Names.Branch(project.ProjectId, SourceBranch).ToString(),
            SourceBranchTime = ParameterSetName == AsOfSet ? AsOf.ToUniversalTime() : null,
            SourceBranchLsn = ParameterSetName == LsnSet ? Lsn.ToUpperInvariant() : null,
            IsProtected = Protected ? true : null,
        };
        Expiration.Apply(spec, MyInvocation.BoundParameters, Ttl, ExpireTime);
        var compute = new ComputeParameters(MinCu, MaxCu, SuspendTimeout, NoSuspension);
        if (!compute.IsEmpty && NoWait)
            throw new InvalidParametersException("-NoWait cannot go with -MinCu, -MaxCu, -SuspendTimeout or -NoSuspension: the endpoint is sized once the branch is ready.");
        var branch = new Branch { Spec = spec };
        CompleteCreate<Branch>($"branch {branchId} of {project}", Force,
            (client, cancellationToken) => Force
                ? client.CreateOrUpdateBranchAsync(project.ToString(), branchId, branch, cancellationToken)
                : client.CreateBranchAsync(project.ToString(), branchId, branch, false, cancellationToken),
            created => new LakebaseBranch(created),
            compute.IsEmpty ? null : (client, created, timeout, cancellationToken) => SizePrimaryAsync(client, created, compute, timeout, cancellationToken));
    }

    private static Task<Branch> SizePrimaryAsync(LakebaseClient client, Branch branch, ComputeParameters compute, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var endpoint = new EndpointSpec();
        compute.ApplyTo(endpoint);
        return client.ConfigurePrimaryEndpointAsync(branch, endpoint, compute.MaskPaths("spec.").ToList(), timeout, cancellationToken);
    }

    [GeneratedRegex(@"\A[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}\z")]
    private static partial Regex LsnPattern();
}
