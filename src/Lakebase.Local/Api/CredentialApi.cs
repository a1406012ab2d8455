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
        var asked = request.ExpireTime ?? now + (request.Ttl ?? MaxTtl);
        var lifetime = asked - now;
        if (lifetime < MinimumTtl || lifetime > MaxTtl)
            throw ApiException.InvalidParameter($"The credential lifetime must be between {MinimumTtl.TotalSeconds}s and {MaxTtl.TotalSeconds}s, got {Math.Round(lifetime.TotalSeconds)}s.");
        // Whole seconds, as the token's exp: the expiry reported is the one enforced, never later than asked.
        var expires = DateTimeOffset.FromUnixTimeSeconds(asked.ToUnixTimeSeconds());
        var caller = context.Principal().UserName;
        var groupRole = request.GroupName is null ? null : GroupRole(name, request.GroupName);
        var token = tokens.Issue(new CredentialClaims(groupRole ?? caller, endpoint.Uid!, expires)
        {
            Member = groupRole is null ? null : caller,
            ReadOnlyTables = ReadOnlyTables(request.Claims),
        });
        return ApiResults.Json(new DatabaseCredential { Token = token, ExpireTime = expires });
    }

    /// <summary>The tables of the claims, each READ_ONLY on UC tables (catalog.schema.table): the session may read
    /// them and nothing else.</summary>
    private static List<string> ReadOnlyTables(List<DatabaseCredentialClaim>? claims)
    {
        var tables = new List<string>();
        foreach (var claim in claims ?? [])
        {
            if (claim.PermissionSet != PermissionSet.ReadOnly)
                throw ApiException.InvalidParameter($"claims.permission_set must be {PermissionSet.ReadOnly}, got '{claim.PermissionSet}'.");
            if (claim.Resources is not { Count: > 0 }) throw ApiException.Required("claims.resources");
            foreach (var resource in claim.Resources)
            {
                if (resource.TableName is not { } table || table.Split('.') is not [{ Length: > 0 }, { Length: > 0 }, { Length: > 0 }] || table.Any(char.IsControl))
                    throw ApiException.InvalidParameter($"claims.resources.table_name must be a three-part table name (catalog.schema.table), got '{resource.TableName}'.");
                tables.Add(table);
            }
        }
        return tables;
    }

    /// <summary>The Postgres role of group <paramref name="groupName"/> on the endpoint's branch. Lakebase Local has no
    /// workspace groups, so it takes every identity that may use the project as a member; the group's role must
    /// exist on the branch and log in with OAuth tokens, as the service's must.</summary>
    private string GroupRole(ResourceName endpoint, string groupName)
    {
        var branch = ResourceName.Branch(endpoint.ProjectId, endpoint.BranchId!).ToString();
        var role = catalog.Roles(branch).FirstOrDefault(role => role.Status!.IdentityType == IdentityType.Group && role.Status.PostgresRole == groupName)
            ?? throw ApiException.InvalidParameter($"group_name '{groupName}' has no GROUP role on {branch}; create one with identity_type GROUP.");
        if (role.Status!.AuthMethod != AuthMethod.LakebaseOAuthV1)
            throw ApiException.InvalidParameter($"The role of group '{groupName}' on {branch} does not log in with OAuth tokens (auth_method LAKEBASE_OAUTH_V1).");
        return groupName;
    }
}
