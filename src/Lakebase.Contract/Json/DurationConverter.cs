using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Lakebase.Contract.Json;

/// <summary>google.protobuf.Duration: decimal seconds with an "s" suffix ("604800s", "0.500s"); never ISO-8601.</summary>
public sealed class DurationConverter : JsonConverter<TimeSpan>
{
    public override TimeSpan Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.GetString();
        if (!WireDuration.TryParse(text, out var value))
            throw new JsonException($"'{text}' is not a Duration (expected decimal seconds ending in 's', e.g. \"300s\").");
        return value;
    }

    public override void Write(Utf8JsonWriter writer, TimeSpan value, JsonSerializerOptions options) =>
        writer.WriteStringValue(WireDuration.Format(value));
}

public static class WireDuration
{
    public static string Format(TimeSpan value)
    {
        var ticks = value.Ticks;
        var seconds = ticks / TimeSpan.TicksPerSecond;
        var fraction = Math.Abs(ticks % TimeSpan.TicksPerSecond);
        var sign = ticks < 0 && seconds == 0 ? "-" : "";
        if (fraction == 0) return $"{sign}{seconds}s";
        // Protobuf JSON writes 3, 6 or 9 fractional digits.
        var nanos = fraction * 100;
        var digits = nanos % 1_000_000 == 0 ? (nanos / 1_000_000).ToString("D3")
            : nanos % 1_000 == 0 ? (nanos / 1_000).ToString("D6")
            : nanos.ToString("D9");
        return $"{sign}{seconds}.{digits}s";
    }

    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = default;
        if (string.IsNullOrEmpty(text) || text[^1] != 's') return false;
        if (!decimal.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint,
                CultureInfo.InvariantCulture, out var seconds)) return false;
        try { value = TimeSpan.FromTicks((long)Math.Round(seconds * TimeSpan.TicksPerSecond)); }
        catch (OverflowException) { return false; }
        return true;
    }
}
