using System.Management.Automation;
using Lakebase.Contract;
using Lakebase.PowerShell.Infrastructure;
using Lakebase.PowerShell.Objects;

namespace Lakebase.PowerShell.Cmdlets;

/// <summary>Gets one database, or lists a branch's databases.</summary>
[Cmdlet(VerbsCommon.Get, "LakebaseDatabase")]
[OutputType(typeof(LakebaseDatabase))]
public sealed class GetLakebaseDatabaseCommand : LakebaseCmdlet
{
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? ProjectId { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? BranchId { get; set; }

    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    public string? DatabaseId { get; set; }

    protected override object? Target => DatabaseId ?? BranchId;

    protected override void ProcessItem()
    {
        var client = Client;
        if (DatabaseId is not null)
        {
            var name = Names.Child(ResourceKind.Database, ProjectId, BranchId, DatabaseId, nameof(DatabaseId)).ToString();
            WriteObject(new LakebaseDatabase(Await(cancellationToken => client.GetDatabaseAsync(name, cancellationToken))));
            return;
        }
        var branch = Names.Branch(ProjectId, BranchId ?? throw new ArgumentException("-BranchId is required (or pipe in a branch).", nameof(BranchId))).ToString();
        WriteEach(cancellationToken => client.ListDatabasesAsync(branch, cancellationToken), database => new LakebaseDatabase(database));
    }
}
