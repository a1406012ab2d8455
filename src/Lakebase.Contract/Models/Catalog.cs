namespace Lakebase.Contract.Models.Catalogs;

/// <summary>A Lakebase database registered in Unity Catalog (catalogs/{catalog_id}). In a namespace of its own so that
/// Lakebase Local's ControlPlane.Catalog keeps its short name.</summary>
public sealed class Catalog
{
    public string? Name { get; set; }
    public string? CatalogId { get; set; }
    public string? Uid { get; set; }
    public DateTimeOffset? CreateTime { get; set; }
    public DateTimeOffset? UpdateTime { get; set; }
    public CatalogSpec? Spec { get; set; }
    public CatalogStatus? Status { get; set; }
}

public sealed class CatalogSpec
{
    public string? PostgresDatabase { get; set; }
    /// <summary>projects/{p}/branches/{b}.</summary>
    public string? Branch { get; set; }
    public bool? CreateDatabaseIfMissing { get; set; }
}

public sealed class CatalogStatus
{
    public string? Branch { get; set; }
    public string? PostgresDatabase { get; set; }
    public string? Project { get; set; }
}
