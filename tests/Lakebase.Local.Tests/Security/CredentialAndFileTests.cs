using System.Text;
using System.Text.Json.Nodes;
using Npgsql;
using Xunit;

namespace Lakebase.Local.Tests.Security;

/// <summary>Secrets at rest are the owner's alone, and a database credential is a JWT signed by Lakebase Local that
/// dies exactly when it says it does.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class CredentialAndFileTests(SharedServer shared) : IClassFixture<SharedServer>
{
    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private LocalServerProcess Server => shared.Server;

    [Fact]
    public async Task The_state_root_is_closed_to_others_and_the_state_keys_and_tokens_are_0600()
    {
        await Server.GetAsync("projects");
        var rootMode = File.GetUnixFileMode(Server.Root);
        Assert.Equal((UnixFileMode)0, rootMode & (UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute |
            UnixFileMode.GroupRead | UnixFileMode.GroupWrite));
        foreach (var file in new[] { "state.db", "state.db-wal", "state.db-shm", "admin-token", "tls/credential-signing.key", "tls/ca.key" })
            Assert.True(File.GetUnixFileMode(Path.Combine(Server.Root, file)) == OwnerReadWrite, $"{file} is {File.GetUnixFileMode(Path.Combine(Server.Root, file))}");
    }

    [Theory]
    [InlineData("state.db")]
    [InlineData("admin-token")]
    [InlineData("tls/credential-signing.key")]
    public async Task A_secret_file_others_can_read_stops_the_start_with_a_message_naming_it(string file)
    {
        var root = LocalServerProcess.NewRoot();
        try
        {
            var path = Path.Combine(root, file);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllBytesAsync(path, file == "state.db" ? [] : new byte[32]);
            File.SetUnixFileMode(path, OwnerReadWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

            var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => LocalServerProcess.StartInAsync(root));
            Assert.Contains(path, failure.Message);
            Assert.Contains("0600", failure.Message);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(16)]
    public async Task An_empty_or_short_signing_key_stops_the_start(int length)
    {
        var root = LocalServerProcess.NewRoot();
        try
        {
            var key = Path.Combine(root, "tls", "credential-signing.key");
            Directory.CreateDirectory(Path.GetDirectoryName(key)!);
            await File.WriteAllBytesAsync(key, new byte[length]);
            File.SetUnixFileMode(key, OwnerReadWrite);

            var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => LocalServerProcess.StartInAsync(root));
            Assert.Contains("credential-signing.key", failure.Message);
            Assert.Contains("32 bytes", failure.Message);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task A_credential_is_a_JWT_with_the_services_claims_and_dies_when_its_expire_time_says()
    {
        var client = new ProxyClient(Server);
        var (endpoint, host) = await client.NewProjectAsync();
        var uid = (await Server.GetAsync(endpoint))["uid"]!.GetValue<string>();
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        var credential = await Server.SendAsync(HttpMethod.Post, "credentials", new JsonObject { ["endpoint"] = endpoint, ["ttl"] = "1800.7s" });
        var token = credential["token"]!.GetValue<string>();

        var parts = token.Split('.');
        Assert.Equal(3, parts.Length);
        var header = Decode(parts[0]);
        var claims = Decode(parts[1]);
        Assert.Equal("HS256", header["alg"]!.GetValue<string>());
        Assert.Equal("JWT", header["typ"]!.GetValue<string>());
        Assert.Equal(ProxyClient.User, claims["sub"]!.GetValue<string>());
        Assert.Equal(uid, claims["endpoint"]!.GetValue<string>());
        var issuedAt = DateTimeOffset.FromUnixTimeSeconds(claims["iat"]!.GetValue<long>());
        Assert.InRange(issuedAt, before, DateTimeOffset.UtcNow.AddSeconds(1));
        // What is reported is what is enforced: the expiry is whole seconds, the same in the token and the response.
        var reported = DateTimeOffset.Parse(credential["expire_time"]!.GetValue<string>());
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(claims["exp"]!.GetValue<long>()), reported);
        Assert.InRange(reported - issuedAt, TimeSpan.FromSeconds(1800), TimeSpan.FromSeconds(1801));

        await using (var connection = client.Connection(host, token)) await connection.OpenAsync();
    }

    [Fact]
    public async Task A_token_altered_resigned_or_unsigned_is_refused_at_login()
    {
        var client = new ProxyClient(Server);
        var (endpoint, host) = await client.NewProjectAsync();
        var token = await client.TokenAsync(endpoint);
        var parts = token.Split('.');
        var claims = Decode(parts[1]);
        claims["sub"] = "someone.else@example.com";
        var forgedClaims = Encode(claims);
        var unsigned = Encode(new JsonObject { ["alg"] = "none", ["typ"] = "JWT" }) + "." + parts[1] + ".";
        var otherAlgorithm = Encode(new JsonObject { ["alg"] = "HS512", ["typ"] = "JWT" }) + "." + parts[1] + "." + parts[2];

        foreach (var (password, user) in new[]
        {
            (parts[0] + "." + forgedClaims + "." + parts[2], "someone.else@example.com"),
            (unsigned, ProxyClient.User),
            (otherAlgorithm, ProxyClient.User),
            (token[..^2] + (token[^2] == 'A' ? "B" : "A") + token[^1], ProxyClient.User),
        })
        {
            await using var connection = client.Connection(host, password, user);
            var refused = await Assert.ThrowsAsync<PostgresException>(() => connection.OpenAsync());
            Assert.Equal("28P01", refused.SqlState);
        }
    }

    private static JsonObject Decode(string segment)
    {
        var padded = segment.Replace('-', '+').Replace('_', '/');
        return JsonNode.Parse(Convert.FromBase64String(padded + new string('=', (4 - padded.Length % 4) % 4)))!.AsObject();
    }

    private static string Encode(JsonObject value) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(value.ToJsonString())).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
