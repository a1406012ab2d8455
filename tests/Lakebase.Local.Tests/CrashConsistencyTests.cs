using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Xunit;

namespace Lakebase.Local.Tests;

/// <summary>What a restart after a kill -9 of Lakebase Local finds, and what it must do with it. Each test kills and
/// restarts the class's server.</summary>
public sealed class CrashConsistencyTests(SharedServer shared) : IClassFixture<SharedServer>
{
    private LocalServerProcess Server => shared.Server;

    [Fact]
    public async Task A_postmaster_pid_copied_into_an_unfinished_branch_is_never_signalled()
    {
        var branch = await NewProjectAsync("copied");
        var (data, pid) = await Server.PostmasterAsync(branch);
        await Server.CrashAsync();
        // What cp -a of a running parent leaves in a staging folder when the server dies mid-copy.
        var copy = Path.Combine(Server.Root, "branches", ".tmp-br-copied" + Guid.NewGuid().ToString("N")[..6], "pgdata");
        Directory.CreateDirectory(copy);
        File.Copy(Path.Combine(data, "postmaster.pid"), Path.Combine(copy, "postmaster.pid"));

        await Server.RestartAsync();

        Assert.True(Directory.Exists($"/proc/{pid}"), "the parent's postmaster was stopped");
        Assert.Equal(pid, (await Server.PostmasterAsync(branch)).Pid);
        Assert.Equal(1, await Server.QueryAsync<int>($"{branch}/endpoints/primary", "SELECT 1"));
        Assert.False(Directory.Exists(Path.GetDirectoryName(copy)));
    }

    [Fact]
    public async Task A_process_of_the_killed_server_still_writing_into_a_staging_folder_is_stopped_and_the_folder_removed()
    {
        await Server.CrashAsync();
        var staging = Path.Combine(Server.Root, "branches", ".tmp-br-writer" + Guid.NewGuid().ToString("N")[..6]);
        var wal = Path.Combine(staging, "pgdata", "pg_wal");
        Directory.CreateDirectory(wal);
        // Stands in for the cp of a branch copy that outlived the server that started it.
        using var writer = Process.Start("sh", ["-c", $"while :; do echo x > '{wal}'/f$$-$RANDOM; done"]);

        await Server.RestartAsync();

        using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await writer.WaitForExitAsync(bound.Token);
        Assert.False(Directory.Exists(staging));
        Assert.Contains(await Server.RepairsAsync(), repair => repair.Contains(wal, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_base_snapshot_the_killed_server_left_unfinished_is_removed_and_the_history_still_restores()
    {
        var branch = await NewProjectAsync("snapshotting");
        var uid = (await Server.GetAsync(branch))["uid"]!.GetValue<string>();
        await Server.CrashAsync();
        // What a snapshot's copy leaves when the server dies under it: a staging folder beside the finished snapshots.
        var staging = Path.Combine(Server.Root, "branches", uid, "base_snapshots", ".tmp-20261202T0000000000000");
        Directory.CreateDirectory(Path.Combine(staging, "pgdata", "base"));
        await File.WriteAllBytesAsync(Path.Combine(staging, "pgdata", "base", "16384"), new byte[1 << 20]);

        await Server.RestartAsync();

        Assert.False(Directory.Exists(staging));
        Assert.Contains(await Server.RepairsAsync(), repair => repair.Contains(staging, StringComparison.Ordinal));
        var project = branch.Split('/')[1];
        await Server.RunAsync(HttpMethod.Post, $"projects/{project}/branches?branch_id=restored",
            new { spec = new { source_branch = branch, source_branch_time = DateTimeOffset.UtcNow.ToString("O"), no_expiry = true } });
        Assert.Equal(1, await Server.QueryAsync<int>($"projects/{project}/branches/restored/endpoints/primary", "SELECT 1"));
    }

    [Fact]
    public async Task A_deleted_branch_whose_files_the_kill_left_in_the_trash_is_deleted_at_the_next_start()
    {
        var branch = await NewProjectAsync("trashed");
        var project = branch.Split('/')[1];
        var uid = (await Server.GetAsync(branch))["uid"]!.GetValue<string>();
        await Server.RunAsync(HttpMethod.Delete, $"projects/{project}?purge=true");
        Assert.False(Directory.Exists(Path.Combine(Server.Root, "branches", uid)));
        await Server.CrashAsync();
        // What a background delete leaves when the server dies under it.
        var trashed = Path.Combine(Server.Root, "trash", uid + "-cut-short", "pgdata", "base");
        Directory.CreateDirectory(trashed);
        await File.WriteAllBytesAsync(Path.Combine(trashed, "16384"), new byte[1 << 20]);

        await Server.RestartAsync();

        await Poll.UntilAsync(() => !Directory.Exists(Path.Combine(Server.Root, "trash", uid + "-cut-short")), TimeSpan.FromMinutes(1),
            () => "The start left the deleted branch's files in the trash.");
    }

    [Fact]
    public async Task A_file_in_the_trash_that_cannot_be_deleted_does_not_keep_the_server_from_starting()
    {
        await Server.CrashAsync();
        var stuck = Path.Combine(Server.Root, "trash", "stuck-" + Guid.NewGuid().ToString("N"), "pgdata", "PG_VERSION");
        Directory.CreateDirectory(Path.GetDirectoryName(stuck)!);
        await File.WriteAllTextAsync(stuck, "17");
        // One the file system refuses to delete.
        await Immutable.SetAsync(stuck, true);
        try
        {
            await Server.RestartAsync();

            var branch = await NewProjectAsync("after-stuck");
            Assert.Equal(1, await Server.QueryAsync<int>($"{branch}/endpoints/primary", "SELECT 1"));
            Assert.True(File.Exists(stuck));
        }
        finally
        {
            await Immutable.SetAsync(stuck, false);
        }
    }

    [Fact]
    public async Task Data_no_metadata_refers_to_is_moved_to_quarantine_not_deleted()
    {
        await Server.CrashAsync();
        var unknown = "br-unknown" + Guid.NewGuid().ToString("N")[..6];
        var data = Path.Combine(Server.Root, "branches", unknown, "pgdata");
        Directory.CreateDirectory(data);
        await File.WriteAllTextAsync(Path.Combine(data, "PG_VERSION"), "15\n");

        await Server.RestartAsync();

        Assert.False(Directory.Exists(Path.Combine(Server.Root, "branches", unknown)));
        var kept = Assert.Single(Directory.EnumerateDirectories(Path.Combine(Server.Root, "quarantine"), "*" + unknown));
        Assert.Equal("15\n", await File.ReadAllTextAsync(Path.Combine(kept, "pgdata", "PG_VERSION")));
        Assert.Contains(await Server.RepairsAsync(), repair => repair.Contains(unknown, StringComparison.Ordinal) && repair.Contains("quarantine", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_compute_still_starting_is_adopted_and_holds_clients_until_ready_instead_of_starting_twice()
    {
        var branch = await NewProjectAsync("starting");
        var endpoint = $"{branch}/endpoints/primary";
        var (data, pid) = await Server.PostmasterAsync(branch);
        await Server.CrashAsync();
        // The pid file of a postmaster in crash recovery: alive, not ready yet.
        var pidFile = Path.Combine(data, "postmaster.pid");
        await SetPostmasterStatusAsync(pidFile, "starting");

        await Server.RestartAsync();

        Assert.True(await Server.IsComputeRunningAsync(endpoint));
        var client = new ProxyClient(Server);
        var host = (await Server.GetAsync(endpoint))["status"]!["hosts"]!["host"]!.GetValue<string>();
        var opening = client.OpenAsync(endpoint, host);
        await SetPostmasterStatusAsync(pidFile, "ready   ");
        await using var connection = await opening;
        await using var command = new Npgsql.NpgsqlCommand("SELECT 1", connection);
        Assert.Equal(1, await command.ExecuteScalarAsync());
        Assert.Equal(pid, (await Server.PostmasterAsync(branch)).Pid);
    }

    [Fact]
    public async Task Interrupted_role_operations_settle_by_what_PostgreSQL_holds()
    {
        var branch = await NewProjectAsync("roles");
        await Server.RunAsync(HttpMethod.Post, $"{branch}/roles?role_id=dropped", new { spec = new { postgres_role = "dropped_role" } });
        await Server.RunAsync(HttpMethod.Post, $"{branch}/roles?role_id=made", new { spec = new { postgres_role = "made_role" } });
        // The server dies after DROP ROLE committed, and after CREATE ROLE committed, before either was recorded.
        await Server.ExecuteAsync($"{branch}/endpoints/primary", "DROP ROLE dropped_role");
        await Server.CrashAsync();
        var delete = await RecordUnfinishedOperationAsync($"{branch}/roles/dropped", "Delete");
        var create = await RecordUnfinishedOperationAsync($"{branch}/roles/made", "Create");

        await Server.RestartAsync();

        foreach (var operation in new[] { delete, create })
        {
            var settled = await Server.GetAsync(operation);
            Assert.True(settled["done"]!.GetValue<bool>());
            Assert.Null(settled["error"]);
        }
        var missing = await Assert.ThrowsAsync<ApiCallException>(() => Server.GetAsync($"{branch}/roles/dropped"));
        Assert.Equal(404, missing.Status);
        Assert.Equal("made_role", (await Server.GetAsync($"{branch}/roles/made"))["status"]!["postgres_role"]!.GetValue<string>());
        Assert.Contains(await Server.RepairsAsync(), repair => repair.Contains($"{branch}/roles/dropped", StringComparison.Ordinal));
    }

    /// <summary>A reset the server was killed in after it moved a child of a protected branch onto a copy of its parent
    /// (the branch RESETTING, the copy still holding the parent's passwords) is finished by the next start before it
    /// takes a session: the child's roles get new passwords, and the branch is ready again.</summary>
    [Fact]
    public async Task A_reset_of_a_child_of_a_protected_branch_cut_short_is_finished_at_start_without_its_parents_passwords()
    {
        var client = new ProxyClient(Server);
        var (project, endpoint, host) = await client.NewProtectedProjectAsync("app_user", "production secret 1");
        await Server.RunAsync(HttpMethod.Post, $"{project}/branches?branch_id=dev", new { spec = new { no_expiry = true } });
        var dev = $"{project}/branches/dev";
        var devHost = (await Server.GetAsync($"{dev}/endpoints/primary"))["status"]!["hosts"]!["host"]!.GetValue<string>();
        // What the reset's copy holds until it gives the child its passwords: the parent's.
        await client.SetPasswordAsync($"{dev}/endpoints/primary", devHost, "app_user", "production secret 1");
        await Server.CrashAsync();
        await using (var state = new SqliteConnection($"Data Source={Path.Combine(Server.Root, "state.db")};Pooling=False"))
        {
            await state.OpenAsync();
            await using var resetting = new SqliteCommand("UPDATE resources SET body = json_set(body, '$.status.current_state', 'RESETTING') WHERE name = $name", state);
            resetting.Parameters.AddWithValue("$name", dev);
            Assert.Equal(1, await resetting.ExecuteNonQueryAsync());
        }
        await RecordUnfinishedOperationAsync(dev, "Update");

        await Server.RestartAsync();

        Assert.Equal("28P01", await client.LoginErrorAsync(devHost, "app_user", "production secret 1"));
        Assert.Null(await client.LoginErrorAsync(host, "app_user", "production secret 1"));
        Assert.Equal("READY", (await Server.GetAsync(dev))["status"]!["current_state"]!.GetValue<string>());
        Assert.Contains(await Server.RepairsAsync(), repair => repair.Contains($"interrupted reset of {dev}", StringComparison.Ordinal));
    }

    private async Task<string> NewProjectAsync(string prefix)
    {
        var id = SharedServer.NewId(prefix);
        await Server.CreateProjectAsync(id, new { default_endpoint_settings = new { suspend_timeout_duration = "86400s" } });
        return $"projects/{id}/branches/production";
    }

    /// <summary>Line 8 of postmaster.pid, rewritten at the same length as PostgreSQL writes it.</summary>
    private static async Task SetPostmasterStatusAsync(string pidFile, string status)
    {
        var lines = await File.ReadAllLinesAsync(pidFile);
        lines[7] = status;
        await File.WriteAllLinesAsync(pidFile, lines);
    }

    /// <summary>An operation as the server records it when it starts one, never finished: what a kill -9 leaves.</summary>
    private async Task<string> RecordUnfinishedOperationAsync(string target, string verb)
    {
        var name = $"{target}/operations/{Guid.NewGuid():N}";
        await using var state = new SqliteConnection($"Data Source={Path.Combine(Server.Root, "state.db")};Pooling=False");
        await state.OpenAsync();
        await using var insert = new SqliteCommand("INSERT INTO operations (name, verb, done, body) VALUES ($name, $verb, 0, $body)", state);
        insert.Parameters.AddWithValue("$name", name);
        insert.Parameters.AddWithValue("$verb", verb);
        insert.Parameters.AddWithValue("$body", $$"""{"name":"{{name}}","done":false}""");
        await insert.ExecuteNonQueryAsync();
        return name;
    }
}
