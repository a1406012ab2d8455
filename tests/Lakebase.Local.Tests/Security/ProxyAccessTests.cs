using System.Net;
using System.Net.Sockets;
using Npgsql;
using Xunit;

namespace Lakebase.Local.Tests.Security;

/// <summary>A server whose credentials can expire in a second.</summary>
public sealed class ProxyAccessServer : IAsyncLifetime
{
    public LocalServerProcess Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await LocalServerProcess.StartAsync("--min-credential-ttl", "1");

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>Who gets through the proxy: only a valid credential for that endpoint (or the role's own password where
/// native login is on), only to an endpoint that is live and enabled now, whichever way the endpoint is named.</summary>
public sealed class ProxyAccessTests(ProxyAccessServer shared) : IClassFixture<ProxyAccessServer>
{
    private LocalServerProcess Server => shared.Server;
    private ProxyClient Client => new(shared.Server);

    private static string ProjectOf(string endpoint) => endpoint[..endpoint.IndexOf("/branches/", StringComparison.Ordinal)];

    private async Task<string> UidAsync(string endpoint) => (await Server.GetAsync(endpoint))["uid"]!.GetValue<string>();

    /// <summary>Whether the endpoint's postmaster is up: its private socket exists only while it runs.</summary>
    private bool ComputeRuns(string uid) => File.Exists(Path.Combine(Server.Root, "run", uid, ".s.PGSQL.5432"));

    /// <summary>The endpoint's own host, and the shared port naming it by options=endpoint=.</summary>
    private NpgsqlConnection[] EveryWayTo(string host, string uid, string password, string user = ProxyClient.User) =>
    [
        Client.Connection(host, password, user),
        Client.Connection("127.0.0.1", password, user, port: Server.Info.ProxyPort, options: $"endpoint={uid}"),
    ];

    [Fact]
    public async Task A_credential_issued_before_its_project_was_deleted_neither_wakes_nor_queries_it()
    {
        var (endpoint, host) = await Client.NewProjectAsync();
        var uid = await UidAsync(endpoint);
        var token = await Client.TokenAsync(endpoint);
        await using (var before = Client.Connection(host, token)) await before.OpenAsync();

        await Server.RunAsync(HttpMethod.Delete, ProjectOf(endpoint));

        foreach (var connection in EveryWayTo(host, uid, token))
        {
            await using var after = connection;
            var error = await Assert.ThrowsAsync<PostgresException>(() => after.OpenAsync());
            Assert.Equal("3D000", error.SqlState);
            Assert.Contains("not found", error.MessageText);
        }
        Assert.False(ComputeRuns(uid), "a login to a deleted project woke its compute");
    }

    [Fact]
    public async Task A_password_for_a_deleted_native_login_project_does_not_wake_its_compute()
    {
        var (endpoint, host) = await Client.NewProjectAsync(new { enable_pg_native_login = true });
        var uid = await UidAsync(endpoint);
        await Server.RunAsync(HttpMethod.Delete, ProjectOf(endpoint));

        foreach (var connection in EveryWayTo(host, uid, "any password at all", user: "app_user"))
        {
            await using var attempt = connection;
            var error = await Assert.ThrowsAsync<PostgresException>(() => attempt.OpenAsync());
            Assert.Equal("3D000", error.SqlState);
        }
        Assert.False(ComputeRuns(uid), "a password for a deleted project woke its compute");
    }

    [Fact]
    public async Task A_credential_for_a_deleted_branch_or_a_disabled_endpoint_is_refused_with_the_services_errors()
    {
        var (production, _) = await Client.NewProjectAsync();
        var project = ProjectOf(production);
        await Server.RunAsync(HttpMethod.Post, $"{project}/branches?branch_id=dev", new { spec = new { source_branch = $"{project}/branches/production", no_expiry = true } });
        var dev = $"{project}/branches/dev/endpoints/primary";
        var devEndpoint = await Server.GetAsync(dev);
        var (devUid, devHost) = (devEndpoint["uid"]!.GetValue<string>(), devEndpoint["status"]!["hosts"]!["host"]!.GetValue<string>());
        var devToken = await Client.TokenAsync(dev);
        var (other, otherHost) = await Client.NewProjectAsync();
        var otherUid = await UidAsync(other);
        var otherToken = await Client.TokenAsync(other);

        await Server.RunAsync(HttpMethod.Delete, $"{project}/branches/dev");
        await Server.RunAsync(HttpMethod.Patch, $"{other}?update_mask=spec.disabled", new { spec = new { disabled = true } });

        foreach (var (connection, sqlState) in EveryWayTo(devHost, devUid, devToken).Select(c => (c, "3D000"))
            .Concat(EveryWayTo(otherHost, otherUid, otherToken).Select(c => (c, "08004"))))
        {
            await using var attempt = connection;
            Assert.Equal(sqlState, (await Assert.ThrowsAsync<PostgresException>(() => attempt.OpenAsync())).SqlState);
        }
        Assert.False(ComputeRuns(devUid));
        Assert.False(ComputeRuns(otherUid));
    }

    [Fact]
    public async Task Only_a_name_that_routes_to_an_endpoint_gets_a_certificate_of_its_own()
    {
        var (endpoint, _) = await Client.NewProjectAsync();
        var uid = await UidAsync(endpoint);

        async Task<string> CertificateNameAsync(string? serverName)
        {
            using var socket = await Wire.ConnectAsync(IPAddress.Loopback, Server.Info.ProxyPort);
            await using var tls = await Wire.StartTlsAsync(new NetworkStream(socket, ownsSocket: false), serverName, CancellationToken.None);
            return tls.RemoteCertificate!.Subject;
        }

        Assert.Equal($"CN={uid}.lakebase.local", await CertificateNameAsync($"{uid}.lakebase.local"));
        Assert.Equal("CN=127.0.0.1", await CertificateNameAsync(null));
        foreach (var name in new[] { "attacker-chosen-name.example", "ep-doesnotexist99.lakebase.local", $"{uid}x.lakebase.local" })
            Assert.Equal("CN=127.0.0.1", await CertificateNameAsync(name));
    }

    /// <summary>One way to reach an endpoint: an address and port, the TLS server name sent (none for an address),
    /// and the startup options.</summary>
    private sealed record Route(string Host, int Port, string? ServerName, string? Options)
    {
        public override string ToString() => $"{Host}:{Port} sni={ServerName ?? "-"} options={Options ?? "-"}";
    }

    /// <summary>Opens a session by <paramref name="route"/> and returns the route_marker of the database it reached.</summary>
    private async Task<string> MarkerViaAsync(Route route, string password, string user = ProxyClient.User)
    {
        var builder = new NpgsqlDataSourceBuilder(Client.Connection(route.Host, password, user, route.Port, route.Options).ConnectionString);
        if (route.ServerName is { } serverName) builder.UseSslClientAuthenticationOptionsCallback(options => options.TargetHost = serverName);
        await using var dataSource = builder.Build();
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var command = new NpgsqlCommand("SELECT name FROM route_marker", connection);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    private async Task MarkAsync(string endpoint, string name) =>
        await Server.ExecuteAsync(endpoint, $"CREATE TABLE route_marker AS SELECT '{name}'::text AS name; GRANT SELECT ON route_marker TO PUBLIC");

    [Fact]
    public async Task Every_route_reaches_a_compute_only_with_a_valid_credential_for_that_endpoint_or_the_roles_own_password()
    {
        var (a, aHost) = await Client.NewProjectAsync();
        var (b, bHost) = await Client.NewProjectAsync();
        var (native, nativeHost) = await Client.NewProjectAsync(new { enable_pg_native_login = true, default_endpoint_settings = new { suspend_timeout_duration = "86400s" } });
        var (aUid, nativeUid) = (await UidAsync(a), await UidAsync(native));
        await MarkAsync(a, "a");
        await MarkAsync(native, "native");
        await Server.RunAsync(HttpMethod.Post, $"{ProjectOf(native)}/branches/production/roles?role_id=app-user",
            new { spec = new { postgres_role = "app_user", auth_method = "PG_PASSWORD_SCRAM_SHA_256" } });
        await Server.ExecuteAsync(native, "ALTER ROLE app_user PASSWORD 'correct horse battery'");

        var shared = Server.Info.ProxyPort;
        Route[] RoutesTo(string host, string uid, string otherHost) =>
        [
            new(host, 5432, null, null),
            new(host, 5432, null, $"endpoint={uid}"),
            new(otherHost, 5432, null, $"endpoint={uid}"),
            new("127.0.0.1", shared, null, $"endpoint={uid}"),
            new("127.0.0.1", shared, $"{uid}.lakebase.local", null),
            new("127.0.0.1", shared, $"{uid}.lakebase.local", $"-c endpoint={uid}"),
        ];
        var token = await Client.TokenAsync(a);
        var expired = await Client.TokenAsync(a, ttl: "1s");
        var forB = await Client.TokenAsync(b);
        var forNative = await Client.TokenAsync(native);
        var tampered = token[..^2] + (token[^2] == 'A' ? 'B' : 'A') + token[^1];
        await Task.Delay(TimeSpan.FromSeconds(1.5));

        foreach (var route in RoutesTo(aHost, aUid, bHost))
        {
            Assert.Equal("a", await MarkerViaAsync(route, token));
            foreach (var (password, user) in new[]
            {
                ("not-a-token", ProxyClient.User), (expired, ProxyClient.User), (forB, ProxyClient.User), (forNative, ProxyClient.User),
                (tampered, ProxyClient.User), (token, "someone-else@lakebase.local"), ("correct horse battery", "app_user"),
            })
            {
                var error = await Assert.ThrowsAsync<PostgresException>(() => MarkerViaAsync(route, password, user));
                Assert.True(error.SqlState is "28P01" or "28000", $"{route}: {error.SqlState} {error.MessageText}");
            }
        }
        foreach (var route in RoutesTo(nativeHost, nativeUid, aHost))
        {
            Assert.Equal("native", await MarkerViaAsync(route, "correct horse battery", "app_user"));
            Assert.Equal("native", await MarkerViaAsync(route, forNative));
            foreach (var (password, user) in new[] { ("wrong horse battery", "app_user"), ("correct horse battery", "lakebase_admin"), (token, ProxyClient.User) })
            {
                var error = await Assert.ThrowsAsync<PostgresException>(() => MarkerViaAsync(route, password, user));
                Assert.True(error.SqlState is "28P01" or "28000", $"{route}: {error.SqlState} {error.MessageText}");
            }
        }

        // Nothing is reached without naming an endpoint, and addresses that are no endpoint's hold no listener.
        var unnamed = await Assert.ThrowsAsync<PostgresException>(() => MarkerViaAsync(new Route("127.0.0.1", shared, null, null), token));
        Assert.Equal("3D000", unnamed.SqlState);
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => MarkerViaAsync(new Route("127.254.254.253", 5432, null, null), token));
    }
}
