namespace Lakebase.Contract.Local;

/// <summary>
/// A Delta table in Lakebase Local's Unity Catalog (GET/POST /api/2.0/lakebase-local/unity-catalog/tables): the
/// three-part name sources of synced tables use, and the directory it is read from. Registered tables stay where
/// they are; the others live under the state root.
/// </summary>
public sealed class LocalDeltaTable
{
    public string? Name { get; set; }
    public string? Path { get; set; }
    public bool? Registered { get; set; }
}

public sealed class LocalDeltaTableList
{
    public List<LocalDeltaTable> Tables { get; set; } = [];
}
