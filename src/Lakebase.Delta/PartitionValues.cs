using System.Globalization;

namespace Lakebase.Delta;

/// <summary>Partition values are strings in the log; this gives them their column's type.</summary>
internal static class PartitionValues
{
    public static object? Parse(string? text, DeltaType type)
    {
        if (text is null) return null;
        var name = type is DeltaPrimitiveType p ? p.Name : throw new DeltaException($"A partition column cannot be of type {type}.");
        if (text.Length == 0 && name != "string") return null;
        var inv = CultureInfo.InvariantCulture;
        return name switch
        {
            "string" => text,
            "byte" or "short" => short.Parse(text, inv),
            "integer" => int.Parse(text, inv),
            "long" => long.Parse(text, inv),
            "float" => float.Parse(text, inv),
            "double" => double.Parse(text, inv),
            "boolean" => bool.Parse(text),
            "binary" => System.Text.Encoding.UTF8.GetBytes(text),
            "date" => DateOnly.ParseExact(text, "yyyy-MM-dd", inv),
            "timestamp" => DateTime.SpecifyKind(DateTimeOffset.Parse(text, inv,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal).UtcDateTime, DateTimeKind.Utc),
            "timestamp_ntz" => DateTime.SpecifyKind(DateTime.Parse(text, inv), DateTimeKind.Unspecified),
            _ when p.IsDecimal => decimal.Parse(text, NumberStyles.Float, inv),
            _ => throw new DeltaException($"Partition values of type {name} are not supported."),
        };
    }
}
