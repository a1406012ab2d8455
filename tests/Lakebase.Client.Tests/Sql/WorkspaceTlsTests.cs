using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Lakebase.Client.Sql;
using Lakebase.Client.Tests.Client;
using Npgsql;
using Xunit;

namespace Lakebase.Client.Tests.Sql;

/// <summary>Against a workspace the database connection verifies the server's certificate (chain and host name), so a
/// server that cannot prove it is the endpoint never sees the token.</summary>
public sealed class WorkspaceTlsTests
{
    [Fact]
    public async Task A_server_with_an_untrusted_certificate_is_refused_before_the_credential_is_sent()
    {
        using var server = new UntrustedTlsServer();
        var handler = new RecordingHandler(request => Http.Json("""{"token":"secret-token","expire_time":"2099-01-01T00:00:00Z"}"""));
        var client = await TestClient.ConnectAsync(handler);
        await using var sessions = new DatabaseSessions(client) { WakeBudget = TimeSpan.FromSeconds(5) };
        var target = new DatabaseTarget("projects/p/branches/b/endpoints/e", "ep-test", "localhost", server.Port, "databricks_postgres");

        var refused = await Assert.ThrowsAnyAsync<NpgsqlException>(() => sessions.OpenAsync(target, null, null, CancellationToken.None));

        Assert.IsType<AuthenticationException>(refused.InnerException);
        Assert.False(await server.ReceivedApplicationDataAsync());
    }

    [Fact]
    public async Task A_workspace_connection_string_asks_libpq_to_verify_the_certificate_with_the_system_roots()
    {
        var client = await TestClient.ConnectAsync(new RecordingHandler(_ => Http.Json("{}")));
        await using var sessions = new DatabaseSessions(client);
        var text = sessions.LibpqConnectionString(new DatabaseTarget("projects/p/branches/b/endpoints/e", "ep-test", "ep-test.database.example.com", 5432, "db"), "pw");

        Assert.Contains("sslmode=verify-full sslrootcert='system'", text);
        Assert.Equal(SslMode.VerifyFull, PostgresConnectionString.Parse(text).Settings.SslMode);
    }

    [Fact]
    public async Task A_connection_string_keeps_a_database_and_user_with_spaces_and_quotes_whole()
    {
        var client = await TestClient.ConnectAsync(new RecordingHandler(_ => Http.Json("{}")));
        await using var sessions = new DatabaseSessions(client);
        var text = sessions.LibpqConnectionString(new DatabaseTarget("projects/p/branches/b/endpoints/e", "ep-test", "ep-test.database.example.com", 5432, @"sales db's \ copy"),
            "pw", user: "o'brien group");

        var settings = PostgresConnectionString.Parse(text).Settings;
        Assert.Equal(@"sales db's \ copy", settings.Database);
        Assert.Equal("o'brien group", settings.Username);
        Assert.Equal("pw", settings.Password);
    }

    /// <summary>Answers SSLRequest with 'S' and completes TLS with a self-signed certificate for localhost; records
    /// whether anything arrived over TLS afterwards (the startup packet, then the password).</summary>
    private sealed class UntrustedTlsServer : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly Task<bool> _session;

        public UntrustedTlsServer()
        {
            _listener.Start();
            _session = ServeAsync();
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public async Task<bool> ReceivedApplicationDataAsync() => await _session;

        private async Task<bool> ServeAsync()
        {
            using var socket = await _listener.AcceptTcpClientAsync();
            var stream = socket.GetStream();
            await stream.ReadExactlyAsync(new byte[8]);
            await stream.WriteAsync("S"u8.ToArray());
            using var tls = new SslStream(stream);
            try
            {
                await tls.AuthenticateAsServerAsync(SelfSigned());
                return await tls.ReadAsync(new byte[1]) > 0;
            }
            catch (Exception ex) when (ex is IOException or AuthenticationException)
            {
                return false;
            }
        }

        private static X509Certificate2 SelfSigned()
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
            var names = new SubjectAlternativeNameBuilder();
            names.AddDnsName("localhost");
            request.CertificateExtensions.Add(names.Build());
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
            return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), null);
        }

        public void Dispose() => _listener.Stop();
    }
}
