using System.Reflection;
using System.Text.Json.Nodes;
using Parquet;
using Parquet.Data;
using Parquet.Schema;

namespace Lakebase.Delta;

/// <summary>
/// Rebuilds whole column values from Parquet's leaf columns and their definition and repetition levels
/// (Dremel record assembly), as JSON: structs, lists and maps with struct fields named by the Delta schema's
/// logical names where one is given. (Top-level primitive columns are read typed by <see cref="DataFileReader"/>.)
/// </summary>
internal static class ParquetAssembler
{
    /// <summary>One leaf column of a row group: its values and levels, read front to back.</summary>
    private sealed class Leaf(object?[] values, int[]? def, int[]? rep, int levels, int maxDef)
    {
        private int valueIndex;
        public int Position;
        public bool AtEnd => Position >= levels;
        public int Def => def?[Position] ?? maxDef;
        public int Rep => rep?[Position] ?? 0;
        public void Skip() => Position++;
        public object? Take()
        {
            Position++;
            return values[valueIndex++];
        }
    }

    /// <summary>A schema node with the leaves below it, matched to the Delta type that names its fields.</summary>
    private abstract class Node(Field field)
    {
        public Field Field { get; } = field;
        public List<Leaf> Leaves { get; } = [];
    }
    private sealed class LeafNode(Field f) : Node(f);
    private sealed class StructNode(Field f, List<(string Name, Node? Child)> children) : Node(f)
    {
        public List<(string Name, Node? Child)> Children { get; } = children;
    }
    private sealed class ListNode(Field f, Node element) : Node(f)
    {
        public Node Element { get; } = element;
    }
    private sealed class MapNode(Field f, Node key, Node value) : Node(f)
    {
        public Node Key { get; } = key;
        public Node Value { get; } = value;
    }

    /// <summary>Reads one top-level column of a row group as one JSON value per row.</summary>
    public static async Task<JsonNode?[]> ReadColumnAsync(ParquetRowGroupReader group, Field field, DeltaType? type,
        ColumnMappingMode mapping, CancellationToken cancel)
    {
        var leaves = new Dictionary<DataField, Leaf>();
        var node = await BuildAsync(group, field, type, mapping, leaves, cancel);
        var rows = new JsonNode?[group.RowCount];
        for (var i = 0; i < rows.Length; i++) rows[i] = Read(node);
        return rows;
    }

    private static async Task<Node> BuildAsync(ParquetRowGroupReader group, Field field, DeltaType? type,
        ColumnMappingMode mapping, Dictionary<DataField, Leaf> leaves, CancellationToken cancel)
    {
        Node node;
        switch (field)
        {
            case DataField data:
                var leaf = await ReadLeafAsync(group, data, cancel);
                leaves[data] = leaf;
                node = new LeafNode(field);
                node.Leaves.Add(leaf);
                return node;
            case ListField list:
                node = new ListNode(field, await BuildAsync(group, list.Item, (type as DeltaArrayType)?.ElementType, mapping, leaves, cancel));
                node.Leaves.AddRange(((ListNode)node).Element.Leaves);
                return node;
            case MapField map:
                var mapType = type as DeltaMapType;
                var key = await BuildAsync(group, map.Key, mapType?.KeyType, mapping, leaves, cancel);
                var value = await BuildAsync(group, map.Value, mapType?.ValueType, mapping, leaves, cancel);
                node = new MapNode(field, key, value);
                node.Leaves.AddRange(key.Leaves);
                node.Leaves.AddRange(value.Leaves);
                return node;
            case StructField structField:
                var children = new List<(string, Node?)>();
                if (type is DeltaStructType deltaStruct)
                    foreach (var f in deltaStruct.Fields)
                    {
                        var match = FindField(structField.Fields, f, mapping);
                        children.Add((f.Name, match is null ? null : await BuildAsync(group, match, f.Type, mapping, leaves, cancel)));
                    }
                else
                    foreach (var f in structField.Fields)
                        children.Add((f.Name, await BuildAsync(group, f, null, mapping, leaves, cancel)));
                node = new StructNode(field, children);
                foreach (var (_, child) in children)
                    if (child is not null) node.Leaves.AddRange(child.Leaves);
                if (node.Leaves.Count == 0)
                    throw new DeltaException($"Struct column '{field.Name}' has none of its schema's fields in the data file.");
                return node;
            default:
                throw new DeltaUnsupportedFeatureException(field.SchemaType.ToString(), $"Parquet field '{field.Name}' of kind {field.SchemaType} is not supported.");
        }
    }

    /// <summary>The Parquet field holding a Delta field: by field id (mode id), physical name (mode name) or name.</summary>
    public static Field? FindField(IEnumerable<Field> fields, DeltaField field, ColumnMappingMode mapping) => mapping switch
    {
        ColumnMappingMode.Id => fields.FirstOrDefault(f => f.SchemaElement?.FieldId == field.FieldId),
        ColumnMappingMode.Name => fields.FirstOrDefault(f => f.Name == field.PhysicalName),
        _ => fields.FirstOrDefault(f => f.Name == field.Name),
    };

    private static JsonNode? Read(Node node)
    {
        var first = node.Leaves[0];
        switch (node)
        {
            case LeafNode:
                if (first.Def < node.Field.MaxDefinitionLevel) { first.Skip(); return null; }
                return ToJson(first.Take());
            case StructNode s:
                if (first.Def < node.Field.MaxDefinitionLevel) { SkipAll(node); return null; }
                var obj = new JsonObject();
                foreach (var (name, child) in s.Children)
                    obj[name] = child is null ? null : Read(child);
                return obj;
            case ListNode l:
                if (first.Def < node.Field.MaxDefinitionLevel - 1) { SkipAll(node); return null; }
                var array = new JsonArray();
                if (first.Def < node.Field.MaxDefinitionLevel) { SkipAll(node); return array; }
                do array.Add(Read(l.Element));
                while (!first.AtEnd && first.Rep == node.Field.MaxRepetitionLevel);
                return array;
            case MapNode m:
                if (first.Def < node.Field.MaxDefinitionLevel - 1) { SkipAll(node); return null; }
                var map = new JsonObject();
                if (first.Def < node.Field.MaxDefinitionLevel) { SkipAll(node); return map; }
                do
                {
                    var key = Read(m.Key);
                    var entry = Read(m.Value);
                    map[key is JsonValue kv && kv.TryGetValue<string>(out var text) ? text : key?.ToJsonString() ?? "null"] = entry;
                }
                while (!first.AtEnd && first.Rep == node.Field.MaxRepetitionLevel);
                return map;
            default:
                throw new InvalidOperationException();
        }
    }

    private static void SkipAll(Node node)
    {
        foreach (var leaf in node.Leaves) leaf.Skip();
    }

    /// <summary>A leaf value inside a nested column, as JSON (dates and times as ISO text, binary as base64).</summary>
    public static JsonNode? ToJson(object? value) => value switch
    {
        null => null,
        string s => JsonValue.Create(s),
        bool b => JsonValue.Create(b),
        sbyte v => JsonValue.Create(v),
        short v => JsonValue.Create(v),
        int v => JsonValue.Create(v),
        long v => JsonValue.Create(v),
        float v => JsonValue.Create(v),
        double v => JsonValue.Create(v),
        decimal v => JsonValue.Create(v),
        byte[] bytes => JsonValue.Create(Convert.ToBase64String(bytes)),
        DateOnly d => JsonValue.Create(d.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)),
        DateTime t => JsonValue.Create(t.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff", System.Globalization.CultureInfo.InvariantCulture)
            + (t.Kind == DateTimeKind.Utc ? "Z" : "")),
        _ => JsonValue.Create(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)),
    };

    private static readonly MethodInfo ReadTypedLeaf =
        typeof(ParquetAssembler).GetMethod(nameof(ReadTypedLeafAsync), BindingFlags.NonPublic | BindingFlags.Static)!;

    private static Task<Leaf> ReadLeafAsync(ParquetRowGroupReader group, DataField field, CancellationToken cancel) =>
        (Task<Leaf>)ReadTypedLeaf.MakeGenericMethod(field.ClrType).Invoke(null, [group, field, cancel])!;

    private static async Task<Leaf> ReadTypedLeafAsync<T>(ParquetRowGroupReader group, DataField field, CancellationToken cancel) where T : struct
    {
        using var raw = await group.ReadRawColumnDataBaseAsync(field, cancel);
        // The buffers are pooled and may be longer than the column: the chunk's value count bounds the levels.
        var levels = (int)group.GetMetadata(field)!.MetaData!.NumValues;
        return CopyLeaf<T>(raw, field, levels);
    }

    /// <summary>Values come dense (one per defined slot), levels one per slot.</summary>
    private static Leaf CopyLeaf<T>(RawColumnData raw, DataField field, int levels) where T : struct
    {
        var def = field.MaxDefinitionLevel > 0 ? raw.DefinitionLevels[..levels].ToArray() : null;
        var rep = field.MaxRepetitionLevel > 0 ? raw.RepetitionLevels[..levels].ToArray() : null;
        var defined = def is null ? levels : def.Count(d => d == field.MaxDefinitionLevel);
        var span = ((RawColumnData<T>)raw).Values;
        var values = new object?[defined];
        for (var i = 0; i < defined; i++) values[i] = Normalize(span[i]);
        return new Leaf(values, def, rep, levels, field.MaxDefinitionLevel);
    }

    private static object? Normalize<T>(T value) => value switch
    {
        ReadOnlyMemory<char> chars => new string(chars.Span),
        ReadOnlyMemory<byte> bytes => bytes.ToArray(),
        _ => value,
    };
}
