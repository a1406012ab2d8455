using System.Text.Json;
using System.Text.Json.Serialization;

namespace Lakebase.Contract.Json;

/// <summary>The JSON rules of the API: snake_case keys, unset fields left out, protobuf Duration/Timestamp strings.</summary>
public static class WireJson
{
    public static JsonSerializerOptions Options { get; } = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            NumberHandling = JsonNumberHandling.AllowReadingFromString,
        };
        options.Converters.Add(new DurationConverter());
        options.Converters.Add(new TimestampConverter());
        options.Converters.Add(new FlexibleInt64Converter());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static T? Deserialize<T>(string json) => JsonSerializer.Deserialize<T>(json, Options);

    public static T? Deserialize<T>(JsonElement json) => json.Deserialize<T>(Options);
}
