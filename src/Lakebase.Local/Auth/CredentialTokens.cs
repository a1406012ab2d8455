using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Lakebase.Local.Platform;

namespace Lakebase.Local.Auth;

/// <summary>What a database credential says: who may log in, to which endpoint, until when.</summary>
internal sealed record CredentialClaims(string UserName, string EndpointUid, DateTimeOffset ExpireTime);

/// <summary>
/// Database credentials: short-lived tokens used as the Postgres password. Each is signed (HMAC-SHA256 with a key
/// kept in the state root, mode 0600) over the identity, the endpoint and the expiry, so a token opens one endpoint,
/// for one identity, until it expires, and nothing needs to be stored per token.
/// </summary>
internal sealed class CredentialTokens
{
    private const string Prefix = "lbc1.";
    private readonly byte[] _key;

    public CredentialTokens(string keyFile)
    {
        if (!File.Exists(keyFile))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(keyFile)!);
            OwnerOnlyFile.Write(keyFile, RandomNumberGenerator.GetBytes(32));
        }
        _key = File.ReadAllBytes(keyFile);
    }

    public string Issue(CredentialClaims claims)
    {
        var payload = JsonSerializer.SerializeToUtf8Bytes(new Payload(claims.UserName, claims.EndpointUid, claims.ExpireTime.ToUnixTimeSeconds(),
            Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))));
        var body = Base64Url(payload);
        return Prefix + body + "." + Base64Url(HMACSHA256.HashData(_key, Encoding.ASCII.GetBytes(body)));
    }

    /// <summary>The claims of a genuine, unexpired token; null for anything else.</summary>
    public CredentialClaims? Validate(string token)
    {
        if (!token.StartsWith(Prefix, StringComparison.Ordinal)) return null;
        var parts = token[Prefix.Length..].Split('.');
        if (parts.Length != 2) return null;
        try
        {
            var expected = HMACSHA256.HashData(_key, Encoding.ASCII.GetBytes(parts[0]));
            if (!CryptographicOperations.FixedTimeEquals(expected, FromBase64Url(parts[1]))) return null;
            var payload = JsonSerializer.Deserialize<Payload>(FromBase64Url(parts[0]));
            if (payload is null) return null;
            var expires = DateTimeOffset.FromUnixTimeSeconds(payload.Exp);
            return expires <= DateTimeOffset.UtcNow ? null : new CredentialClaims(payload.Sub, payload.Ep, expires);
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            return null;
        }
    }

    private sealed record Payload(string Sub, string Ep, long Exp, string Jti);

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] FromBase64Url(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(padded + new string('=', (4 - padded.Length % 4) % 4));
    }
}
