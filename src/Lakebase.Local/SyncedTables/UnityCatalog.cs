using System.Text.RegularExpressions;
using Lakebase.Contract;
using Lakebase.Delta;
using Lakebase.Local.ControlPlane;
using Lakebase.Local.Storage;

namespace Lakebase.Local.SyncedTables;

/// <summary>A Delta table known to the local Unity Catalog: its three-part name and where its files are.</summary>
internal sealed record UnityCatalogTable(string FullName, string Path, bool Registered);

/// <summary>
/// The local stand-in for Unity Catalog's tables: <c>catalog.schema.table</c> is the Delta table directory
/// <c>&lt;state root&gt;/unity-catalog/catalog/schema/table/</c>. Registering an existing directory makes that path a
/// symbolic link to it, so the table is read where it lives and its new commits are seen.
/// </summary>
internal sealed partial class UnityCatalog(StateLayout layout)
{
    public string Root { get; } = Path.Combine(layout.Root, "unity-catalog");

    [GeneratedRegex(@"\A[A-Za-z0-9_]+\z")]
    public static partial Regex NamePart();

    /// <summary>The three parts of <c>catalog.schema.table</c>, each <c>[A-Za-z0-9_]+</c>.</summary>
    public static string[] SplitName(string field, string? fullName)
    {
        var parts = (fullName ?? "").Split('.');
        if (parts.Length != 3 || !parts.All(NamePart().IsMatch))
            throw ApiException.InvalidParameter($"{field} must be a three-part name catalog.schema.table of letters, digits and '_', got '{fullName}'.");
        return parts;
    }

    public DeltaTable Resolve(string field, string? fullName)
    {
        var parts = SplitName(field, fullName);
        var path = Path.Combine(Root, parts[0], parts[1], parts[2]);
        if (!Directory.Exists(Path.Combine(path, "_delta_log")))
            throw ApiException.BadRequest($"Table '{fullName}' does not exist in Unity Catalog (no Delta table at {path}).");
        return new DeltaTable(path);
    }

    public UnityCatalogTable Register(string? fullName, string? sourcePath)
    {
        var parts = SplitName("name", fullName);
        if (string.IsNullOrEmpty(sourcePath) || !Path.IsPathFullyQualified(sourcePath))
            throw ApiException.InvalidParameter($"path must be an absolute directory path, got '{sourcePath}'.");
        if (!Directory.Exists(Path.Combine(sourcePath, "_delta_log")))
            throw ApiException.BadRequest($"'{sourcePath}' is not a Delta table: it has no _delta_log directory.");
        var link = Path.Combine(Root, parts[0], parts[1], parts[2]);
        if (Path.Exists(link)) throw new ApiException(ErrorCodes.AlreadyExists, $"Table '{fullName}' already exists in Unity Catalog.");
        Directory.CreateDirectory(Path.GetDirectoryName(link)!);
        Directory.CreateSymbolicLink(link, Path.GetFullPath(sourcePath));
        return new UnityCatalogTable(fullName!, Path.GetFullPath(sourcePath), true);
    }

    /// <summary>Removes a registration (the link), never the table's files.</summary>
    public void Unregister(string? fullName)
    {
        var parts = SplitName("name", fullName);
        var link = new DirectoryInfo(Path.Combine(Root, parts[0], parts[1], parts[2]));
        if (link.LinkTarget is null)
            throw new ApiException(ErrorCodes.NotFound, $"Table '{fullName}' is not a registered table.");
        link.Delete();
    }

    public IEnumerable<UnityCatalogTable> List()
    {
        if (!Directory.Exists(Root)) yield break;
        foreach (var catalog in Directory.EnumerateDirectories(Root).Order())
        foreach (var schema in Directory.EnumerateDirectories(catalog).Order())
        foreach (var table in Directory.EnumerateDirectories(schema).Order())
        {
            var info = new DirectoryInfo(table);
            var target = info.LinkTarget;
            yield return new UnityCatalogTable($"{Path.GetFileName(catalog)}.{Path.GetFileName(schema)}.{info.Name}",
                target ?? table, target is not null);
        }
    }
}
