using System.Net.Sockets;
using Npgsql;
using Xunit;

namespace Lakebase.Local.Tests;

/// <summary>A server whose session limits are seconds instead of a day and three days. The handshake's bound leaves
/// room for a pooled session's first login, which starts the endpoint's PgBouncer, on a busy machine.</summary>
public sealed class ShortSessionLimitsServer : IAsyncLifetime
{
    public LocalServerProcess Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await LocalServerProcess.StartAsync(
        "--handshake-timeout", "10", "--idle-session-timeout", "2", "--max-session-duration", "5");

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

public sealed class SessionLimitsTests(ShortSessionLimitsServer shared) : IClassFixture<ShortSessionLimitsServer>
{
    private ProxyClient Client => new(shared.Server);

    [Fact]
    public async Task An_idle_session_is_closed_with_57P05()
    {
        var (endpoint, host) = await Client.NewProjectAsync();
        await using var connection = await Client.OpenAsync(endpoint, host);
        await Task.Delay(TimeSpan.FromSeconds(4));

        await using var command = new NpgsqlCommand("SELECT 1", connection);
        var error = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteScalarAsync());
        Assert.Equal("57P05", error.SqlState);
    }

    [Fact]
    public async Task A_busy_session_is_closed_at_the_maximum_duration_with_57P01()
    {
        var (endpoint, host) = await Client.NewProjectAsync();
        await using var connection = await Client.OpenAsync(endpoint, host);

        await using var command = new NpgsqlCommand("SELECT pg_sleep(60)", connection) { CommandTimeout = 120 };
        var error = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());
        Assert.Equal("57P01", error.SqlState);
        await using var again = await Client.OpenAsync(endpoint, host);
    }

    [Fact]
    public async Task A_pooled_session_idle_past_the_limit_is_closed_by_its_pooler()
    {
        var (endpoint, _) = await Client.NewProjectAsync();
        await using var connection = Client.Connection(await Client.PooledHostAsync(endpoint), await Client.TokenAsync(endpoint));
        await connection.OpenAsync();
        await Task.Delay(TimeSpan.FromSeconds(4));

        await using var command = new NpgsqlCommand("SELECT 1", connection);
        var error = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteScalarAsync());
        Assert.Contains("client_idle_timeout", error.MessageText);
    }

    [Fact]
    public async Task A_busy_pooled_session_is_closed_at_the_maximum_duration()
    {
        var (endpoint, _) = await Client.NewProjectAsync();
        var pooledHost = await Client.PooledHostAsync(endpoint);
        await using var connection = Client.Connection(pooledHost, await Client.TokenAsync(endpoint));
        await connection.OpenAsync();

        // A pooled session has no backend of its own to terminate: the proxy closes the client's connection.
        await using var command = new NpgsqlCommand("SELECT pg_sleep(30)", connection) { CommandTimeout = 120 };
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => command.ExecuteNonQueryAsync());
        Assert.Equal(System.Data.ConnectionState.Closed, connection.State);
        await using var again = Client.Connection(pooledHost, await Client.TokenAsync(endpoint));
        await again.OpenAsync();
    }

    [Fact]
    public async Task A_client_that_never_finishes_the_handshake_is_disconnected_and_others_are_not_disturbed()
    {
        var (endpoint, host) = await Client.NewProjectAsync();
        await using var healthy = await Client.OpenAsync(endpoint, host);

        using var silent = new TcpClient();
        await silent.ConnectAsync(host, 5432);
        using var halfStartup = new TcpClient();
        await halfStartup.ConnectAsync(host, 5432);
        await halfStartup.GetStream().WriteAsync(new byte[] { 0, 0, 0, 64, 0, 3, 0, 0 });

        await using (var command = new NpgsqlCommand("SELECT 1", healthy))
            Assert.Equal(1, await command.ExecuteScalarAsync());

        foreach (var stalled in new[] { silent, halfStartup })
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var closed = false;
            try { closed = await stalled.GetStream().ReadAsync(new byte[256], deadline.Token) == 0; }
            catch (IOException) { closed = true; }
            Assert.True(closed, "the proxy kept a stalled handshake open");
        }
        await using var another = await Client.OpenAsync(endpoint, host);
        await using var query = new NpgsqlCommand("SELECT 2", another);
        Assert.Equal(2, await query.ExecuteScalarAsync());
    }
}
