using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Lakebase.Local.ControlPlane;
using Lakebase.Local.State;
using Lakebase.Local.Platform;

namespace Lakebase.Local.Auth;

/// <summary>
/// Who may call the API: the local user (a personal access token created at first start and written to an
/// owner-only file), and service principals defined locally, which get OAuth access tokens from the
/// client-credentials endpoint. Only SHA-256 hashes of secrets are stored.
/// </summary>
internal sealed class IdentityStore(StateStore store)
{
    public static readonly TimeSpan AccessTokenLifetime = TimeSpan.FromHours(1);
    private const string PatKind = "pat";
    private const string AccessTokenKind = "oauth";
    private const string ServicePrincipalKind = "service-principal";

    private sealed record TokenRecord(string UserName, bool IsServicePrincipal, DateTimeOffset? ExpireTime);
    private sealed record ServicePrincipalRecord(string ApplicationId, string DisplayName, string SecretHash);

    /// <summary>Creates the admin token file on first start; returns the user it belongs to.</summary>
    public void EnsureAdminToken(string tokenFile, string userName)
    {
        if (File.Exists(tokenFile) && Authenticate(File.ReadAllText(tokenFile).Trim()) is not null) return;
        var token = "dapi" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));
        store.Write(batch => batch.PutSecret(PatKind, Hash(token), JsonSerializer.Serialize(new TokenRecord(userName, false, null))));
        OwnerOnlyFile.Write(tokenFile, Encoding.UTF8.GetBytes(token));
    }

    public Principal? Authenticate(string? bearerToken)
    {
        if (string.IsNullOrEmpty(bearerToken)) return null;
        var hash = Hash(bearerToken);
        var body = store.GetSecret(PatKind, hash) ?? store.GetSecret(AccessTokenKind, hash);
        if (body is null) return null;
        var record = JsonSerializer.Deserialize<TokenRecord>(body)!;
        if (record.ExpireTime is { } expires && expires <= DateTimeOffset.UtcNow) return null;
        return new Principal(record.UserName, record.IsServicePrincipal);
    }

    /// <summary>Defines a service principal; the secret is returned once and never again.</summary>
    public (string ApplicationId, string Secret) CreateServicePrincipal(string displayName)
    {
        var applicationId = Guid.NewGuid().ToString();
        var secret = "dose" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        store.Write(batch => batch.PutSecret(ServicePrincipalKind, applicationId,
            JsonSerializer.Serialize(new ServicePrincipalRecord(applicationId, displayName, Hash(secret)))));
        return (applicationId, secret);
    }

    /// <summary>The client-credentials grant: an access token for a service principal whose secret matches.</summary>
    public (string AccessToken, TimeSpan Lifetime)? IssueAccessToken(string clientId, string clientSecret)
    {
        var body = store.GetSecret(ServicePrincipalKind, clientId);
        if (body is null) return null;
        var principal = JsonSerializer.Deserialize<ServicePrincipalRecord>(body)!;
        if (!CryptographicOperations.FixedTimeEquals(Convert.FromHexString(principal.SecretHash), Convert.FromHexString(Hash(clientSecret)))) return null;
        var token = "lbo" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        store.Write(batch => batch.PutSecret(AccessTokenKind, Hash(token),
            JsonSerializer.Serialize(new TokenRecord(clientId, true, DateTimeOffset.UtcNow + AccessTokenLifetime))));
        return (token, AccessTokenLifetime);
    }

    private static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
}
