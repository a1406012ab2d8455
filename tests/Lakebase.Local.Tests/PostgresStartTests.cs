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
        var (account, binaries, data, socket) = await InitClusterAsync();
        // Archive recovery whose restore_command takes a second per file: the postmaster stays "starting" for seconds.
        await File.AppendAllTextAsync(Path.Combine(data, "postgresql.conf"), "restore_command = 'sleep 1; false'\n");
        await account.WriteOwnedFileAsync(Path.Combine(data, "recovery.signal"), "", CancellationToken.None);

        var starting = PostgresProcess.StartAsync(binaries, account, data, socket, TimeSpan.FromMinutes(2), CancellationToken.None);
        var refusal = await KnockUntilTurnedAwayAsync(socket, starting);

        Assert.Equal(PostgresErrorCodes.CannotConnectNow, refusal.SqlState);
        _postgres = await starting;
        Assert.Equal(42, await QueryAsync(socket, "SELECT 42"));
    }

    /// <summary>
    /// A postmaster killed with -9 leaves its children behind, and a backend busy in a query does not notice its
    /// postmaster's death until it next waits: it stays attached to the old shared memory, and PostgreSQL refuses to
    /// start on the directory while it is ("pre-existing shared memory block is still in use"). The chaos run hit
    /// this: a compute killed mid-query failed to wake with 57P03. The start stops such leftovers first.
    /// </summary>
    [Fact]
    public async Task A_postmaster_killed_while_a_backend_is_busy_starts_again()
    {
        var (account, binaries, data, socket) = await InitClusterAsync();
        var killed = await PostgresProcess.StartAsync(binaries, account, data, socket, TimeSpan.FromMinutes(2), CancellationToken.None);
        // Not disposed on failure: closing waits for the busy command, which a left-behind backend never ends.
        var busy = new NpgsqlConnection(Connection(socket));
        await busy.OpenAsync();
        var busyPid = busy.ProcessID;
        _ = new NpgsqlCommand("DO $$ BEGIN LOOP END LOOP; END $$", busy) { CommandTimeout = 0 }.ExecuteNonQueryAsync();
        while (await QueryAsync(socket, "SELECT count(*)::int FROM pg_stat_activity WHERE pid = $1 AND state = 'active'", busyPid) is not 1)
            await Task.Delay(10);

        Assert.True(Posix.Signal(killed.Pid, Posix.SigKill));
        while (Posix.IsAlive(killed.Pid)) await Task.Delay(10);
        Assert.True(Posix.IsAlive(busyPid), "The busy backend exited with its postmaster; the test needs it left behind.");

        _postgres = await PostgresProcess.StartAsync(binaries, account, data, socket, TimeSpan.FromMinutes(2), CancellationToken.None);
        Assert.Equal(42, await QueryAsync(socket, "SELECT 42"));
        Assert.False(Posix.IsAlive(busyPid));
        await busy.DisposeAsync();
    }

    /// <summary>A fresh cluster in the test's root, listening only on its own socket directory.</summary>
    private async Task<(ServiceAccount Account, PostgresBinaries Binaries, string Data, string Socket)> InitClusterAsync()
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
        await File.AppendAllTextAsync(Path.Combine(data, "postgresql.conf"), $"\nlisten_addresses = ''\nunix_socket_directories = '{socket}'\n");
        return (account, binaries, data, socket);
    }

    private static string Connection(string socket) => $"Host={socket};Username=admin;Database=postgres;Pooling=false";

    private static async Task<object?> QueryAsync(string socket, string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(Connection(socket));
        await connection.OpenAsync();
        await using var query = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters) query.Parameters.Add(new NpgsqlParameter { Value = parameter });
        return await query.ExecuteScalarAsync();
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
                    await using var knock = new NpgsqlConnection(Connection(socket));
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
