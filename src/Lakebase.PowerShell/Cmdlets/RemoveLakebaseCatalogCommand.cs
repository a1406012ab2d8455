using System.Management.Automation;
using Lakebase.PowerShell.CmdletBases;
using Lakebase.PowerShell.Objects;

namespace Lakebase.PowerShell.Cmdlets;

/// <summary>Unregisters a catalog from Unity Catalog; the Postgres database and its data stay.</summary>
[Cmdlet(VerbsCommon.Remove, "LakebaseCatalog", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(LakebaseOperation), typeof(LakebaseJob))]
public sealed class RemoveLakebaseCatalogCommand : OperationCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("CatalogId")]
    [ValidatePattern(@"\A[A-Za-z0-9_]+\z")]
    public string Name { get; set; } = "";

    protected override object? Target => Name;

    protected override void ProcessItem()
    {
        var name = "catalogs/" + Name;
        if (!ShouldProcess(name, "Unregister catalog (the database stays)")) return;
        Complete((client, cancellationToken) => client.DeleteCatalogAsync(name, cancellationToken), $"Deleting {name}");
    }
}
