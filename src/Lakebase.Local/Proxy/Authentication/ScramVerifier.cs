using System.Security.Cryptography;
using System.Text;

namespace Lakebase.Local.Proxy.Authentication;

/// <summary>
/// Checks a cleartext password against a role's SCRAM-SHA-256 verifier as PostgreSQL stores it in
/// pg_authid.rolpassword: <c>SCRAM-SHA-256$&lt;iterations&gt;:&lt;salt&gt;$&lt;StoredKey&gt;:&lt;ServerKey&gt;</c> (RFC 5802, 7677).
/// The proxy asks clients for the password in clear over TLS (as Lakebase does), so it derives the StoredKey from it
/// rather than running the SASL exchange, which PostgreSQL cannot do behind the proxy's trusted socket.
/// </summary>
internal static class ScramVerifier
{
    private const string Prefix = "SCRAM-SHA-256$";

    public static bool Matches(string password, string? verifier)
    {
        if (verifier is null || !verifier.StartsWith(Prefix, StringComparison.Ordinal)) return false;
        var parts = verifier[Prefix.Length..].Split('$');
        if (parts.Length != 2) return false;
        var iterationsAndSalt = parts[0].Split(':');
        var keys = parts[1].Split(':');
        if (iterationsAndSalt.Length != 2 || keys.Length != 2 || !int.TryParse(iterationsAndSalt[0], out var iterations) || iterations < 1) return false;
        byte[] salt, storedKey;
        try
        {
            salt = Convert.FromBase64String(iterationsAndSalt[1]);
            storedKey = Convert.FromBase64String(keys[0]);
        }
        catch (FormatException)
        {
            return false;
        }
        var saltedPassword = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(Prepare(password)), salt, iterations, HashAlgorithmName.SHA256, 32);
        var clientKey = HMACSHA256.HashData(saltedPassword, "Client Key"u8);
        return CryptographicOperations.FixedTimeEquals(SHA256.HashData(clientKey), storedKey);
    }

    /// <summary>The SASLprep that PostgreSQL applies before hashing (RFC 4013): non-ASCII spaces become spaces, characters
    /// "commonly mapped to nothing" go, then NFKC. ASCII passwords, by far the common case, are unchanged.</summary>
    private static string Prepare(string password)
    {
        if (Ascii.IsValid(password)) return password;
        var mapped = new StringBuilder(password.Length);
        foreach (var c in password)
        {
            if (c is '\u00AD' or '\u034F' or '\u1806' or (>= '\u180B' and <= '\u180D') or (>= '\u200B' and <= '\u200D') or '\u2060' or (>= '\uFE00' and <= '\uFE0F') or '\uFEFF')
                continue;
            mapped.Append(c > 127 && char.IsWhiteSpace(c) ? ' ' : c);
        }
        return mapped.ToString().Normalize(NormalizationForm.FormKC);
    }
}
