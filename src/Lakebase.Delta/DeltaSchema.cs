using System.Text.Json.Nodes;

namespace Lakebase.Delta;

/// <summary>A Delta data type (the JSON schema of metaData.schemaString).</summary>
public abstract record DeltaType
{
    public static DeltaType Parse(JsonNode node) => node switch
    {
        JsonValue v => new DeltaPrimitiveType(v.GetValue<string>()),
        JsonObject o => (string?)o["type"] switch
        {
            "struct" => DeltaStructType.Parse(o),
            "array" => new DeltaArrayType(Parse(o["elementType"]!), (bool?)o["containsNull"] ?? true),
            "map" => new DeltaMapType(Parse(o["keyType"]!), Parse(o["valueType"]!)),
            var t => throw new DeltaException($"Unknown Delta type '{t}'."),
        },
        _ => throw new DeltaException("Malformed Delta schema."),
    };
}

/// <summary>string, long, integer, short, byte, float, double, boolean, binary, date, timestamp, timestamp_ntz, decimal(p,s).</summary>
public sealed record DeltaPrimitiveType(string Name) : DeltaType
{
    public bool IsDecimal => Name.StartsWith("decimal", StringComparison.Ordinal);
    public override string ToString() => Name;
}

public sealed record DeltaArrayType(DeltaType ElementType, bool ContainsNull) : DeltaType
{
    public override string ToString() => $"array<{ElementType}>";
}

public sealed record DeltaMapType(DeltaType KeyType, DeltaType ValueType) : DeltaType
{
    public override string ToString() => $"map<{KeyType}, {ValueType}>";
}

/// <summary>A field with its column-mapping identity: the name in Parquet and the Parquet field id.</summary>
public sealed record DeltaField(string Name, DeltaType Type, bool Nullable, string PhysicalName, int? FieldId);

public sealed record DeltaStructType(IReadOnlyList<DeltaField> Fields) : DeltaType
{
    internal static DeltaStructType Parse(JsonObject o)
    {
        var fields = new List<DeltaField>();
        foreach (var f in o["fields"]!.AsArray())
        {
            var name = (string)f!["name"]!;
            var meta = f["metadata"] as JsonObject;
            var physical = (string?)meta?["delta.columnMapping.physicalName"] ?? name;
            var id = (int?)meta?["delta.columnMapping.id"];
            fields.Add(new DeltaField(name, DeltaType.Parse(f["type"]!), (bool?)f["nullable"] ?? true, physical, id));
        }
        return new DeltaStructType(fields);
    }

    public override string ToString() => $"struct<{string.Join(", ", Fields.Select(f => $"{f.Name}: {f.Type}"))}>";
}

/// <summary>How Parquet columns are matched to schema fields (delta.columnMapping.mode).</summary>
public enum ColumnMappingMode { None, Name, Id }
