using System.Globalization;
using System.Text.Json;
using Lakebase.Contract.Json;
using Lakebase.Contract.Models;

namespace Lakebase.Client;

/// <summary>
/// Whether a resource the service already has is what a create asked for: each field the request's spec sets is
/// compared with the field of the same name in the resource's status (which reports the spec in effect). Fields the
/// status does not report (a branch's ttl, which becomes its expire_time) cannot be compared and are not.
/// </summary>
internal static class RequestedState
{
    /// <summary>The spec paths whose values the status contradicts; empty when it matches.</summary>
    public static IReadOnlyList<string> Differences(object? spec, JsonElement? status)
    {
        var differences = new List<string>();
        if (spec is null || status is not { ValueKind: JsonValueKind.Object } actual) return differences;
        Compare(JsonSerializer.SerializeToElement(spec, spec.GetType(), WireJson.Options), actual, "spec", differences);
        return differences;
    }

    /// <summary>A resource still being made (a branch or endpoint in INIT, a branch importing or resetting).</summary>
    public static bool IsSettling(JsonElement? status) =>
        status is { ValueKind: JsonValueKind.Object } value && value.TryGetProperty("current_state", out var state) &&
        state.GetString() is BranchState.Init or BranchState.Importing or BranchState.Resetting;

    private static void Compare(JsonElement asked, JsonElement actual, string path, List<string> differences)
    {
        foreach (var field in asked.EnumerateObject())
        {
            if (field.Value.ValueKind == JsonValueKind.Null || !actual.TryGetProperty(field.Name, out var reported)) continue;
            var fieldPath = path + "." + field.Name;
            if (field.Value.ValueKind == JsonValueKind.Object && reported.ValueKind == JsonValueKind.Object)
                Compare(field.Value, reported, fieldPath, differences);
            else if (!SameValue(field.Value, reported))
                differences.Add(fieldPath);
        }
    }

    private static bool SameValue(JsonElement asked, JsonElement actual) => (asked.ValueKind, actual.ValueKind) switch
    {
        (JsonValueKind.Number, JsonValueKind.Number) => asked.GetDecimal() == actual.GetDecimal(),
        (JsonValueKind.String, JsonValueKind.String) => SameText(asked.GetString()!, actual.GetString()!),
        (JsonValueKind.Array, JsonValueKind.Array) =>
            asked.EnumerateArray().Select(e => e.GetRawText()).Order().SequenceEqual(actual.EnumerateArray().Select(e => e.GetRawText()).Order()),
        _ => asked.ValueKind == actual.ValueKind && asked.GetRawText() == actual.GetRawText(),
    };

    /// <summary>Timestamps as instants (the service may keep fewer digits), durations as seconds, the rest exactly
    /// but for case (an LSN's hex digits).</summary>
    private static bool SameText(string asked, string actual)
    {
        if (DateTimeOffset.TryParse(asked, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var askedTime) &&
            DateTimeOffset.TryParse(actual, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var actualTime))
            return (askedTime - actualTime).Duration() < TimeSpan.FromMilliseconds(1);
        if (Seconds(asked) is { } askedSeconds && Seconds(actual) is { } actualSeconds) return askedSeconds == actualSeconds;
        return string.Equals(asked, actual, StringComparison.OrdinalIgnoreCase);
    }

    private static decimal? Seconds(string duration) =>
        duration.EndsWith('s') && decimal.TryParse(duration[..^1], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds) ? seconds : null;
}
