using System.Management.Automation;
using Lakebase.Client;
using Lakebase.Contract;
using Lakebase.Contract.Models;
using Lakebase.PowerShell.Binding;
using Lakebase.PowerShell.CmdletBases;
using Lakebase.PowerShell.Objects;

namespace Lakebase.PowerShell.Cmdlets;

/// <summary>Creates a Postgres database on a branch, owned by one of its roles.</summary>
[Cmdlet(VerbsCommon.New, "LakebaseDatabase", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(LakebaseDatabase), typeof(LakebaseOperation), typeof(LakebaseJob))]
public sealed class NewLakebaseDatabaseCommand : NewBranchChildCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    public string PostgresDatabase { get; set; } = "";

    /// <summary>The owning role (id or name).</summary>
    [Parameter(Mandatory = true)]
    public string OwnerRole { get; set; } = "";

    [Parameter]
    public string? DatabaseId { get; set; }

    protected override object? Target => PostgresDatabase;

    protected override void ProcessItem()
    {
        var branch = ParentBranch();
        var databaseId = DatabaseId is null ? null : Names.CheckedDatabaseId(DatabaseId, nameof(DatabaseId));
        var owner = Names.Child(ResourceKind.Role, branch.ProjectId, branch.BranchId, OwnerRole, nameof(OwnerRole)).ToString();
        var database = new Database { Spec = new DatabaseSpec { PostgresDatabase = PostgresDatabase, Role = owner } };
        CompleteCreate<Database>($"database {PostgresDatabase} on {branch}", Force,
            (client, cancellationToken) => Force
                ? client.CreateOrUpdateDatabaseAsync(branch.ToString(), databaseId, database, cancellationToken)
                : client.CreateDatabaseAsync(branch.ToString(), databaseId, database, false, cancellationToken),
            created => new LakebaseDatabase(created));
    }
}
