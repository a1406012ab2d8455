using System.Text.Json.Nodes;
using Lakebase.Contract;
using Lakebase.Local.Auth;
using Lakebase.Local.ControlPlane;

namespace Lakebase.Local.Api;

/// <summary>
/// What Databricks clients call besides the postgres API: bearer-token authentication of every /api call, SCIM Me
/// (the caller's user name, which is also its Postgres role), the OAuth discovery document and the client-credentials
/// token endpoint (so OAuth M2M works end to end), and Lakebase Local's own service-principal and shutdown calls.
/// </summary>
internal static class AuthApi
{
    private const string PrincipalKey = "lakebase.principal";

    public static Principal Principal(this HttpContext context) => (Principal)context.Items[PrincipalKey]!;

    /// <summary>Every /api call needs Authorization: Bearer; the health probe is the one anonymous call.</summary>
    public static IApplicationBuilder UseBearerAuthentication(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var path = context.Request.Path;
        if (path.StartsWithSegments("/api") && !path.StartsWithSegments("/api/2.0/lakebase-local/health"))
        {
            var header = context.Request.Headers.Authorization.ToString();
            var principal = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
                ? context.RequestServices.GetRequiredService<IdentityStore>().Authenticate(header["Bearer ".Length..].Trim())
                : null;
            if (principal is null)
            {
                await ApiResults.Error(ErrorCodes.Unauthenticated, "Invalid or missing access token. Send Authorization: Bearer <token>.").ExecuteAsync(context);
                return;
            }
            context.Items[PrincipalKey] = principal;
        }
        await next(context);
    });

    public static void MapAuthApi(this IEndpointRouteBuilder routes, string version)
    {
        routes.MapGet("/api/2.0/lakebase-local/health", () => Results.Json(new { status = "ok", version }));
        routes.MapGet("/.well-known/databricks-config", () => ApiResults.Error(ErrorCodes.NotFound, "Lakebase Local is not a unified host."));

        routes.MapGet("/api/2.0/preview/scim/v2/Me", (HttpContext context) =>
        {
            var principal = context.Principal();
            return Results.Json(new JsonObject
            {
                ["schemas"] = new JsonArray("urn:ietf:params:scim:schemas:core:2.0:User"),
                ["id"] = principal.UserName,
                ["userName"] = principal.UserName,
                ["displayName"] = principal.UserName,
                ["active"] = true,
            });
        });

        routes.MapGet("/oidc/.well-known/oauth-authorization-server", (HttpContext context) =>
        {
            var issuer = $"{context.Request.Scheme}://{context.Request.Host}/oidc";
            return Results.Json(new JsonObject
            {
                ["issuer"] = issuer,
                ["token_endpoint"] = issuer + "/v1/token",
                ["authorization_endpoint"] = issuer + "/v1/authorize",
                ["grant_types_supported"] = new JsonArray("client_credentials"),
                ["token_endpoint_auth_methods_supported"] = new JsonArray("client_secret_basic", "client_secret_post"),
            });
        });

        routes.MapPost("/oidc/v1/token", async (HttpContext context, IdentityStore identities) =>
        {
            var form = context.Request.HasFormContentType ? await context.Request.ReadFormAsync() : null;
            if (form?["grant_type"].ToString() != "client_credentials")
                return Results.Json(new { error = "unsupported_grant_type", error_description = "Only client_credentials is supported." }, statusCode: 400);
            var (clientId, clientSecret) = ClientCredentials(context.Request, form);
            var issued = clientId is null || clientSecret is null ? null : identities.IssueAccessToken(clientId, clientSecret);
            if (issued is not { } token)
                return Results.Json(new { error = "invalid_client", error_description = "Unknown client or wrong secret." }, statusCode: 401);
            return Results.Json(new { access_token = token.AccessToken, token_type = "Bearer", expires_in = (int)token.Lifetime.TotalSeconds, scope = form["scope"].ToString() });
        });

        routes.MapPost("/api/2.0/lakebase-local/service-principals", async (HttpContext context, IdentityStore identities) =>
        {
            RequireLocalUser(context);
            var body = await context.Request.ReadFromJsonAsync<JsonObject>() ?? [];
            var displayName = body["display_name"]?.GetValue<string>() ?? "service principal";
            var (applicationId, secret) = identities.CreateServicePrincipal(displayName);
            return Results.Json(new { application_id = applicationId, display_name = displayName, secret });
        });

        routes.MapPost("/api/2.0/lakebase-local/shutdown", (HttpContext context, IHostApplicationLifetime lifetime) =>
        {
            RequireLocalUser(context);
            lifetime.StopApplication();
            return Results.Json(new { });
        });
    }

    private static void RequireLocalUser(HttpContext context)
    {
        if (context.Principal().IsServicePrincipal)
            throw new ApiException(ErrorCodes.PermissionDenied, "Only the local user may manage Lakebase Local itself.");
    }

    /// <summary>client_secret_basic (Authorization: Basic) or client_secret_post (form fields).</summary>
    private static (string? Id, string? Secret) ClientCredentials(HttpRequest request, IFormCollection form)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                var pair = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim())).Split(':', 2);
                if (pair.Length == 2) return (Uri.UnescapeDataString(pair[0]), Uri.UnescapeDataString(pair[1]));
            }
            catch (FormatException) { return (null, null); }
        }
        return (form["client_id"].ToString() is { Length: > 0 } id ? id : null, form["client_secret"].ToString() is { Length: > 0 } secret ? secret : null);
    }
}
