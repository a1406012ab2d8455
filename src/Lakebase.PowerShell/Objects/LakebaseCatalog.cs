using Lakebase.Contract.Models.Catalogs;

namespace Lakebase.PowerShell.Objects;

/// <summary>A branch's Postgres database registered in Unity Catalog.</summary>
public sealed class LakebaseCatalog
{
    internal LakebaseCatalog(Catalog catalog)
    {
        Raw = catalog;
        Name = catalog.Name ?? "";
        CatalogId = catalog.CatalogId ?? Name["catalogs/".Length..];
        Branch = catalog.Status?.Branch;
        PostgresDatabase = catalog.Status?.PostgresDatabase;
        CreateTime = catalog.CreateTime;
    }

    public string Name { get; }
    public string CatalogId { get; }
    /// <summary>The branch's resource name (projects/p/branches/b).</summary>
    public string? Branch { get; }
    public string? PostgresDatabase { get; }
    public DateTimeOffset? CreateTime { get; }
    public Catalog Raw { get; }

    public override string ToString() => Name;
}
