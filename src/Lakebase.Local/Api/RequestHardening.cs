using Lakebase.Contract;
using Microsoft.AspNetCore.Http.Features;

namespace Lakebase.Local.Api;

/// <summary>
/// What every request is checked for before anything routes it, and what every refusal carries: the path is judged
/// as the client sent it (Kestrel decodes and removes dot segments, so an encoded ".." would otherwise reach the
/// parent resource), sizes are limited here rather than by Kestrel (whose own refusals have no body), and any error
/// the framework answers without a body (404 outside the API, 405) gets the service's {error_code, message}.
/// </summary>
internal static class RequestHardening
{
    /// <summary>The service's limits; Kestrel's are set higher (<see cref="KestrelLimits"/>) so these answer first.</summary>
    public const int MaxRequestTarget = 8 * 1024;
    public const int MaxRequestHeaders = 32 * 1024;

    public static void KestrelLimits(Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerLimits limits)
    {
        limits.MaxRequestLineSize = 8 * MaxRequestTarget;
        limits.MaxRequestHeadersTotalSize = 8 * MaxRequestHeaders;
    }

    public static IApplicationBuilder UseRequestHardening(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var rawTarget = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? "";
        if (rawTarget.Length > MaxRequestTarget)
        {
            await ApiResults.Error(ErrorCodes.BadRequest, $"The request URL is longer than {MaxRequestTarget} bytes.", status: 414).ExecuteAsync(context);
            return;
        }
        if (HeaderBytes(context.Request.Headers) > MaxRequestHeaders)
        {
            await ApiResults.Error(ErrorCodes.BadRequest, $"The request headers are larger than {MaxRequestHeaders} bytes.", status: 431).ExecuteAsync(context);
            return;
        }
        if (PathProblem(rawTarget) is { } problem)
        {
            await ApiResults.Error(ErrorCodes.InvalidParameterValue, problem).ExecuteAsync(context);
            return;
        }
        await next(context);
        if (!context.Response.HasStarted && context.Response.StatusCode >= 400 && context.Response.ContentType is null)
            await BodylessError(context).ExecuteAsync(context);
    });

    /// <summary>Why the path of a request target may not reach a resource: a "." or ".." segment (also percent-encoded),
    /// or a control character; null when it is fine.</summary>
    public static string? PathProblem(string rawTarget)
    {
        var query = rawTarget.IndexOf('?');
        var path = query < 0 ? rawTarget : rawTarget[..query];
        foreach (var segment in path.Split('/'))
        {
            var decoded = Uri.UnescapeDataString(segment);
            if (decoded is "." or "..")
                return $"The path segment '{segment}' is not an id: '.' and '..' segments are not allowed.";
            if (decoded.Any(char.IsControl))
                return $"The path segment '{segment}' holds a control character.";
        }
        return null;
    }

    private static long HeaderBytes(IHeaderDictionary headers)
    {
        long total = 0;
        foreach (var (name, values) in headers)
        {
            foreach (var value in values) total += name.Length + (value?.Length ?? 0) + 4;
        }
        return total;
    }

    private static IResult BodylessError(HttpContext context)
    {
        var status = context.Response.StatusCode;
        var call = $"{context.Request.Method} {context.Request.Path}";
        return status switch
        {
            404 => ApiResults.Error("ENDPOINT_NOT_FOUND", $"No API found for '{call}'.", status: 404),
            405 => ApiResults.Error("ENDPOINT_NOT_FOUND", $"No API found for '{call}': the method is not served on this path.", status: 405),
            401 => ApiResults.Error(ErrorCodes.Unauthenticated, "Invalid or missing access token.", status: 401),
            _ => ApiResults.Error(status < 500 ? ErrorCodes.BadRequest : ErrorCodes.InternalError, $"'{call}' failed with HTTP {status}.", status: status),
        };
    }
}
