using System.Management.Automation;
using Lakebase.Contract.Models.Catalogs;
using Lakebase.PowerShell.CmdletBases;
using Lakebase.PowerShell.Objects;

namespace Lakebase.PowerShell.Cmdlets;

/// <summary>Registers a branch's Postgres database in Unity Catalog as a catalog (one catalog per database).</summary>
[Cmdlet(VerbsCommon.New, "LakebaseCatalog", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(LakebaseCatalog), typeof(LakebaseOperation), typeof(LakebaseJob))]
public sealed class NewLakebaseCatalogCommand : NewBranchChildCmdlet
{
    /// <summary>The catalog's name in Unity Catalog (letters, digits and '_').</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidatePattern(@"\A[A-Za-z0-9_]+\z")]
    public string Name { get; set; } = "";

    [Parameter(Mandatory = true)]
    public string PostgresDatabase { get; set; } = "";

    [Parameter]
    public SwitchParameter CreateDatabaseIfMissing { get; set; }

    protected override object? Target => Name;

    protected override void ProcessItem()
    {
        // The service has no update for a catalog, so there is nothing -Force could bring an existing one to.
        if (Force) throw new ArgumentException("A catalog cannot be updated, so -Force has nothing to do: remove it and create it again.", nameof(Force));
        var branch = ParentBranch();
        if (!ShouldProcess($"catalog {Name}", "Create")) return;
        var catalog = new Catalog
        {
            Spec = new CatalogSpec { Branch = branch.ToString(), PostgresDatabase = PostgresDatabase, CreateDatabaseIfMissing = CreateDatabaseIfMissing ? true : null },
        };
        Complete<Catalog>((client, cancellationToken) => client.CreateCatalogAsync(Name, catalog, cancellationToken),
            created => new LakebaseCatalog(created), $"Registering {PostgresDatabase} of {branch} as catalog {Name}");
    }
}
