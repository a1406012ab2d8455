using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Lakebase.Contract;
using Lakebase.Contract.Json;
using Lakebase.Local.ControlPlane;

namespace Lakebase.Local.Api;

/// <summary>Wire JSON in and out: bodies use the contract's encoding; failures use the standard Databricks error body.</summary>
internal static class ApiResults
{
    public static IResult Json<T>(T value) => Results.Text(JsonSerializer.Serialize(value, WireJson.Options), "application/json");

    /// <summary>The error body; the status is the error code's unless the failure has its own (414, 431, 405).</summary>
    public static IResult Error(string errorCode, string message, JsonArray? details = null, int? status = null) => Results.Text(
        new JsonObject { ["error_code"] = errorCode, ["message"] = message, ["details"] = details ?? [] }.ToJsonString(),
        "application/json", statusCode: status ?? ErrorCodes.HttpStatus(errorCode));

    /// <summary>The request body as both raw JSON (masks check which paths are present) and the typed resource. Text
    /// that is not Unicode (invalid UTF-8, or an escaped surrogate without its pair) is refused rather than stored as
    /// U+FFFD.</summary>
    public static async Task<(T Body, JsonObject Raw)> ReadBodyAsync<T>(HttpRequest request) where T : new()
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, request.HttpContext.RequestAborted).ConfigureAwait(false);
        var bytes = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
        string text;
        try { text = StrictUtf8.GetString(bytes); }
        catch (DecoderFallbackException) { throw new ApiException(ErrorCodes.MalformedRequest, "The request body is not valid UTF-8."); }
        if (string.IsNullOrWhiteSpace(text)) return (new T(), new JsonObject());
        try
        {
            if (HasLoneSurrogate(bytes)) throw new ApiException(ErrorCodes.MalformedRequest, "The request body has a string with an unpaired surrogate (\\uD800–\\uDFFF).");
            var raw = JsonNode.Parse(text) as JsonObject ?? throw new ApiException(ErrorCodes.MalformedRequest, "The request body must be a JSON object.");
            return (raw.Deserialize<T>(WireJson.Options) ?? new T(), raw);
        }
        catch (Exception ex) when (ex is JsonException or FormatException)
        {
            throw new ApiException(ErrorCodes.MalformedRequest, $"The request body is not valid: {ex.Message}");
        }
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>True when a string or property name escapes half of a surrogate pair alone (\ud800 not followed by
    /// \udc00–\udfff, or a low half first); System.Text.Json would turn it into U+FFFD.</summary>
    private static bool HasLoneSurrogate(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { AllowTrailingCommas = false });
        while (reader.Read())
        {
            if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName && reader.ValueIsEscaped && HasLoneSurrogateEscape(reader.ValueSpan))
                return true;
        }
        return false;
    }

    private static bool HasLoneSurrogateEscape(ReadOnlySpan<byte> escaped)
    {
        var expectLow = false;
        for (var i = 0; i < escaped.Length; i++)
        {
            var isUnicodeEscape = escaped[i] == '\\' && i + 5 < escaped.Length && escaped[i + 1] == 'u';
            var unit = isUnicodeEscape ? int.Parse(System.Text.Encoding.ASCII.GetString(escaped.Slice(i + 2, 4)), System.Globalization.NumberStyles.HexNumber) : -1;
            var isLow = unit is >= 0xDC00 and <= 0xDFFF;
            if (expectLow != isLow) return true;
            expectLow = unit is >= 0xD800 and <= 0xDBFF;
            if (isUnicodeEscape) i += 5;
            else if (escaped[i] == '\\') i++;
        }
        return expectLow;
    }

    /// <summary>Offset-based pages; the token is opaque to clients.</summary>
    public static (List<T> Items, string? NextPageToken) Page<T>(IEnumerable<T> items, HttpRequest request, int maxPageSize = 100)
    {
        var pageSize = int.TryParse(request.Query["page_size"], out var size) && size > 0 ? Math.Min(size, maxPageSize) : maxPageSize;
        var offset = 0;
        if (request.Query["page_token"].ToString() is { Length: > 0 } token)
        {
            try { offset = BitConverter.ToInt32(Convert.FromBase64String(token)); }
            catch (Exception ex) when (ex is FormatException or ArgumentException) { throw ApiException.InvalidParameter("page_token is not valid."); }
        }
        var page = items.Skip(offset).Take(pageSize + 1).ToList();
        if (page.Count <= pageSize) return (page, null);
        page.RemoveAt(page.Count - 1);
        return (page, Convert.ToBase64String(BitConverter.GetBytes(offset + pageSize)));
    }

    public static bool Flag(HttpRequest request, string name) => bool.TryParse(request.Query[name], out var value) && value;

    public static string? Text(HttpRequest request, string name) => request.Query[name].ToString() is { Length: > 0 } value ? value : null;
}
