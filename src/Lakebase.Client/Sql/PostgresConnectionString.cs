using System.Text;
using Npgsql;

namespace Lakebase.Client.Sql;

/// <summary>
/// A connection string in any of the forms users paste: Npgsql's (Host=...;Username=...), libpq's keyword=value
/// form (host=... user=... sslmode=require, as psql takes it and Get-LakebaseCredential -AsConnectionString writes
/// it) or a postgresql:// URI (as the Databricks UI shows it). libpq's hostaddr (connect to this address, check the
/// certificate against host) becomes <see cref="ServerName"/>, as Npgsql has no such setting.
/// </summary>
public sealed record PostgresConnectionString(NpgsqlConnectionStringBuilder Settings, string? ServerName)
{
    /// <summary>libpq keywords and the Npgsql settings they are; sslmode's values are mapped separately.</summary>
    private static readonly Dictionary<string, string> LibpqKeywords = new(StringComparer.Ordinal)
    {
        ["host"] = "Host",
        ["port"] = "Port",
        ["dbname"] = "Database",
        ["user"] = "Username",
        ["password"] = "Password",
        ["passfile"] = "Passfile",
        ["sslmode"] = "SSL Mode",
        ["sslrootcert"] = "Root Certificate",
        ["sslcert"] = "SSL Certificate",
        ["sslkey"] = "SSL Key",
        ["sslpassword"] = "SSL Password",
        ["options"] = "Options",
        ["application_name"] = "Application Name",
        ["connect_timeout"] = "Timeout",
        ["target_session_attrs"] = "Target Session Attributes",
    };

    public static PostgresConnectionString Parse(string text)
    {
        var trimmed = text.Trim();
        if (trimmed.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase) || trimmed.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase))
            return FromLibpq(UriKeywords(trimmed));
        // libpq separates settings with spaces (a ';' only inside a quoted value); Npgsql's form is ';'-separated.
        if (!HasSeparatorOutsideQuotes(trimmed) && KeywordValuesOrNull(trimmed) is { } pairs && IsLibpq(pairs)) return FromLibpq(pairs);
        return new PostgresConnectionString(new NpgsqlConnectionStringBuilder(trimmed), null);
    }

    private static bool HasSeparatorOutsideQuotes(string text)
    {
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            if (quoted && text[i] == '\\') i++;
            else if (text[i] == '\'') quoted = !quoted;
            else if (text[i] == ';' && !quoted) return true;
        }
        return false;
    }

    /// <summary>Space-separated pairs, or one pair with a libpq keyword (which are lower case; "Host=x" is Npgsql's).</summary>
    private static bool IsLibpq(List<KeyValuePair<string, string>> pairs) =>
        pairs.Count > 1 || (pairs is [var pair] && (LibpqKeywords.ContainsKey(pair.Key) || pair.Key == "hostaddr"));

    private static PostgresConnectionString FromLibpq(IReadOnlyList<KeyValuePair<string, string>> pairs)
    {
        var settings = new NpgsqlConnectionStringBuilder();
        string? host = null, address = null;
        foreach (var (keyword, value) in pairs)
        {
            switch (keyword)
            {
                case "hostaddr": address = value; break;
                case "host": host = value; break;
                case "sslmode": settings.SslMode = SslModeOf(value); break;
                // libpq's "system" is the machine's trusted roots, which is what Npgsql uses without a root certificate.
                case "sslrootcert" when value == "system": break;
                default:
                    if (!LibpqKeywords.TryGetValue(keyword, out var setting))
                        throw new ArgumentException($"The connection string's '{keyword}' has no equivalent here; use the Npgsql form (Host=...;Username=...) for it.");
                    settings[setting] = value;
                    break;
            }
        }
        settings.Host = address ?? host;
        return new PostgresConnectionString(settings, address is not null && host is not null ? host : null);
    }

    private static SslMode SslModeOf(string value) => value switch
    {
        "disable" => SslMode.Disable,
        "allow" => SslMode.Allow,
        "prefer" => SslMode.Prefer,
        "require" => SslMode.Require,
        "verify-ca" => SslMode.VerifyCA,
        "verify-full" => SslMode.VerifyFull,
        _ => throw new ArgumentException($"sslmode '{value}' is not one of disable, allow, prefer, require, verify-ca, verify-full."),
    };

    /// <summary>postgresql://user:password@host:port/dbname?key=value as keyword=value pairs.</summary>
    private static List<KeyValuePair<string, string>> UriKeywords(string text)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri))
            throw new ArgumentException("The postgresql:// connection string is not a valid URI (several hosts are not supported).");
        var pairs = new List<KeyValuePair<string, string>>();
        void Add(string keyword, string value) => pairs.Add(new(keyword, Uri.UnescapeDataString(value)));
        if (uri.UserInfo.Split(':', 2) is [var user, .. var password] && user.Length > 0)
        {
            Add("user", user);
            if (password is [var secret]) Add("password", secret);
        }
        if (uri.Host.Length > 0) Add("host", uri.Host.Trim('[', ']'));
        if (!uri.IsDefaultPort && uri.Port > 0) Add("port", uri.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (uri.AbsolutePath.Trim('/') is { Length: > 0 } database) Add("dbname", database);
        foreach (var parameter in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var (keyword, value) = parameter.Split('=', 2) is [var k, var v] ? (k, v) : (parameter, "");
            Add(Uri.UnescapeDataString(keyword), value);
        }
        return pairs;
    }

    /// <summary>libpq's keyword = value list: values may be single-quoted, with \' and \\ escaped.</summary>
    private static List<KeyValuePair<string, string>>? KeywordValuesOrNull(string text)
    {
        var pairs = new List<KeyValuePair<string, string>>();
        var i = 0;
        while (true)
        {
            while (i < text.Length && char.IsWhiteSpace(text[i])) i++;
            if (i == text.Length) return pairs;
            var start = i;
            while (i < text.Length && text[i] != '=' && !char.IsWhiteSpace(text[i])) i++;
            var keyword = text[start..i];
            while (i < text.Length && char.IsWhiteSpace(text[i])) i++;
            if (keyword.Length == 0 || i == text.Length || text[i] != '=') return null;
            i++;
            while (i < text.Length && char.IsWhiteSpace(text[i])) i++;
            var value = new StringBuilder();
            var quoted = i < text.Length && text[i] == '\'';
            if (quoted) i++;
            while (i < text.Length && (quoted ? text[i] != '\'' : !char.IsWhiteSpace(text[i])))
            {
                if (text[i] == '\\' && i + 1 < text.Length) i++;
                value.Append(text[i++]);
            }
            if (quoted)
            {
                if (i == text.Length) return null;
                i++;
            }
            pairs.Add(new(keyword, value.ToString()));
        }
    }
}
