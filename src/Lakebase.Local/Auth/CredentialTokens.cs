using System.Security.Cryptography;
using Lakebase.Local.Platform;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Lakebase.Local.Auth;

/// <summary>What a database credential says: who may log in, to which endpoint, until when; for a group's role, the
/// member it was issued to; and the tables it may only read, when it is scoped to them (empty: not scoped).</summary>
internal sealed record CredentialClaims(string UserName, string EndpointUid, DateTimeOffset ExpireTime)
{
    /// <summary>The identity that asked for a credential of a group's role (<see cref="UserName"/> is the group).</summary>
    public string? Member { get; init; }
    public IReadOnlyList<string> ReadOnlyTables { get; init; } = [];

    /// <summary>The identity whose permissions the credential depends on.</summary>
    public string Holder => Member ?? UserName;
}

/// <summary>
/// Database credentials: short-lived JWTs used as the Postgres password, as the service's are, so clients can read
/// their subject and expiry. Each is signed with HS256 under a key kept in the state root (mode 0600, at least 256
/// bits) over the identity (sub), the endpoint's uid (endpoint), issued-at and expiry, so a token opens one endpoint,
/// for one identity, until it expires, and nothing is stored per token. Validation is the JWT library's: the
/// algorithm is pinned to HS256 (alg "none" and others are refused), the signature compared in constant time, and
/// the expiry enforced to the second with no clock skew.
/// </summary>
internal sealed class CredentialTokens
{
    public const string Issuer = "lakebase-local";
    public const int MinimumKeyBytes = 32;
    private const string EndpointClaim = "endpoint";
    private const string MemberClaim = "member";
    private const string ReadOnlyTablesClaim = "read_only_tables";
    /// <summary>A credential is a few hundred characters; anything far longer is not one and is not parsed.</summary>
    private const int MaximumTokenLength = 4096;

    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false, MapInboundClaims = false };
    private readonly SigningCredentials _signing;
    private readonly TokenValidationParameters _validation;

    /// <summary>Loads the signing key, creating it on first start; a key shorter than 256 bits would make tokens
    /// forgeable, so it stops the start (<see cref="StateRootException"/>).</summary>
    public CredentialTokens(string keyFile)
    {
        if (!File.Exists(keyFile))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(keyFile)!);
            OwnerOnlyFile.Write(keyFile, RandomNumberGenerator.GetBytes(MinimumKeyBytes));
        }
        var key = File.ReadAllBytes(keyFile);
        if (key.Length < MinimumKeyBytes)
            throw new StateRootException($"{keyFile} has {key.Length} bytes; the credential signing key needs at least {MinimumKeyBytes} bytes. " +
                                         "Delete the file to have a new key made (credentials signed with the old one stop working).");
        var securityKey = new SymmetricSecurityKey(key);
        _signing = new SigningCredentials(securityKey, SecurityAlgorithms.HmacSha256);
        _validation = new TokenValidationParameters
        {
            IssuerSigningKey = securityKey,
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            ValidIssuer = Issuer,
            ValidAudience = Issuer,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateLifetime = true,
            ClockSkew = TimeSpan.Zero,
        };
    }

    /// <summary>A token for <paramref name="claims"/>; its expiry must be whole seconds (JWT's exp is), which the
    /// caller reports, so what is reported is what is enforced.</summary>
    public string Issue(CredentialClaims claims)
    {
        if (claims.ExpireTime.Ticks % TimeSpan.TicksPerSecond != 0)
            throw new ArgumentException("A credential's expiry must be whole seconds.", nameof(claims));
        var payload = new Dictionary<string, object>
        {
            [JwtRegisteredClaimNames.Sub] = claims.UserName,
            [EndpointClaim] = claims.EndpointUid,
            [JwtRegisteredClaimNames.Jti] = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)),
        };
        if (claims.Member is not null) payload[MemberClaim] = claims.Member;
        if (claims.ReadOnlyTables.Count > 0) payload[ReadOnlyTablesClaim] = claims.ReadOnlyTables.ToArray();
        return _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Issuer,
            IssuedAt = DateTime.UtcNow,
            Expires = claims.ExpireTime.UtcDateTime,
            Claims = payload,
            SigningCredentials = _signing,
        });
    }

    /// <summary>The claims of a genuine, unexpired token; null for anything else. This is the proxy's entry point.</summary>
    public CredentialClaims? Validate(string token)
    {
        if (string.IsNullOrEmpty(token) || token.Length > MaximumTokenLength) return null;
        // Symmetric keys need no metadata fetch, so validation completes synchronously. A password is anything a client
        // sent: whatever the library makes of it, a failure is "not a credential", never an exception in the proxy.
        TokenValidationResult result;
        try { result = _handler.ValidateTokenAsync(token, _validation).GetAwaiter().GetResult(); }
        catch (Exception ex) when (ex is ArgumentException or FormatException or SecurityTokenException) { return null; }
        if (!result.IsValid || result.SecurityToken is not JsonWebToken jwt) return null;
        return jwt.TryGetPayloadValue<string>(JwtRegisteredClaimNames.Sub, out var subject) && jwt.TryGetPayloadValue<string>(EndpointClaim, out var endpoint)
            ? new CredentialClaims(subject, endpoint, new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero))
            {
                Member = jwt.TryGetPayloadValue<string>(MemberClaim, out var member) ? member : null,
                ReadOnlyTables = jwt.TryGetPayloadValue<string[]>(ReadOnlyTablesClaim, out var tables) ? tables : [],
            }
            : null;
    }
}
