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

    public static IResult Error(string errorCode, string message, JsonArray? details = null) => Results.Text(
        new JsonObject { ["error_code"] = errorCode, ["message"] = message, ["details"] = details ?? [] }.ToJsonString(),
        "application/json", statusCode: ErrorCodes.HttpStatus(errorCode));

    /// <summary>The request body as both raw JSON (masks check which paths are present) and the typed resource.</summary>
    public static async Task<(T Body, JsonObject Raw)> ReadBodyAsync<T>(HttpRequest request) where T : new()
    {
        using var reader = new StreamReader(request.Body);
        var text = await reader.ReadToEndAsync(request.HttpContext.RequestAborted).ConfigureAwait(false);
        if (string.IsNullOrWhiteSpace(text)) return (new T(), new JsonObject());
        try
        {
            var raw = JsonNode.Parse(text) as JsonObject ?? throw new ApiException(ErrorCodes.MalformedRequest, "The request body must be a JSON object.");
            return (raw.Deserialize<T>(WireJson.Options) ?? new T(), raw);
        }
        catch (Exception ex) when (ex is JsonException or FormatException)
        {
            throw new ApiException(ErrorCodes.MalformedRequest, $"The request body is not valid: {ex.Message}");
        }
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
