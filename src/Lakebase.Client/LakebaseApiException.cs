using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Lakebase.Contract.Models;

namespace Lakebase.Client;

/// <summary>
/// A call the service refused, or an operation that failed: the service's error_code, message and HTTP status.
/// Never carries request headers or tokens.
/// </summary>
public sealed partial class LakebaseApiException : Exception
{
    public LakebaseApiException(string errorCode, string message, int httpStatus, string? target, JsonElement? details = null, string? requestId = null,
        Exception? innerException = null)
        : base(message, innerException)
    {
        ErrorCode = errorCode;
        HttpStatus = httpStatus;
        Target = target;
        Details = details;
        RequestId = requestId ?? FindRequestId(details);
    }

    /// <summary>The service's error_code (NOT_FOUND, BAD_REQUEST, ...), or the HTTP reason phrase in upper snake case.</summary>
    public string ErrorCode { get; }
    /// <summary>0 when the error came from a finished operation rather than an HTTP answer.</summary>
    public int HttpStatus { get; }
    /// <summary>The resource name or API path the error concerns.</summary>
    public string? Target { get; }
    /// <summary>The error's details array (ErrorInfo, RequestInfo, ...), as sent.</summary>
    public JsonElement? Details { get; }
    /// <summary>The request id from a RequestInfo detail or the x-request-id header, for support cases.</summary>
    public string? RequestId { get; }
    /// <summary>This answer came to a call that was re-sent after an attempt whose answer was lost (a dropped
    /// connection, a timed-out attempt): the lost attempt may have taken effect.</summary>
    public bool AfterLostAnswer { get; internal set; }

    /// <summary>The service says the resource exists: 409 ALREADY_EXISTS, or the 400 roles and databases answer.</summary>
    internal bool IsAlreadyExists => ErrorCode is "ALREADY_EXISTS" or "RESOURCE_ALREADY_EXISTS" ||
        (HttpStatus == 400 && Message.Contains("already exists", StringComparison.OrdinalIgnoreCase));

    internal bool IsNotFound => ErrorCode is "NOT_FOUND" or "RESOURCE_DOES_NOT_EXIST" || HttpStatus == 404;

    /// <summary>The same error with <paramref name="explanation"/> appended to its message.</summary>
    internal LakebaseApiException Explained(string explanation, Exception? innerException = null) =>
        new(ErrorCode, $"{Message.TrimEnd('.')}. {explanation}", HttpStatus, Target, Details, RequestId, innerException ?? this);

    /// <summary>The error of a finished operation (HttpStatus 0).</summary>
    internal static LakebaseApiException FromOperationError(ApiError error, string? target)
    {
        JsonElement? details = null;
        if (error.Details is { Count: > 0 } list) details = JsonSerializer.SerializeToElement(list);
        return new(string.IsNullOrEmpty(error.ErrorCode) ? "UNKNOWN" : error.ErrorCode,
            $"operation failed: {(string.IsNullOrEmpty(error.Message) ? "unknown error" : error.Message)}", 0, target, details);
    }

    internal static LakebaseApiException FromResponse(HttpResponseMessage response, string body, string target)
    {
        var headerRequestId = response.Headers.TryGetValues("x-request-id", out var ids) ? ids.FirstOrDefault() : null;
        return FromResponse(response.StatusCode, response.ReasonPhrase, body, target, headerRequestId);
    }

    /// <summary>Reads an error answer the way the SDKs do (§4.4): empty body → reason phrase; a JSON object
    /// (error_code/message, legacy error, SCIM detail/status/scimType); "CODE: message" text; HTML pre or title.</summary>
    internal static LakebaseApiException FromResponse(HttpStatusCode status, string? reasonPhrase, string? body, string target, string? requestId = null)
    {
        var code = (int)status;
        var reason = string.IsNullOrWhiteSpace(reasonPhrase) ? DefaultReason(status) : reasonPhrase;
        var fallbackCode = reason.ToUpperInvariant().Replace(' ', '_');
        if (string.IsNullOrWhiteSpace(body)) return new(fallbackCode, reason, code, target, requestId: requestId);
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                JsonElement? details = root.TryGetProperty("details", out var detail) && detail.ValueKind != JsonValueKind.Null ? detail.Clone() : null;
                if (!root.TryGetProperty("error_code", out _) && root.TryGetProperty("detail", out var scimDetail))
                {
                    var scimStatus = root.TryGetProperty("status", out var s) ? Text(s) : code.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    var scimType = root.TryGetProperty("scimType", out var t) ? Text(t) : null;
                    return new($"SCIM_{scimStatus}", string.Join(' ', new[] { scimType, Text(scimDetail) }.Where(x => !string.IsNullOrEmpty(x))),
                        code, target, details, requestId);
                }
                var errorCode = root.TryGetProperty("error_code", out var ec) && Text(ec) is { Length: > 0 } c ? c : fallbackCode;
                var message = root.TryGetProperty("message", out var m) && Text(m) is { Length: > 0 } text ? text : "request failed";
                if (root.TryGetProperty("error", out var legacy) && Text(legacy) is { Length: > 0 } legacyText) message = legacyText;
                return new(errorCode, message, code, target, details, requestId);
            }
        }
        catch (JsonException)
        {
        }
        var trimmed = body.Trim();
        if (PlainTextError().Match(trimmed) is { Success: true } plain)
            return new(plain.Groups[1].Value, plain.Groups[2].Value.Trim(), code, target, requestId: requestId);
        if (HtmlPre().Match(body) is { Success: true } pre)
            return new(fallbackCode, WebUtility.HtmlDecode(pre.Groups[1].Value.Trim()), code, target, requestId: requestId);
        if (HtmlTitle().Match(body) is { Success: true } title)
            return new(fallbackCode, WebUtility.HtmlDecode(title.Groups[1].Value.Trim()), code, target, requestId: requestId);
        return new("UNKNOWN", trimmed.Length > 500 ? trimmed[..500] + "…" : trimmed, code, target, requestId: requestId);
    }

    private static string? Text(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => element.GetString(),
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        _ => element.GetRawText(),
    };

    private static string? FindRequestId(JsonElement? details)
    {
        if (details is not { ValueKind: JsonValueKind.Array } array) return null;
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty("@type", out var type) &&
                type.GetString()?.EndsWith("google.rpc.RequestInfo", StringComparison.Ordinal) == true &&
                item.TryGetProperty("request_id", out var id) && id.ValueKind == JsonValueKind.String)
                return id.GetString();
        }
        return null;
    }

    private static string DefaultReason(HttpStatusCode status) => status switch
    {
        HttpStatusCode.BadRequest => "Bad Request",
        HttpStatusCode.Unauthorized => "Unauthorized",
        HttpStatusCode.Forbidden => "Forbidden",
        HttpStatusCode.NotFound => "Not Found",
        HttpStatusCode.Conflict => "Conflict",
        HttpStatusCode.TooManyRequests => "Too Many Requests",
        HttpStatusCode.InternalServerError => "Internal Server Error",
        HttpStatusCode.ServiceUnavailable => "Service Unavailable",
        _ => status.ToString(),
    };

    [GeneratedRegex(@"^([A-Z_]+): (.*)$", RegexOptions.Singleline)]
    private static partial Regex PlainTextError();

    [GeneratedRegex(@"<pre>(.*?)</pre>", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex HtmlPre();

    [GeneratedRegex(@"<title>(.*?)</title>", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex HtmlTitle();
}
