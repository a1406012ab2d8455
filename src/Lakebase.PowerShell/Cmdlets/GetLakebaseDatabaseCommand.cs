using System.Management.Automation;
using Lakebase.Contract;
using Lakebase.PowerShell.CmdletBases;
using Lakebase.PowerShell.Objects;
using Lakebase.PowerShell.Completion;

namespace Lakebase.PowerShell.Cmdlets;

/// <summary>Gets one database, or lists a branch's databases.</summary>
[Cmdlet(VerbsCommon.Get, "LakebaseDatabase")]
[OutputType(typeof(LakebaseDatabase))]
public sealed class GetLakebaseDatabaseCommand : BranchChildCmdlet
{
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(DatabaseIdCompleter))]
    public string? DatabaseId { get; set; }

    protected override object? Target => DatabaseId ?? BranchId;

    protected override void ProcessItem() => GetOrList(ResourceKind.Database, DatabaseId,
        (client, name, cancellationToken) => client.GetDatabaseAsync(name, cancellationToken),
        (client, branch, cancellationToken) => client.ListDatabasesAsync(branch, cancellationToken),
        database => new LakebaseDatabase(database));
}
