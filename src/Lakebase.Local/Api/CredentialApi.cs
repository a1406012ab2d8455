using Lakebase.Contract;
using Lakebase.Contract.Models;
using Lakebase.Local.Auth;
using Lakebase.Local.ControlPlane;

namespace Lakebase.Local.Api;

/// <summary>POST /api/2.0/postgres/credentials: a token for the caller to log in to one endpoint (not an LRO).</summary>
internal sealed class CredentialApi(Catalog catalog, CredentialTokens tokens, PermissionService permissions)
{
    private static readonly TimeSpan MinTtl = TimeSpan.FromSeconds(300);
    private static readonly TimeSpan MaxTtl = TimeSpan.FromSeconds(3600);

    /// <summary>Credentials shorter than the service allows, for tests of expiry; set from the command line.</summary>
    public TimeSpan MinimumTtl { get; init; } = MinTtl;

    public async Task<IResult> GenerateAsync(HttpContext context)
    {
        var (request, _) = await ApiResults.ReadBodyAsync<DatabaseCredentialRequest>(context.Request);
        if (string.IsNullOrEmpty(request.Endpoint)) throw ApiException.Required("endpoint");
        if (!ResourceName.TryParse(request.Endpoint, out var name) || name.Kind != ResourceKind.Endpoint)
            throw ApiException.InvalidParameter($"endpoint must be an endpoint name (projects/…/branches/…/endpoints/…), got '{request.Endpoint}'.");
        permissions.Require(context.Principal(), name.ProjectId, PermissionLevel.CanUse);
        var endpoint = catalog.RequireChild<Endpoint>(name);
        if (request.Ttl is not null && request.ExpireTime is not null) throw ApiException.InvalidParameter("Only one of ttl and expire_time may be set.");
        var now = DateTimeOffset.UtcNow;
        var lifetime = request.Ttl ?? (request.ExpireTime is { } expireTime ? expireTime - now : MaxTtl);
        if (lifetime < MinimumTtl || lifetime > MaxTtl)
            throw ApiException.InvalidParameter($"The credential lifetime must be between {MinimumTtl.TotalSeconds}s and {MaxTtl.TotalSeconds}s, got {Math.Round(lifetime.TotalSeconds)}s.");
        // Whole seconds, as the token's exp: the expiry reported is the one enforced.
        var expires = DateTimeOffset.FromUnixTimeSeconds((Catalog.Now() + lifetime).ToUnixTimeSeconds());
        var token = tokens.Issue(new CredentialClaims(context.Principal().UserName, endpoint.Uid!, expires));
        return ApiResults.Json(new DatabaseCredential { Token = token, ExpireTime = expires });
    }
}
