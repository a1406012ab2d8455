using System.Management.Automation;
using System.Numerics;
using System.Text.Json;

namespace Lakebase.PowerShell.Output;

/// <summary>
/// json text as ConvertFrom-Json makes it, so parsed json columns behave like the objects users already know:
/// objects become PSCustomObjects with a note property per member in order, arrays object[], integers long (or
/// BigInteger beyond it), other numbers double, and strings stay strings (no guessing of dates).
/// </summary>
internal static class JsonValues
{
    public static object? Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return ToValue(document.RootElement);
    }

    private static object? ToValue(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => ToObject(element),
        JsonValueKind.Array => element.EnumerateArray().Select(ToValue).ToArray(),
        JsonValueKind.String => element.GetString(),
        JsonValueKind.Number => ToNumber(element),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };

    private static object ToNumber(JsonElement number)
    {
        if (number.TryGetInt64(out var integer)) return integer;
        var text = number.GetRawText();
        return text.AsSpan().IndexOfAny(".eE") < 0 ? BigInteger.Parse(text) : number.GetDouble();
    }

    private static PSObject ToObject(JsonElement element)
    {
        var result = new PSObject();
        foreach (var member in element.EnumerateObject())
        {
            // json (unlike jsonb) keeps repeated keys; the last one wins, as in jsonb.
            if (result.Properties[member.Name] is { } existing) existing.Value = ToValue(member.Value);
            else result.Properties.Add(new PSNoteProperty(member.Name, ToValue(member.Value)));
        }
        return result;
    }
}
