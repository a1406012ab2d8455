using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Lakebase.Contract.Json;

/// <summary>int64 fields are sent as numbers but may come back as decimal strings.</summary>
public sealed class FlexibleInt64Converter : JsonConverter<long>
{
    public override long Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String
            ? long.Parse(reader.GetString()!, NumberStyles.Integer, CultureInfo.InvariantCulture)
            : reader.GetInt64();

    public override void Write(Utf8JsonWriter writer, long value, JsonSerializerOptions options) => writer.WriteNumberValue(value);
}
