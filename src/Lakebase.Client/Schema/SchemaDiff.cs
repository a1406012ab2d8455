using System.Text;

namespace Lakebase.Client.Schema;

public enum SchemaChange { Added, Removed, Changed }

/// <summary>One difference between two schemas: an object the difference side has and the reference lacks (Added),
/// the reverse (Removed), or one whose DDL differs (Changed). Before is the reference's DDL, After the other's.</summary>
public sealed record SchemaDifference(SchemaObjectKind Kind, string Name, SchemaChange Change, string? Before, string? After);

/// <summary>
/// Compares two schemas read by <see cref="SchemaCatalog"/>: object by object, and as a unified diff of their DDL
/// scripts (like <c>neonctl branches schema-diff</c>). Both outputs depend only on the two schemas, so the same
/// schemas always give the same text.
/// </summary>
public static class SchemaDiff
{
    private const int ContextLines = 3;

    public static IReadOnlyList<SchemaDifference> Compare(IReadOnlyList<SchemaObject> reference, IReadOnlyList<SchemaObject> difference)
    {
        var differences = new List<SchemaDifference>();
        foreach (var (before, after) in Align(reference, difference))
        {
            if (before is null) differences.Add(new SchemaDifference(after!.Kind, after.Name, SchemaChange.Added, null, after.Ddl));
            else if (after is null) differences.Add(new SchemaDifference(before.Kind, before.Name, SchemaChange.Removed, before.Ddl, null));
            else if (before.Ddl != after.Ddl) differences.Add(new SchemaDifference(before.Kind, before.Name, SchemaChange.Changed, before.Ddl, after.Ddl));
        }
        return differences;
    }

    /// <summary>A unified diff of the two scripts, with three lines of context; empty when they are the same.</summary>
    public static string UnifiedText(IReadOnlyList<SchemaObject> reference, IReadOnlyList<SchemaObject> difference, string referenceLabel, string differenceLabel)
    {
        var lines = new List<(char Op, string Text)>();
        var before = Blocks(reference).ToList();
        var after = Blocks(difference).ToList();
        foreach (var (left, right) in Align(before, after, block => block.Key))
            lines.AddRange(LineDiff(left?.Lines ?? [], right?.Lines ?? []));
        if (lines.All(line => line.Op == ' ')) return "";

        var text = new StringBuilder().Append("--- ").Append(referenceLabel).Append('\n').Append("+++ ").Append(differenceLabel).Append('\n');
        var changed = Enumerable.Range(0, lines.Count).Where(i => lines[i].Op != ' ').ToList();
        var hunkStart = 0;
        while (hunkStart < changed.Count)
        {
            var hunkEnd = hunkStart;
            while (hunkEnd + 1 < changed.Count && changed[hunkEnd + 1] - changed[hunkEnd] <= 2 * ContextLines) hunkEnd++;
            var from = Math.Max(0, changed[hunkStart] - ContextLines);
            var to = Math.Min(lines.Count - 1, changed[hunkEnd] + ContextLines);
            var oldStart = lines.Take(from).Count(line => line.Op != '+');
            var newStart = lines.Take(from).Count(line => line.Op != '-');
            var hunk = lines.Skip(from).Take(to - from + 1).ToList();
            var oldCount = hunk.Count(line => line.Op != '+');
            var newCount = hunk.Count(line => line.Op != '-');
            text.Append($"@@ -{Range(oldStart, oldCount)} +{Range(newStart, newCount)} @@\n");
            foreach (var (op, line) in hunk) text.Append(op).Append(line).Append('\n');
            hunkStart = hunkEnd + 1;
        }
        return text.ToString();
    }

    /// <summary>A unified diff's range: 1-based start, and the line before an empty range.</summary>
    private static string Range(int start, int count) => count == 0 ? $"{start},0" : $"{start + 1},{count}";

    private sealed record Block(string Key, IReadOnlyList<string> Lines);

    /// <summary>The DDL script of a schema, one block per object in kind and name order, tables with their columns
    /// (in column order) inside the CREATE TABLE.</summary>
    private static IEnumerable<Block> Blocks(IReadOnlyList<SchemaObject> schema)
    {
        var columns = schema.Where(o => o.Kind == SchemaObjectKind.Column).ToLookup(o => o.Table);
        foreach (var item in schema.Where(o => o.Kind != SchemaObjectKind.Column))
        {
            var ddl = item.Kind == SchemaObjectKind.Table ? TableDdl(item, columns[item.Name]) : item.Ddl;
            yield return new Block($"{(int)item.Kind:D2} {item.Name}", [.. ddl.Split('\n'), ""]);
        }
    }

    private static string TableDdl(SchemaObject table, IEnumerable<SchemaObject> columns)
    {
        var body = columns.OrderBy(c => c.Position).Select(c => "    " + c.Ddl).ToList();
        var open = table.Ddl.IndexOf(" PARTITION BY ", StringComparison.Ordinal) is var at and >= 0 ? (table.Ddl[..at], table.Ddl[at..]) : (table.Ddl, "");
        return body.Count == 0 ? $"{open.Item1} (){open.Item2};" : $"{open.Item1} (\n{string.Join(",\n", body)}\n){open.Item2};";
    }

    /// <summary>Pairs the items of two lists sorted by <see cref="SchemaCatalog.Order"/> that have the same key.</summary>
    private static IEnumerable<(T? Before, T? After)> Align<T>(IReadOnlyList<T> before, IReadOnlyList<T> after, Func<T, string> key) where T : class
    {
        int i = 0, j = 0;
        while (i < before.Count || j < after.Count)
        {
            var order = i == before.Count ? 1 : j == after.Count ? -1 : string.CompareOrdinal(key(before[i]), key(after[j]));
            if (order == 0) yield return (before[i++], after[j++]);
            else if (order < 0) yield return (before[i++], null);
            else yield return (null, after[j++]);
        }
    }

    private static IEnumerable<(SchemaObject? Before, SchemaObject? After)> Align(IReadOnlyList<SchemaObject> before, IReadOnlyList<SchemaObject> after) =>
        Align(before, after, item => $"{(int)item.Kind:D2} {item.Name}");

    /// <summary>The lines of one object before and after, as a longest-common-subsequence edit script (objects are
    /// small, so the quadratic table is cheap).</summary>
    private static IEnumerable<(char Op, string Text)> LineDiff(IReadOnlyList<string> before, IReadOnlyList<string> after)
    {
        var common = new int[before.Count + 1, after.Count + 1];
        for (var i = before.Count - 1; i >= 0; i--)
            for (var j = after.Count - 1; j >= 0; j--)
                common[i, j] = before[i] == after[j] ? common[i + 1, j + 1] + 1 : Math.Max(common[i + 1, j], common[i, j + 1]);
        int x = 0, y = 0;
        while (x < before.Count || y < after.Count)
        {
            if (x < before.Count && y < after.Count && before[x] == after[y]) { yield return (' ', before[x]); x++; y++; }
            else if (x < before.Count && (y == after.Count || common[x + 1, y] >= common[x, y + 1])) yield return ('-', before[x++]);
            else yield return ('+', after[y++]);
        }
    }
}
