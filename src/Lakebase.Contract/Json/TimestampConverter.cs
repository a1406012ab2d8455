using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace Lakebase.Contract.Json;

/// <summary>google.protobuf.Timestamp: RFC 3339 in UTC ending in Z, with 0, 3, 6 or 9 fractional digits.</summary>
public sealed class TimestampConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.GetString();
        if (!WireTimestamp.TryParse(text, out var value))
            throw new JsonException($"'{text}' is not an RFC 3339 timestamp.");
        return value;
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteStringValue(WireTimestamp.Format(value));
}

public static partial class WireTimestamp
{
    public static string Format(DateTimeOffset value)
    {
        var utc = value.ToUniversalTime();
        var micros = utc.Ticks % TimeSpan.TicksPerSecond;
        return micros == 0
            ? utc.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)
            : micros % 10_000 == 0
                ? utc.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)
                : utc.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
    }

    public static bool TryParse(string? text, out DateTimeOffset value)
    {
        value = default;
        if (string.IsNullOrEmpty(text)) return false;
        // .NET keeps at most 7 fractional digits; protobuf may send 9.
        var trimmed = LongFraction().Replace(text, m => m.Groups[1].Value);
        return DateTimeOffset.TryParse(trimmed, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value);
    }

    [GeneratedRegex(@"(\.\d{7})\d+")]
    private static partial Regex LongFraction();
}
