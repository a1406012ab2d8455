using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Lakebase.Client;

/// <summary>A call the service refused, or an operation that failed: the service's error_code, message and HTTP status.</summary>
public sealed partial class LakebaseApiException(string errorCode, string message, int httpStatus, string? target, JsonElement? details = null)
    : Exception(message)
{
    public string ErrorCode { get; } = errorCode;
    /// <summary>0 when the error came from a finished operation rather than an HTTP answer.</summary>
    public int HttpStatus { get; } = httpStatus;
    /// <summary>The resource name or API path the error concerns.</summary>
    public string? Target { get; } = target;
    public JsonElement? Details { get; } = details;

    /// <summary>Reads an error answer the way the SDKs do (§4.4): JSON body, then "CODE: message" text, then HTML,
    /// then the reason phrase.</summary>
    internal static LakebaseApiException FromResponse(HttpStatusCode status, string? reasonPhrase, string body, string target)
    {
        var fallbackCode = (reasonPhrase ?? status.ToString()).ToUpperInvariant().Replace(' ', '_');
        if (string.IsNullOrWhiteSpace(body)) return new(fallbackCode, reasonPhrase ?? status.ToString(), (int)status, target);
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                var code = root.TryGetProperty("error_code", out var errorCode)
                    ? errorCode.ValueKind == JsonValueKind.String ? errorCode.GetString()! : errorCode.ToString()
                    : fallbackCode;
                var message = root.TryGetProperty("error", out var legacy) && legacy.ValueKind == JsonValueKind.String ? legacy.GetString()!
                    : root.TryGetProperty("message", out var text) ? text.GetString() ?? "request failed" : "request failed";
                JsonElement? details = root.TryGetProperty("details", out var detail) ? detail.Clone() : null;
                return new(code, message, (int)status, target, details);
            }
        }
        catch (JsonException)
        {
        }
        if (PlainTextError().Match(body.Trim()) is { Success: true } plain)
            return new(plain.Groups[1].Value, plain.Groups[2].Value, (int)status, target);
        if (HtmlError().Match(body) is { Success: true } html)
            return new(fallbackCode, WebUtility.HtmlDecode(html.Groups[1].Value.Trim()), (int)status, target);
        return new("UNKNOWN", body.Length > 500 ? body[..500] : body, (int)status, target);
    }

    [GeneratedRegex(@"^([A-Z_]+): (.*)$", RegexOptions.Singleline)]
    private static partial Regex PlainTextError();

    [GeneratedRegex(@"<pre>(.*?)</pre>|<title>(.*?)</title>", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex HtmlError();
}
