using Lakebase.Contract.Local;
using Lakebase.Local.Platform;
using Lakebase.Local.Postgres;
using Npgsql;
using Xunit;

namespace Lakebase.Local.Tests;

/// <summary>
/// A start that takes a while (crash recovery, a restore): clients that knock meanwhile are turned away with
/// "the database system is starting up", and PostgreSQL logs that as a FATAL line of their session. The start waits
/// for the postmaster instead of taking a client's FATAL for its own failure (the chaos run hit this: a compute
/// restarted in recovery failed to start with 57P03).
/// </summary>
public sealed class PostgresStartTests : IAsyncLifetime
{
    private readonly string _root = LocalServerProcess.NewRoot();
    private PostgresProcess? _postgres;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_postgres is not null) await _postgres.StopAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
        else await PostgresProcess.KillAsync(Path.Combine(_root, "compute", "pgdata"));
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task A_client_turned_away_while_the_postmaster_starts_does_not_fail_the_start()
    {
        var account = await ServiceAccount.ResolveAsync(CancellationToken.None);
        var binaries = PostgresInstallation.Discover(null).Get(17);
        var home = Path.Combine(_root, "compute");
        account.CreateOwnedDirectory(home);
        var data = Path.Combine(home, "pgdata");
        await CommandRunner.RunCheckedAsync(account.Wrap([binaries.Tool("initdb"), "-D", data, "-U", "admin", "-A", "trust",
            "--no-sync", "--no-instructions"]), CancellationToken.None);
        var socket = Path.Combine(_root, "socket");
        account.CreateOwnedDirectory(socket);
        // Archive recovery whose restore_command takes a second per file: the postmaster stays "starting" for seconds.
        await File.AppendAllTextAsync(Path.Combine(data, "postgresql.conf"),
            $"\nlisten_addresses = ''\nunix_socket_directories = '{socket}'\nrestore_command = 'sleep 1; false'\n");
        await account.WriteOwnedFileAsync(Path.Combine(data, "recovery.signal"), "", CancellationToken.None);

        var starting = PostgresProcess.StartAsync(binaries, account, data, socket, TimeSpan.FromMinutes(2), CancellationToken.None);
        var refusal = await KnockUntilTurnedAwayAsync(socket, starting);

        Assert.Equal(PostgresErrorCodes.CannotConnectNow, refusal.SqlState);
        _postgres = await starting;
        await using var connection = new NpgsqlConnection($"Host={socket};Username=admin;Database=postgres;Pooling=false");
        await connection.OpenAsync();
        await using var query = new NpgsqlCommand("SELECT 42", connection);
        Assert.Equal(42, await query.ExecuteScalarAsync());
    }

    /// <summary>Connects as soon as the socket exists, as any client could, until the postmaster turns it away.</summary>
    private static async Task<PostgresException> KnockUntilTurnedAwayAsync(string socket, Task starting)
    {
        while (true)
        {
            Assert.False(starting.IsCompleted, "The postmaster was up (or failed) before a client could knock.");
            if (File.Exists(Path.Combine(socket, ".s.PGSQL.5432")))
            {
                try
                {
                    await using var knock = new NpgsqlConnection($"Host={socket};Username=admin;Database=postgres;Pooling=false");
                    await knock.OpenAsync();
                    Assert.Fail("The postmaster accepted the client before it finished starting.");
                }
                catch (PostgresException refused)
                {
                    return refused;
                }
                catch (NpgsqlException)
                {
                    // The socket is there but not yet listening.
                }
            }
            await Task.Delay(5);
        }
    }
}
