using System.Management.Automation;
using Lakebase.Client.Schema;
using Lakebase.PowerShell.Binding;
using Lakebase.PowerShell.CmdletBases;
using Lakebase.PowerShell.Objects;
using Lakebase.PowerShell.Sessions;

namespace Lakebase.PowerShell.Cmdlets;

/// <summary>
/// Compares the schemas of two branches (by default a branch and its parent), of a branch and itself at a past time,
/// or of any two databases the module can query, even in different workspaces or Lakebase Local. Outputs one object
/// per difference, or with -AsText a unified diff of the normalized DDL.
/// </summary>
[Cmdlet(VerbsData.Compare, "LakebaseBranch", DefaultParameterSetName = BranchSet)]
[OutputType(typeof(LakebaseSchemaDifference), typeof(string))]
public sealed class CompareLakebaseBranchCommand : LakebaseCmdlet
{
    private const string BranchSet = "Branch";
    private const string ConnectionStringSet = "ConnectionString";

    [Parameter(ParameterSetName = BranchSet, ValueFromPipelineByPropertyName = true)]
    public string? ProjectId { get; set; }

    /// <summary>The branch whose differences are shown (the "after" side).</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = BranchSet, ValueFromPipelineByPropertyName = true)]
    public string BranchId { get; set; } = "";

    /// <summary>Any PostgreSQL database as the "after" side, instead of a branch.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ConnectionStringSet)]
    public string ConnectionString { get; set; } = "";

    /// <summary>The branch to compare with (the "before" side); the default is the branch's parent.</summary>
    [Parameter(Position = 1)]
    public string? ReferenceBranchId { get; set; }

    /// <summary>The project of -ReferenceBranchId when it differs from -ProjectId.</summary>
    [Parameter]
    public string? ReferenceProjectId { get; set; }

    /// <summary>The connection (workspace or Lakebase Local) of -ReferenceBranchId when it differs from -Context.</summary>
    [Parameter]
    public LakebaseContext? ReferenceContext { get; set; }

    /// <summary>Any PostgreSQL database as the "before" side.</summary>
    [Parameter]
    public string? ReferenceConnectionString { get; set; }

    /// <summary>Compares with the reference (by default the branch itself) as it was at this time, read through a
    /// temporary point-in-time branch that is removed afterwards.</summary>
    [Parameter]
    public DateTimeOffset? AsOf { get; set; }

    /// <summary>The database to compare on both sides (default databricks_postgres).</summary>
    [Parameter]
    public string? Database { get; set; }

    /// <summary>Outputs a unified diff of the normalized DDL (nothing when the schemas are the same).</summary>
    [Parameter]
    public SwitchParameter AsText { get; set; }

    protected override object? Target => ParameterSetName == BranchSet ? BranchId : "connection string";

    protected override void ProcessItem()
    {
        if (ReferenceConnectionString is not null && (ReferenceBranchId is not null || AsOf is not null))
            throw new ArgumentException("-ReferenceConnectionString names the reference by itself; leave out -ReferenceBranchId and -AsOf.");
        if (AsOf is { } time && time > DateTimeOffset.Now)
            throw new ArgumentException($"-AsOf {time:O} is in the future; a branch can only be compared with its past.", nameof(AsOf));
        SchemaSource difference = ParameterSetName == BranchSet
            ? new BranchSchemaSource(ResolveContext().Sessions, Names.Branch(ProjectId, BranchId).ToString(), Database)
            : new ConnectionStringSchemaSource(ConnectionString, "connection string");
        var reference = Reference(difference);
        if (reference is null && ParameterSetName == ConnectionStringSet)
            throw new ArgumentException("Name what to compare the connection string's database with: -ReferenceBranchId or -ReferenceConnectionString.");

        var progressId = Math.Abs(GetHashCode());
        var progress = new Progress<string>(step => Post(() => WriteProgress(new ProgressRecord(progressId, "Comparing schemas", step))));
        var comparison = Await(cancellationToken => SchemaComparison.CompareAsync(reference, difference, progress, cancellationToken));
        WriteProgress(new ProgressRecord(progressId, "Comparing schemas", "Done") { RecordType = ProgressRecordType.Completed });
        if (!AsText) WriteObject(comparison.Differences.Select(difference => new LakebaseSchemaDifference(difference)), enumerateCollection: true);
        else if (comparison.Text.Length > 0) WriteObject(comparison.Text);
    }

    /// <summary>The "before" side; null means the difference branch's parent.</summary>
    private SchemaSource? Reference(SchemaSource difference)
    {
        if (ReferenceConnectionString is not null) return new ConnectionStringSchemaSource(ReferenceConnectionString, "reference connection string");
        if (ReferenceBranchId is null)
        {
            if (AsOf is null) return null;
            return difference is BranchSchemaSource branch ? new BranchSchemaSource(branch.Sessions, branch.BranchName, Database, AsOf.Value.ToUniversalTime())
                : throw new ArgumentException("-AsOf needs a branch: give -ReferenceBranchId.");
        }
        var context = ReferenceContext ?? ResolveContext();
        var project = ReferenceProjectId ?? ProjectId;
        return new BranchSchemaSource(context.Sessions, Names.Branch(project, ReferenceBranchId).ToString(), Database, AsOf?.ToUniversalTime());
    }
}
