using System.Text;
using System.Text.Json.Nodes;
using Lakebase.Local.Auth;
using Lakebase.Local.Platform;
using Xunit;

namespace Lakebase.Local.Tests.Security;

/// <summary>The credential JWT itself, without a server: what validates, and everything that must not.</summary>
public sealed class CredentialTokenTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "lbk-" + Guid.NewGuid().ToString("N")[..10]);
    private readonly CredentialTokens _tokens;

    public CredentialTokenTests() => _tokens = new CredentialTokens(Path.Combine(_directory, "key"));

    private static CredentialClaims Claims(TimeSpan lifetime) =>
        new("someone@example.com", "ep-abc", DateTimeOffset.FromUnixTimeSeconds((DateTimeOffset.UtcNow + lifetime).ToUnixTimeSeconds()));

    [Fact]
    public void A_token_validates_to_its_claims_until_its_expiry()
    {
        var claims = Claims(TimeSpan.FromMinutes(10));
        Assert.Equal(claims, _tokens.Validate(_tokens.Issue(claims)));
        Assert.Null(_tokens.Validate(_tokens.Issue(Claims(TimeSpan.FromSeconds(-1)))));
    }

    [Fact]
    public void A_token_signed_with_another_key_or_tampered_with_is_refused()
    {
        using var other = new TemporaryKey();
        var foreign = new CredentialTokens(other.Path).Issue(Claims(TimeSpan.FromMinutes(10)));
        Assert.Null(_tokens.Validate(foreign));

        var parts = _tokens.Issue(Claims(TimeSpan.FromMinutes(10))).Split('.');
        var payload = JsonNode.Parse(Base64Url.Decode(parts[1]))!;
        payload["endpoint"] = "ep-other";
        Assert.Null(_tokens.Validate($"{parts[0]}.{Base64Url.Encode(payload.ToJsonString())}.{parts[2]}"));
        Assert.Null(_tokens.Validate($"{Base64Url.Encode("""{"alg":"none","typ":"JWT"}""")}.{parts[1]}."));
        Assert.Null(_tokens.Validate($"{Base64Url.Encode("""{"alg":"HS512","typ":"JWT"}""")}.{parts[1]}.{parts[2]}"));
        var token = _tokens.Issue(Claims(TimeSpan.FromMinutes(10)));
        Assert.Null(_tokens.Validate(token[..^2] + (token[^2] == 'A' ? "B" : "A") + token[^1]));
        Assert.Null(_tokens.Validate(token + "."));
        Assert.Null(_tokens.Validate("a.b.c"));
        Assert.Null(_tokens.Validate("...."));
        Assert.Null(_tokens.Validate(new string('a', 100_000)));
        Assert.Null(_tokens.Validate(""));
    }

    [Fact]
    public void An_expiry_that_is_not_whole_seconds_is_not_issued()
    {
        Assert.Throws<ArgumentException>(() => _tokens.Issue(new CredentialClaims("u", "ep", DateTimeOffset.UtcNow.AddMinutes(5).AddMilliseconds(1))));
    }

    [Fact]
    public void A_short_key_is_refused()
    {
        using var key = new TemporaryKey(new byte[31]);
        var refused = Assert.Throws<StateRootException>(() => new CredentialTokens(key.Path));
        Assert.Contains("32 bytes", refused.Message);
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }

    private sealed class TemporaryKey : IDisposable
    {
        public TemporaryKey(byte[]? contents = null)
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "lbk-" + Guid.NewGuid().ToString("N")[..10]);
            if (contents is not null) File.WriteAllBytes(Path, contents);
        }

        public string Path { get; }

        public void Dispose() => File.Delete(Path);
    }

    private static class Base64Url
    {
        public static string Encode(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

        public static byte[] Decode(string text)
        {
            var padded = text.Replace('-', '+').Replace('_', '/');
            return Convert.FromBase64String(padded + new string('=', (4 - padded.Length % 4) % 4));
        }
    }
}
