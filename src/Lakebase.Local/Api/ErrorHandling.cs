using Lakebase.Contract;
using Lakebase.Local.ControlPlane;

namespace Lakebase.Local.Api;

/// <summary>Every failure becomes the standard error body; a stack trace never reaches the client.</summary>
internal static class ErrorHandling
{
    public static IApplicationBuilder UseApiErrors(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        try
        {
            await next(context);
        }
        catch (ApiException ex)
        {
            await ApiResults.Error(ex.ErrorCode, ex.Message, ex.Details).ExecuteAsync(context);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            context.RequestServices.GetRequiredService<ILogger<ApiException>>().LogError(ex, "Request {Method} {Path} failed", context.Request.Method, context.Request.Path);
            await ApiResults.Error(ErrorCodes.InternalError, $"Lakebase Local failed: {ex.Message}").ExecuteAsync(context);
        }
    });
}
