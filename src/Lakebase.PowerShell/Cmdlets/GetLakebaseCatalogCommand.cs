using System.Management.Automation;
using Lakebase.PowerShell.CmdletBases;
using Lakebase.PowerShell.Objects;

namespace Lakebase.PowerShell.Cmdlets;

/// <summary>Gets a catalog by name (the API has no list of catalogs).</summary>
[Cmdlet(VerbsCommon.Get, "LakebaseCatalog")]
[OutputType(typeof(LakebaseCatalog))]
public sealed class GetLakebaseCatalogCommand : LakebaseCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("CatalogId")]
    [ValidatePattern(@"\A[A-Za-z0-9_]+\z")]
    public string Name { get; set; } = "";

    protected override object? Target => Name;

    protected override void ProcessItem() =>
        WriteObject(new LakebaseCatalog(Await(cancellationToken => Client.GetCatalogAsync("catalogs/" + Name, cancellationToken))));
}
