using System.Globalization;
using System.Text.Json.Nodes;
using Lakebase.Delta;

namespace Lakebase.Delta.Tests;

/// <summary>The real Delta tables of tests/Fixtures/delta-tables, read as text rows for comparison with INDEX.md.</summary>
public static class FixtureTables
{
    public static readonly string Root = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../Fixtures/delta-tables"));

    public static DeltaTable Open(string name) => new(Path.Combine(Root, name));

    public static async Task<List<string>> ReadAsync(string name, long? version = null)
    {
        var table = Open(name);
        var snapshot = await table.OpenSnapshotAsync(version);
        var rows = new List<string>();
        await foreach (var row in table.ReadRowsAsync(snapshot)) rows.Add(Format(row));
        rows.Sort(StringComparer.Ordinal);
        return rows;
    }

    /// <summary>A row as "a|b|c": NULL as "null", numbers invariant, dates ISO, timestamps as microseconds since the epoch.</summary>
    public static string Format(object?[] row) => string.Join("|", row.Select(Format));

    public static string Format(object? value) => value switch
    {
        null => "null",
        DateTime t => ((t.Ticks - DateTime.UnixEpoch.Ticks) / 10).ToString(CultureInfo.InvariantCulture),
        DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        byte[] b => System.Text.Encoding.UTF8.GetString(b),
        bool b => b ? "true" : "false",
        JsonNode n => n.ToJsonString(),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString()!,
    };

    public static List<string> Sorted(IEnumerable<string> rows) => rows.Order(StringComparer.Ordinal).ToList();
}
