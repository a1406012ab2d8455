using System.Text.Json.Nodes;

namespace Lakebase.Delta;

/// <summary>metaData: the schema, partition columns and table properties.</summary>
public sealed record DeltaMetadata(string Id, DeltaStructType Schema, IReadOnlyList<string> PartitionColumns,
    IReadOnlyDictionary<string, string> Configuration)
{
    internal static DeltaMetadata Parse(JsonObject o)
    {
        var schema = (DeltaStructType)DeltaType.Parse(JsonNode.Parse((string)o["schemaString"]!)!);
        var partitions = o["partitionColumns"]?.AsArray().Select(p => (string)p!).ToList() ?? [];
        var config = new Dictionary<string, string>(StringComparer.Ordinal);
        if (o["configuration"] is JsonObject c)
            foreach (var (k, v) in c)
                if (v is not null) config[k] = (string)v!;
        return new DeltaMetadata((string?)o["id"] ?? "", schema, partitions, config);
    }

    public ColumnMappingMode ColumnMapping => Configuration.GetValueOrDefault("delta.columnMapping.mode") switch
    {
        "name" => ColumnMappingMode.Name,
        "id" => ColumnMappingMode.Id,
        _ => ColumnMappingMode.None,
    };

    public bool ChangeDataFeedEnabled =>
        string.Equals(Configuration.GetValueOrDefault("delta.enableChangeDataFeed"), "true", StringComparison.OrdinalIgnoreCase);
}

public sealed record DeltaProtocol(int MinReaderVersion, IReadOnlyList<string> ReaderFeatures)
{
    internal static DeltaProtocol Parse(JsonObject o) => new(
        (int?)o["minReaderVersion"] ?? 1,
        o["readerFeatures"]?.AsArray().Select(f => (string)f!).ToList() ?? []);
}

/// <summary>deletionVector: where the bitmap of deleted row indexes lives.</summary>
public sealed record DeletionVectorDescriptor(string StorageType, string PathOrInlineDv, int Offset, int SizeInBytes, long Cardinality)
{
    internal static DeletionVectorDescriptor? Parse(JsonNode? node) => node is JsonObject o
        ? new((string)o["storageType"]!, (string)o["pathOrInlineDv"]!, (int?)o["offset"] ?? 0,
            (int)o["sizeInBytes"]!, (long)o["cardinality"]!)
        : null;

    /// <summary>The key that, with the path, identifies a file in log replay.</summary>
    public string UniqueId => StorageType + PathOrInlineDv + (StorageType == "i" ? "" : "@" + Offset);
}

/// <summary>A data file (add or remove) or a change file (cdc) of the log, path already URL-decoded.</summary>
public sealed record DeltaFile(string Path, IReadOnlyDictionary<string, string?> PartitionValues,
    DeletionVectorDescriptor? DeletionVector, long? NumRecords, bool DataChange)
{
    internal static DeltaFile Parse(JsonObject o)
    {
        var partitions = new Dictionary<string, string?>(StringComparer.Ordinal);
        if (o["partitionValues"] is JsonObject pv)
            foreach (var (k, v) in pv) partitions[k] = (string?)v;
        long? records = null;
        if (o["stats"] is JsonValue statsText && statsText.TryGetValue<string>(out var stats) && stats.Length > 0)
            records = (long?)JsonNode.Parse(stats)?["numRecords"];
        return new DeltaFile(Uri.UnescapeDataString((string)o["path"]!), partitions,
            DeletionVectorDescriptor.Parse(o["deletionVector"]), records, (bool?)o["dataChange"] ?? true);
    }

    internal string ReplayKey => Path + "\u0000" + (DeletionVector?.UniqueId ?? "");
}
