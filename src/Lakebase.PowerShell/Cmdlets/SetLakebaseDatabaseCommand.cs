using System.Management.Automation;
using Lakebase.Contract;
using Lakebase.Contract.Models;
using Lakebase.PowerShell.Binding;
using Lakebase.PowerShell.CmdletBases;
using Lakebase.PowerShell.Objects;
using Lakebase.PowerShell.Completion;

namespace Lakebase.PowerShell.Cmdlets;

/// <summary>Renames a database or gives it to another role.</summary>
[Cmdlet(VerbsCommon.Set, "LakebaseDatabase", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(LakebaseDatabase), typeof(LakebaseOperation), typeof(LakebaseJob))]
public sealed class SetLakebaseDatabaseCommand : BranchChildOperationCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(DatabaseIdCompleter))]
    public string DatabaseId { get; set; } = "";

    [Parameter]
    public string? PostgresDatabase { get; set; }

    [Parameter]
    public string? OwnerRole { get; set; }

    protected override object? Target => DatabaseId;

    protected override void ProcessItem()
    {
        var name = ChildName(ResourceKind.Database, DatabaseId, nameof(DatabaseId));
        var spec = new DatabaseSpec();
        var mask = new List<string>();
        if (PostgresDatabase is not null) { spec.PostgresDatabase = PostgresDatabase; mask.Add("spec.postgres_database"); }
        if (OwnerRole is not null)
        {
            spec.Role = Names.Child(ResourceKind.Role, name.ProjectId, name.BranchId, OwnerRole, nameof(OwnerRole)).ToString();
            mask.Add("spec.role");
        }
        CompleteUpdate<Database>(name.ToString(), mask, "give -PostgresDatabase or -OwnerRole",
            (client, cancellationToken) => client.UpdateDatabaseAsync(name.ToString(), new Database { Spec = spec }, mask, cancellationToken),
            database => new LakebaseDatabase(database));
    }
}
