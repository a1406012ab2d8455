using System.Diagnostics;
using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;
using Xunit;

namespace Lakebase.Local.Tests;

public sealed class PointInTimeTests(SharedServer shared) : IClassFixture<SharedServer>
{
    private LocalServerProcess Server => shared.Server;

    private static string Primary(string branch) => $"{branch}/endpoints/primary";

    /// <summary>About 40 MB of WAL, more than a branch of a few MB gets a snapshot at.</summary>
    private const string Burst = "CREATE TABLE scratch AS SELECT repeat(md5(g::text), 30) FROM generate_series(1, 40000) g; DROP TABLE scratch";

    /// <summary>Inserts the ids one commit at a time and notes, after each commit, the time and WAL position.</summary>
    private static async Task<List<(DateTimeOffset Time, NpgsqlLogSequenceNumber Lsn)>> WriteRowsAsync(NpgsqlConnection connection, string table, params int[] ids)
    {
        var marks = new List<(DateTimeOffset, NpgsqlLogSequenceNumber)>();
        foreach (var id in ids)
        {
            await using (var insert = new NpgsqlCommand($"INSERT INTO {table} VALUES ({id})", connection)) await insert.ExecuteNonQueryAsync();
            await using var mark = new NpgsqlCommand("SELECT clock_timestamp(), pg_current_wal_lsn()", connection);
            await using var reader = await mark.ExecuteReaderAsync();
            await reader.ReadAsync();
            marks.Add((reader.GetFieldValue<DateTimeOffset>(0), reader.GetFieldValue<NpgsqlLogSequenceNumber>(1)));
            await Task.Delay(20);
        }
        return marks;
    }

    private async Task<int[]> IdsAsync(string branch, string table, LocalServerProcess? server = null)
    {
        await using var connection = await (server ?? Server).ConnectAsync(Primary(branch));
        await using var command = new NpgsqlCommand($"SELECT coalesce(array_agg(id ORDER BY id), '{{}}') FROM {table}", connection);
        return (int[])(await command.ExecuteScalarAsync())!;
    }

    private Task<JsonObject> BranchAsync(string project, string branchId, object spec, LocalServerProcess? server = null) =>
        (server ?? Server).RunAsync(HttpMethod.Post, $"projects/{project}/branches?branch_id={branchId}", new { spec });

    [Fact]
    public async Task A_branch_at_a_past_time_or_LSN_holds_exactly_the_rows_committed_by_then_and_works_as_a_normal_branch()
    {
        var id = SharedServer.NewId("pitr");
        await Server.CreateProjectAsync(id);
        var production = $"projects/{id}/branches/production";
        List<(DateTimeOffset Time, NpgsqlLogSequenceNumber Lsn)> marks;
        await using (var connection = await Server.ConnectAsync(Primary(production)))
        {
            await using (var create = new NpgsqlCommand("CREATE TABLE orders (id int)", connection)) await create.ExecuteNonQueryAsync();
            marks = await WriteRowsAsync(connection, "orders", 1, 2, 3, 4);
        }

        var atTime = await BranchAsync(id, "at-two", new { source_branch = production, source_branch_time = marks[1].Time.ToString("O"), no_expiry = true });
        Assert.Equal(new[] { 1, 2 }, await IdsAsync($"projects/{id}/branches/at-two", "orders"));
        Assert.Equal(marks[1].Time, DateTimeOffset.Parse(atTime["status"]!["source_branch_time"]!.GetValue<string>()));
        Assert.Equal(production, atTime["status"]!["source_branch"]!.GetValue<string>());
        var fork = NpgsqlLogSequenceNumber.Parse(atTime["status"]!["source_branch_lsn"]!.GetValue<string>());
        Assert.InRange((ulong)fork, (ulong)marks[1].Lsn, (ulong)marks[2].Lsn);

        await BranchAsync(id, "at-three", new { source_branch = production, source_branch_lsn = marks[2].Lsn.ToString(), no_expiry = true });
        Assert.Equal(new[] { 1, 2, 3 }, await IdsAsync($"projects/{id}/branches/at-three", "orders"));
        Assert.Equal(new[] { 1, 2, 3, 4 }, await IdsAsync(production, "orders"));

        // The restored branch has a history of its own on its own timeline: write to it, then branch it at a time in between.
        var restored = $"projects/{id}/branches/at-two";
        await using (var connection = await Server.ConnectAsync(Primary(restored)))
            marks = await WriteRowsAsync(connection, "orders", 100, 101);
        await BranchAsync(id, "at-two-then-100", new { source_branch = restored, source_branch_time = marks[0].Time.ToString("O"), no_expiry = true });
        Assert.Equal(new[] { 1, 2, 100 }, await IdsAsync($"projects/{id}/branches/at-two-then-100", "orders"));
        await BranchAsync(id, "from-head", new { source_branch = restored, no_expiry = true });
        Assert.Equal(new[] { 1, 2, 100, 101 }, await IdsAsync($"projects/{id}/branches/from-head", "orders"));
    }

    /// <summary>A branch's history starts when it is made: a moment right after, before it wrote anything, holds
    /// what it was made with, never its source's later writes, also two generations down through a restored branch
    /// on a timeline of its own.</summary>
    [Fact]
    public async Task A_branch_at_a_moment_right_after_a_childs_creation_from_the_child_holds_the_child_as_it_was_made()
    {
        var id = SharedServer.NewId("pitr");
        await Server.CreateProjectAsync(id);
        var production = $"projects/{id}/branches/production";
        await using (var connection = await Server.ConnectAsync(Primary(production)))
        {
            // 40 MB of WAL the copy must not take along: a scratch table filled and dropped.
            await using (var create = new NpgsqlCommand("CREATE TABLE orders (id int); CREATE TABLE scratch AS SELECT repeat(md5(g::text), 30) " +
                "FROM generate_series(1, 40000) g; DROP TABLE scratch", connection)) await create.ExecuteNonQueryAsync();
            await WriteRowsAsync(connection, "orders", 1, 2);
        }
        var beforeCopy = (await Server.QueryAsync<string>(Primary(production), "SELECT pg_walfile_name(pg_current_wal_lsn())"))!;
        var child = $"projects/{id}/branches/child";
        var childUid = (await BranchAsync(id, "child", new { source_branch = production, no_expiry = true }))["uid"]!.GetValue<string>();
        var afterCreation = DateTimeOffset.UtcNow;
        string[] Segments(string uid) => Directory.GetFiles(Path.Combine(Server.Root, "branches", uid, "pgdata", "pg_wal"), "????????????????????????")
            .Select(path => Path.GetFileName(path)).ToArray();
        Assert.True(Segments((await Server.GetAsync(production))["uid"]!.GetValue<string>()).Length > 2, "The source keeps its recycled WAL segments.");
        // The copy holds only WAL from its backup's start on (a snapshot of the source taken meanwhile may stretch
        // that by a segment), none of what was written before it.
        Assert.All(Segments(childUid), segment => Assert.True(string.CompareOrdinal(segment[8..], beforeCopy[8..]) >= 0, $"{segment} is from before the copy ({beforeCopy})."));
        Assert.InRange(Segments(childUid).Length, 1, 3);
        // Its first base snapshot is no second copy: every file in it is a name of one in its source's history.
        var snapshot = Assert.Single(Directory.GetDirectories(Path.Combine(Server.Root, "branches", childUid, "base_snapshots")));
        Assert.Empty(await FilesWithOneNameAsync(snapshot));
        await using (var connection = await Server.ConnectAsync(Primary(production))) await WriteRowsAsync(connection, "orders", 3);
        List<(DateTimeOffset Time, NpgsqlLogSequenceNumber Lsn)> marks;
        await using (var connection = await Server.ConnectAsync(Primary(child))) marks = await WriteRowsAsync(connection, "orders", 10, 11);

        await BranchAsync(id, "child-as-made", new { source_branch = child, source_branch_time = afterCreation.ToString("O"), no_expiry = true });
        Assert.Equal(new[] { 1, 2 }, await IdsAsync($"projects/{id}/branches/child-as-made", "orders"));
        await BranchAsync(id, "child-at-ten", new { source_branch = child, source_branch_time = marks[0].Time.ToString("O"), no_expiry = true });
        Assert.Equal(new[] { 1, 2, 10 }, await IdsAsync($"projects/{id}/branches/child-at-ten", "orders"));

        // A branch of the restored branch (its own timeline), at a moment right after its creation.
        var restored = $"projects/{id}/branches/child-as-made";
        await using (var connection = await Server.ConnectAsync(Primary(restored))) await WriteRowsAsync(connection, "orders", 20);
        var grandchild = $"projects/{id}/branches/grandchild";
        await BranchAsync(id, "grandchild", new { source_branch = restored, no_expiry = true });
        afterCreation = DateTimeOffset.UtcNow;
        await using (var connection = await Server.ConnectAsync(Primary(restored))) await WriteRowsAsync(connection, "orders", 21);
        await using (var connection = await Server.ConnectAsync(Primary(grandchild))) await WriteRowsAsync(connection, "orders", 30);
        await BranchAsync(id, "grandchild-as-made", new { source_branch = grandchild, source_branch_time = afterCreation.ToString("O"), no_expiry = true });
        Assert.Equal(new[] { 1, 2, 20 }, await IdsAsync($"projects/{id}/branches/grandchild-as-made", "orders"));
        Assert.Equal(new[] { 1, 2, 20, 30 }, await IdsAsync(grandchild, "orders"));
    }

    /// <summary>A branch at a past moment lists the roles and databases its PostgreSQL holds: those of that moment,
    /// including ones deleted from the source since, with their settings read back from PostgreSQL.</summary>
    [Fact]
    public async Task A_branch_at_a_past_time_lists_the_roles_and_databases_of_that_moment_also_those_deleted_since()
    {
        var id = SharedServer.NewId("pitr");
        await Server.CreateProjectAsync(id);
        var production = $"projects/{id}/branches/production";
        var owner = (await Server.GetAsync($"{production}/roles"))["roles"]!.AsArray().Single()!["name"]!.GetValue<string>();
        await Server.RunAsync(HttpMethod.Post, $"{production}/roles?role_id=gone-role", new { spec = new { postgres_role = "gone_role", attributes = new { createdb = true } } });
        await Server.RunAsync(HttpMethod.Post, $"{production}/databases?database_id=gone-db", new { spec = new { postgres_database = "gone_db", role = owner } });
        await Server.RunAsync(HttpMethod.Post, $"{production}/roles?role_id=kept-role", new { spec = new { postgres_role = "kept_role" } });
        DateTimeOffset moment;
        await using (var connection = await Server.ConnectAsync(Primary(production)))
        {
            await using (var create = new NpgsqlCommand("CREATE TABLE orders (id int)", connection)) await create.ExecuteNonQueryAsync();
            moment = (await WriteRowsAsync(connection, "orders", 1))[0].Time;
        }
        await Server.RunAsync(HttpMethod.Delete, $"{production}/databases/gone-db");
        await Server.RunAsync(HttpMethod.Delete, $"{production}/roles/gone-role");

        var past = $"projects/{id}/branches/past";
        await BranchAsync(id, "past", new { source_branch = production, source_branch_time = moment.ToString("O"), no_expiry = true });
        var roles = (await Server.GetAsync($"{past}/roles"))["roles"]!.AsArray();
        Assert.Equal(new[] { "gone_role", "kept_role", ProxyClient.User }.Order(StringComparer.Ordinal),
            roles.Select(role => role!["status"]!["postgres_role"]!.GetValue<string>()).Order(StringComparer.Ordinal));
        var gone = roles.Single(role => role!["status"]!["postgres_role"]!.GetValue<string>() == "gone_role")!;
        Assert.True(gone["status"]!["attributes"]!["createdb"]!.GetValue<bool>());
        Assert.True(JsonNode.DeepEquals(gone, await Server.GetAsync(gone["name"]!.GetValue<string>())));
        var databases = (await Server.GetAsync($"{past}/databases"))["databases"]!.AsArray();
        var goneDb = Assert.Single(databases, database => database!["status"]!["postgres_database"]!.GetValue<string>() == "gone_db")!;
        Assert.Equal(owner.Replace(production, past), goneDb["status"]!["role"]!.GetValue<string>());
        Assert.Equal(new[] { 1 }, await IdsAsync(past, "orders"));
        // The source lists neither any more.
        Assert.DoesNotContain((await Server.GetAsync($"{production}/roles"))["roles"]!.AsArray(), role => role!["status"]!["postgres_role"]!.GetValue<string>() == "gone_role");
    }

    /// <summary>A branch that wrote more WAL than it holds data gets a new base snapshot in the background as soon as
    /// that WAL is written, not at a housekeeping round (held off here for an hour), so a restore after it replays about
    /// one data size of WAL instead of all of it; restores either side of it stay exact.</summary>
    [Fact]
    public async Task A_branch_that_wrote_more_WAL_than_it_holds_data_gets_a_new_base_snapshot_at_once_and_restores_stay_exact()
    {
        await using var server = await LocalServerProcess.StartAsync("--housekeeping-interval", "3600");
        var id = SharedServer.NewId("pitr");
        await server.CreateProjectAsync(id);
        var production = $"projects/{id}/branches/production";
        var branchDirectory = await BranchDirectoryAsync(server, production);
        Assert.Single(FinishedSnapshots(branchDirectory));
        List<(DateTimeOffset Time, NpgsqlLogSequenceNumber Lsn)> beforeSnapshot;
        await using (var connection = await server.ConnectAsync(Primary(production)))
        {
            // About 80 MB of WAL in a database of a few: a scratch table filled and dropped.
            await using (var create = new NpgsqlCommand("CREATE TABLE orders (id int); CREATE TABLE scratch AS SELECT repeat(md5(g::text), 30) " +
                "FROM generate_series(1, 80000) g; DROP TABLE scratch", connection)) await create.ExecuteNonQueryAsync();
            beforeSnapshot = await WriteRowsAsync(connection, "orders", 1);
        }
        await WaitForSnapshotsAsync(branchDirectory, 2, "no base snapshot was taken after the branch wrote more WAL than it holds data");
        List<(DateTimeOffset Time, NpgsqlLogSequenceNumber Lsn)> afterSnapshot;
        await using (var connection = await server.ConnectAsync(Primary(production))) afterSnapshot = await WriteRowsAsync(connection, "orders", 2, 3);

        await BranchAsync(id, "before-snapshot", new { source_branch = production, source_branch_time = beforeSnapshot[0].Time.ToString("O"), no_expiry = true }, server);
        Assert.Equal(new[] { 1 }, await IdsAsync($"projects/{id}/branches/before-snapshot", "orders", server));
        await BranchAsync(id, "after-snapshot", new { source_branch = production, source_branch_time = afterSnapshot[0].Time.ToString("O"), no_expiry = true }, server);
        Assert.Equal(new[] { 1, 2 }, await IdsAsync($"projects/{id}/branches/after-snapshot", "orders", server));
    }

    /// <summary>Branching from a branch completes a WAL segment of it each time (a backup's stop, the seal before a
    /// restore), but the rest of that segment holds nothing the branch wrote: a branch that is only branched from, many
    /// times over, takes no new base snapshot (each would be a copy of its changed files and a flush of the disk).</summary>
    [Fact]
    public async Task A_branch_that_is_only_branched_from_takes_no_new_base_snapshot()
    {
        var id = SharedServer.NewId("pitr");
        await Server.CreateProjectAsync(id);
        var production = $"projects/{id}/branches/production";
        var branchDirectory = await BranchDirectoryAsync(Server, production);
        await using (var connection = await Server.ConnectAsync(Primary(production)))
            await using (var create = new NpgsqlCommand("CREATE TABLE orders (id int); INSERT INTO orders VALUES (1)", connection)) await create.ExecuteNonQueryAsync();
        var before = FinishedSnapshots(branchDirectory);
        var lsnBefore = await Server.QueryAsync<NpgsqlLogSequenceNumber>(Primary(production), "SELECT pg_current_wal_lsn()");

        // Each completes a segment of production: 16 MB of WAL positions, where a branch of a few MB gets a snapshot at 32.
        foreach (var n in Enumerable.Range(1, 3))
        {
            await BranchAsync(id, $"head-{n}", new { source_branch = production, no_expiry = true });
            await BranchAsync(id, $"past-{n}", new { source_branch = production, source_branch_time = DateTimeOffset.UtcNow.ToString("O"), no_expiry = true });
        }
        var passed = (ulong)await Server.QueryAsync<NpgsqlLogSequenceNumber>(Primary(production), "SELECT pg_current_wal_lsn()") - (ulong)lsnBefore;
        Assert.True(passed > 64UL << 20, $"The branches moved production's WAL on by {passed >> 20} MB only.");
        // The snapshot scheduler looks twice a second: fourteen looks.
        await Task.Delay(TimeSpan.FromSeconds(7));
        Assert.Equal(before, FinishedSnapshots(branchDirectory));
        Assert.Equal(new[] { 1 }, await IdsAsync($"projects/{id}/branches/past-3", "orders"));
    }

    /// <summary>A base snapshot of a running branch copies only what the branch wrote since its previous one began:
    /// the files it did not write are the previous snapshot's, by hard links, and a restore from it is exact.</summary>
    [Fact]
    public async Task A_base_snapshot_shares_the_files_not_written_since_the_previous_one_and_restores_from_it_stay_exact()
    {
        await using var server = await LocalServerProcess.StartAsync("--housekeeping-interval", "3600");
        var id = SharedServer.NewId("pitr");
        await server.CreateProjectAsync(id);
        var production = $"projects/{id}/branches/production";
        var branchDirectory = await BranchDirectoryAsync(server, production);
        string keptFile;
        List<(DateTimeOffset Time, NpgsqlLogSequenceNumber Lsn)> marks;
        await using (var connection = await server.ConnectAsync(Primary(production)))
        {
            keptFile = await SettleKeptTableAsync(connection);
            await using (var burst = new NpgsqlCommand(Burst, connection)) await burst.ExecuteNonQueryAsync();
            await WaitForSnapshotsAsync(branchDirectory, 2, "after a first burst of WAL");
            await using (var burst = new NpgsqlCommand(Burst, connection)) await burst.ExecuteNonQueryAsync();
            await WaitForSnapshotsAsync(branchDirectory, 3, "after a second burst of WAL");
            marks = await WriteRowsAsync(connection, "orders", 1, 2);
        }
        var snapshots = FinishedSnapshots(branchDirectory);
        Assert.Equal(await InodeAsync(Path.Combine(snapshots[1], "pgdata", keptFile)), await InodeAsync(Path.Combine(snapshots[2], "pgdata", keptFile)));
        Assert.NotEqual(await InodeAsync(Path.Combine(branchDirectory, "pgdata", keptFile)), await InodeAsync(Path.Combine(snapshots[2], "pgdata", keptFile)));

        await BranchAsync(id, "restored", new { source_branch = production, source_branch_time = marks[0].Time.ToString("O"), no_expiry = true }, server);
        Assert.Equal(new[] { 1 }, await IdsAsync($"projects/{id}/branches/restored", "orders", server));
        Assert.Equal(50000L * 50001 / 2, await server.QueryAsync<long>(Primary($"projects/{id}/branches/restored"), "SELECT sum(id) FROM kept"));
    }

    /// <summary>A branch's first base snapshot of its own shares, with the snapshot of its source that its history began
    /// from, the files neither has written since: a branch stays about one copy of its data once its history moves on.</summary>
    [Fact]
    public async Task A_branchs_first_own_base_snapshot_shares_the_files_it_has_not_written_with_its_sources_and_restores_from_it_stay_exact()
    {
        await using var server = await LocalServerProcess.StartAsync("--housekeeping-interval", "3600");
        var id = SharedServer.NewId("pitr");
        await server.CreateProjectAsync(id);
        var production = $"projects/{id}/branches/production";
        var productionDirectory = await BranchDirectoryAsync(server, production);
        string keptFile;
        await using (var connection = await server.ConnectAsync(Primary(production)))
        {
            keptFile = await SettleKeptTableAsync(connection);
            await using (var burst = new NpgsqlCommand(Burst, connection)) await burst.ExecuteNonQueryAsync();
            await WaitForSnapshotsAsync(productionDirectory, 2, "after a burst of WAL");
        }
        var child = $"projects/{id}/branches/child";
        await BranchAsync(id, "child", new { source_branch = production, no_expiry = true }, server);
        var childDirectory = await BranchDirectoryAsync(server, child);
        List<(DateTimeOffset Time, NpgsqlLogSequenceNumber Lsn)> marks;
        await using (var connection = await server.ConnectAsync(Primary(child)))
        {
            await using (var burst = new NpgsqlCommand(Burst, connection)) await burst.ExecuteNonQueryAsync();
            await WaitForSnapshotsAsync(childDirectory, 2, "after the child's burst of WAL");
            marks = await WriteRowsAsync(connection, "orders", 1, 2);
        }
        var sourceSnapshot = FinishedSnapshots(productionDirectory)[1];
        var childSnapshot = FinishedSnapshots(childDirectory)[1];
        Assert.Equal(await InodeAsync(Path.Combine(sourceSnapshot, "pgdata", keptFile)), await InodeAsync(Path.Combine(childSnapshot, "pgdata", keptFile)));

        await BranchAsync(id, "restored", new { source_branch = child, source_branch_time = marks[0].Time.ToString("O"), no_expiry = true }, server);
        Assert.Equal(new[] { 1 }, await IdsAsync($"projects/{id}/branches/restored", "orders", server));
        Assert.Equal(50000L * 50001 / 2, await server.QueryAsync<long>(Primary($"projects/{id}/branches/restored"), "SELECT sum(id) FROM kept"));
    }

    /// <summary>A branch's finished base snapshots (staging folders left out), oldest first.</summary>
    private static string[] FinishedSnapshots(string branchDirectory) => Directory.GetDirectories(Path.Combine(branchDirectory, "base_snapshots"))
        .Where(path => !Path.GetFileName(path).StartsWith(".tmp-", StringComparison.Ordinal)).Order().ToArray();

    /// <summary>Waits, two minutes at most, until the branch has <paramref name="count"/> finished base snapshots.</summary>
    private static Task WaitForSnapshotsAsync(string branchDirectory, int count, string when) =>
        Poll.UntilAsync(() => FinishedSnapshots(branchDirectory).Length >= count, TimeSpan.FromMinutes(2),
            () => $"The branch has {FinishedSnapshots(branchDirectory).Length} base snapshots, not {count}, {when}.");

    /// <summary>Two new projects on <paramref name="server"/>.</summary>
    private static async Task<(string, string)> CreateTwoProjectsAsync(LocalServerProcess server)
    {
        var (first, second) = (SharedServer.NewId("pitr"), SharedServer.NewId("pitr"));
        await server.CreateProjectAsync(first);
        await server.CreateProjectAsync(second);
        return (first, second);
    }

    /// <summary>Holds up a base snapshot of <paramref name="branch"/> (its compute's checkpointer stopped, so the backup
    /// never starts: the WAL for one written, waited for until it has begun), runs <paramref name="meanwhile"/>, then
    /// lets the checkpointer go on and waits for the snapshot to be taken.</summary>
    private static async Task WhileSnapshotHeldUpAsync(LocalServerProcess server, string branch, Func<Task> meanwhile)
    {
        var branchDirectory = await BranchDirectoryAsync(server, branch);
        var (_, postmaster) = await server.PostmasterAsync(branch);
        SignalCheckpointer(postmaster, "STOP");
        try
        {
            await server.ExecuteAsync(Primary(branch), Burst);
            await Poll.UntilAsync(() => Directory.EnumerateDirectories(Path.Combine(branchDirectory, "base_snapshots"), ".tmp-*").Any(), TimeSpan.FromMinutes(2),
                () => "No base snapshot of the branch that wrote the WAL for one was begun.");
            await meanwhile();
        }
        finally
        {
            SignalCheckpointer(postmaster, "CONT");
        }
        await WaitForSnapshotsAsync(branchDirectory, 2, "once its compute's checkpointer went on");
    }

    /// <summary>Waits, a minute at most, until the server has deleted an expired branch.</summary>
    private static async Task WaitUntilBranchGoneAsync(LocalServerProcess server, string branch, string when)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            using var response = await server.SendRawAsync(HttpMethod.Get, branch, null);
            if (response.StatusCode == System.Net.HttpStatusCode.NotFound) return;
            Assert.True(DateTime.UtcNow < deadline, $"The expired branch was not deleted {when}.");
            await Task.Delay(250);
        }
    }

    /// <summary>A branch's folder under the server's state root.</summary>
    private static async Task<string> BranchDirectoryAsync(LocalServerProcess server, string branch) =>
        Path.Combine(server.Root, "branches", (await server.GetAsync(branch))["uid"]!.GetValue<string>());

    /// <summary>Makes a table, kept, written once and settled on disk (frozen, checkpointed, and a second and a half
    /// old, past the snapshots' margin for file times), and an empty table orders; returns kept's file.</summary>
    private static async Task<string> SettleKeptTableAsync(NpgsqlConnection connection)
    {
        foreach (var sql in new[] { "CREATE TABLE kept AS SELECT g AS id FROM generate_series(1, 50000) g; CREATE TABLE orders (id int)", "VACUUM (FREEZE) kept", "CHECKPOINT" })
        {
            await using var setup = new NpgsqlCommand(sql, connection);
            await setup.ExecuteNonQueryAsync();
        }
        await using var path = new NpgsqlCommand("SELECT pg_relation_filepath('kept')", connection);
        var keptFile = (string)(await path.ExecuteScalarAsync())!;
        await Task.Delay(1500);
        return keptFile;
    }

    private static async Task<string> InodeAsync(string file)
    {
        using var stat = Process.Start(new ProcessStartInfo("stat", ["-c", "%i", file]) { RedirectStandardOutput = true })!;
        var inode = (await stat.StandardOutput.ReadToEndAsync()).Trim();
        await stat.WaitForExitAsync();
        Assert.Equal(0, stat.ExitCode);
        return inode;
    }

    /// <summary>A base snapshot held up on one branch (its compute's checkpointer stopped, so the backup never starts)
    /// holds up no other branch's: a branch that wrote enough WAL gets its snapshot meanwhile, and the held one is taken
    /// once its compute goes on.</summary>
    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task A_base_snapshot_held_up_on_one_branch_holds_up_no_other_branchs()
    {
        await using var server = await LocalServerProcess.StartAsync("--housekeeping-interval", "3600");
        var (held, other) = await CreateTwoProjectsAsync(server);
        var heldBranch = await BranchDirectoryAsync(server, $"projects/{held}/branches/production");
        var otherBranch = await BranchDirectoryAsync(server, $"projects/{other}/branches/production");
        await WhileSnapshotHeldUpAsync(server, $"projects/{held}/branches/production", async () =>
        {
            await server.ExecuteAsync(Primary($"projects/{other}/branches/production"), Burst);
            await WaitForSnapshotsAsync(otherBranch, 2, "while another branch's snapshot was held up");
            Assert.Single(FinishedSnapshots(heldBranch));
        });
    }

    /// <summary>A base snapshot held up (its compute's checkpointer stopped, so the backup never starts) holds up none
    /// of the server's chores: a branch of the same project still expires on time meanwhile.</summary>
    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task A_base_snapshot_held_up_holds_up_no_expiry()
    {
        await using var server = await LocalServerProcess.StartAsync("--housekeeping-interval", "1");
        var id = SharedServer.NewId("pitr");
        await server.CreateProjectAsync(id);
        var production = $"projects/{id}/branches/production";
        // Made first: a branch of production waits for a snapshot of production in progress, to share it.
        await BranchAsync(id, "short", new { source_branch = production, ttl = "10s" }, server);
        await WhileSnapshotHeldUpAsync(server, production,
            () => WaitUntilBranchGoneAsync(server, $"projects/{id}/branches/short", "while a base snapshot of its source was held up"));
    }

    /// <summary>An operation held up in one project's queue (a branch made from a branch whose base snapshot is held up
    /// waits for it, to share it) holds up no other project's chores: a branch of another project still expires on
    /// time meanwhile.</summary>
    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task An_operation_held_up_in_one_projects_queue_holds_up_no_expiry_in_another()
    {
        await using var server = await LocalServerProcess.StartAsync("--housekeeping-interval", "1");
        var (held, other) = await CreateTwoProjectsAsync(server);
        await BranchAsync(other, "short", new { ttl = "15s" }, server);
        var production = $"projects/{held}/branches/production";
        JsonObject? waiting = null;
        await WhileSnapshotHeldUpAsync(server, production, async () =>
        {
            waiting = await server.SendAsync(HttpMethod.Post, $"projects/{held}/branches?branch_id=waiting", new { spec = new { source_branch = production, no_expiry = true } });
            await WaitUntilBranchGoneAsync(server, $"projects/{other}/branches/short", "while another project's queue was held up");
        });
        await server.WaitAsync(waiting!);
    }

    /// <summary>A branch at a past time does not wait for the source's archiver: WAL it has not stored yet (here it
    /// cannot, its archive is closed to it) is taken from the source's pg_wal, and the new branch's history keeps it.</summary>
    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task A_branch_at_a_moment_the_archiver_has_not_stored_yet_restores_from_the_sources_own_WAL()
    {
        var id = SharedServer.NewId("pitr");
        await Server.CreateProjectAsync(id);
        var production = $"projects/{id}/branches/production";
        var archive = Path.Combine(await BranchDirectoryAsync(Server, production), "wal_archive");
        var mode = File.GetUnixFileMode(archive);
        List<(DateTimeOffset Time, NpgsqlLogSequenceNumber Lsn)> marks;
        File.SetUnixFileMode(archive, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        try
        {
            await using var connection = await Server.ConnectAsync(Primary(production));
            await using (var create = new NpgsqlCommand("CREATE TABLE orders (id int)", connection)) await create.ExecuteNonQueryAsync();
            marks = await WriteRowsAsync(connection, "orders", 1, 2);
            var restore = await Server.SendAsync(HttpMethod.Post, $"projects/{id}/branches?branch_id=unarchived",
                new { spec = new { source_branch = production, source_branch_time = marks[0].Time.ToString("O"), no_expiry = true } });
            await Server.WaitAsync(restore).WaitAsync(TimeSpan.FromSeconds(50));
        }
        finally
        {
            File.SetUnixFileMode(archive, mode);
        }
        Assert.Equal(new[] { 1 }, await IdsAsync($"projects/{id}/branches/unarchived", "orders"));
        var childArchive = Path.Combine(await BranchDirectoryAsync(Server, $"projects/{id}/branches/unarchived"), "wal_archive");
        var fork = (await Server.GetAsync($"projects/{id}/branches/unarchived"))["status"]!["source_branch_lsn"]!.GetValue<string>();
        var forkSegment = (await Server.QueryAsync<string>(Primary(production), $"SELECT pg_walfile_name('{fork}')"))!;
        Assert.True(File.Exists(Path.Combine(childArchive, forkSegment)), $"The new branch's history lacks {forkSegment}, the segment it forked in.");
    }

    /// <summary>A moment after the source scaled to zero holds everything the source committed, and is branched from
    /// without waking the source (as the service does); a moment before it stopped still restores exactly, without
    /// waking it either, and the new branch's own history goes on from what it was made with.</summary>
    [Fact]
    public async Task A_branch_at_a_moment_after_its_source_scaled_to_zero_leaves_the_source_asleep()
    {
        await using var server = await LocalServerProcess.StartAsync("--min-suspend-timeout", "1");
        var id = SharedServer.NewId("pitr");
        await server.CreateProjectAsync(id);
        var production = $"projects/{id}/branches/production";
        List<(DateTimeOffset Time, NpgsqlLogSequenceNumber Lsn)> marks;
        await server.RunAsync(HttpMethod.Post, $"{production}/roles?role_id=reporter", new { spec = new { postgres_role = "reporter" } });
        await using (var connection = await server.ConnectAsync(Primary(production)))
        {
            await using (var create = new NpgsqlCommand("CREATE TABLE orders (id int)", connection)) await create.ExecuteNonQueryAsync();
            marks = await WriteRowsAsync(connection, "orders", 1, 2);
        }
        // Deleted after the first mark: a branch at that mark holds the role again, and lists it.
        await server.RunAsync(HttpMethod.Delete, $"{production}/roles/reporter");
        // Only now: a connection to the compute's own socket is no activity, so the writes could be suspended midway.
        await server.RunAsync(HttpMethod.Patch, $"{Primary(production)}?update_mask=spec.suspension", new { spec = new { suspend_timeout_duration = "1s" } });
        // IDLE is reported once the suspend begins; the postmaster is gone once the compute has stopped.
        var postmaster = Path.Combine(server.Root, "branches", (await server.GetAsync(production))["uid"]!.GetValue<string>(), "pgdata", "postmaster.pid");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (await EndpointStateAsync(server, production) != "IDLE" || File.Exists(postmaster))
        {
            Assert.True(DateTime.UtcNow < deadline, "The source never scaled to zero.");
            await Task.Delay(100);
        }
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        // The API's times carry microseconds.
        var asleep = DateTimeOffset.UnixEpoch.AddMicroseconds((DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks / 10);

        var branched = await BranchAsync(id, "while-asleep", new { source_branch = production, source_branch_time = asleep.ToString("O"), no_expiry = true }, server);
        Assert.Equal("IDLE", await EndpointStateAsync(server, production));
        Assert.Equal(asleep, DateTimeOffset.Parse(branched["status"]!["source_branch_time"]!.GetValue<string>()));
        var whileAsleep = $"projects/{id}/branches/while-asleep";
        Assert.Equal(new[] { 1, 2 }, await IdsAsync(whileAsleep, "orders", server));

        await BranchAsync(id, "before-sleep", new { source_branch = production, source_branch_time = marks[0].Time.ToString("O"), no_expiry = true }, server);
        Assert.Equal(new[] { 1 }, await IdsAsync($"projects/{id}/branches/before-sleep", "orders", server));
        var roles = (await server.GetAsync($"projects/{id}/branches/before-sleep/roles"))["roles"]!.AsArray()
            .Select(role => role!["status"]!["postgres_role"]!.GetValue<string>()).ToList();
        Assert.Contains("reporter", roles);
        Assert.DoesNotContain(roles, role => role.StartsWith("pg_", StringComparison.Ordinal));
        await BranchAsync(id, "before-sleep-by-lsn", new { source_branch = production, source_branch_lsn = marks[0].Lsn.ToString(), no_expiry = true }, server);
        Assert.Equal(new[] { 1 }, await IdsAsync($"projects/{id}/branches/before-sleep-by-lsn", "orders", server));
        Assert.Equal("IDLE", await EndpointStateAsync(server, production));
        await using (var connection = await server.ConnectAsync(Primary(whileAsleep))) marks = await WriteRowsAsync(connection, "orders", 3, 4);
        await BranchAsync(id, "while-asleep-at-three", new { source_branch = whileAsleep, source_branch_time = marks[0].Time.ToString("O"), no_expiry = true }, server);
        Assert.Equal(new[] { 1, 2, 3 }, await IdsAsync($"projects/{id}/branches/while-asleep-at-three", "orders", server));
    }

    private static async Task<string> EndpointStateAsync(LocalServerProcess server, string branch) =>
        (await server.GetAsync(Primary(branch)))["status"]!["current_state"]!.GetValue<string>();

    [Fact]
    public async Task Times_and_LSNs_outside_the_history_are_refused_with_the_range_that_is_allowed()
    {
        var id = SharedServer.NewId("pitr");
        var before = DateTimeOffset.UtcNow.AddMinutes(-1);
        await Server.CreateProjectAsync(id);

        async Task<ApiCallException> RefusedAsync(object spec) =>
            await Assert.ThrowsAsync<ApiCallException>(() => Server.SendAsync(HttpMethod.Post, $"projects/{id}/branches?branch_id=refused", new { spec }));

        var future = await RefusedAsync(new { source_branch_time = DateTimeOffset.UtcNow.AddHours(1).ToString("O"), no_expiry = true });
        Assert.Equal((400, "INVALID_PARAMETER_VALUE"), (future.Status, future.ErrorCode));
        Assert.Contains("in the future", future.ErrorMessage);
        Assert.Contains("between", future.ErrorMessage);

        var beforeProject = await RefusedAsync(new { source_branch_time = before.ToString("O"), no_expiry = true });
        Assert.Equal((400, "INVALID_PARAMETER_VALUE"), (beforeProject.Status, beforeProject.ErrorCode));
        Assert.Contains("before the history", beforeProject.ErrorMessage);

        var both = await RefusedAsync(new { source_branch_time = DateTimeOffset.UtcNow.ToString("O"), source_branch_lsn = "0/1", no_expiry = true });
        Assert.Equal(400, both.Status);
        var malformed = await RefusedAsync(new { source_branch_lsn = "yesterday", no_expiry = true });
        Assert.Equal(400, malformed.Status);

        var pastTheEnd = await Server.SendAsync(HttpMethod.Post, $"projects/{id}/branches?branch_id=too-far", new { spec = new { source_branch_lsn = "FF/0", no_expiry = true } });
        var failure = await Assert.ThrowsAsync<ApiCallException>(() => Server.WaitAsync(pastTheEnd));
        Assert.Equal("INVALID_PARAMETER_VALUE", failure.ErrorCode);
        var branches = (await Server.GetAsync($"projects/{id}/branches"))["branches"]!.AsArray().Select(b => b!["branch_id"]!.GetValue<string>());
        Assert.Equal(["production"], branches);
        Assert.Empty(Directory.EnumerateDirectories(Path.Combine(Server.Root, "branches"), ".tmp-*"));
    }

    [Fact]
    public async Task History_older_than_the_window_is_pruned_and_can_no_longer_be_branched_from()
    {
        // A server whose history window, base snapshots and housekeeping run in seconds.
        await using var server = await LocalServerProcess.StartAsync("--min-history-retention", "1", "--base-snapshot-interval", "1", "--housekeeping-interval", "1");
        var id = SharedServer.NewId("pitr");
        await server.CreateProjectAsync(id, new { history_retention_duration = "3s" });
        var production = $"projects/{id}/branches/production";
        var uid = (await server.GetAsync(production))["uid"]!.GetValue<string>();
        var archive = Path.Combine(server.Root, "branches", uid, "wal_archive");
        // The oldest: under load a second one may already be there, a second after the first.
        var firstSnapshot = FinishedSnapshots(Path.Combine(server.Root, "branches", uid))[0];
        DateTimeOffset early;
        await using (var connection = await server.ConnectAsync(Primary(production)))
        {
            await using var write = new NpgsqlCommand("CREATE TABLE t AS SELECT generate_series(1, 1000) AS id; SELECT clock_timestamp(), pg_switch_wal()", connection);
            early = (DateTimeOffset)(DateTime)(await write.ExecuteScalarAsync())!;
        }
        string Segments() => string.Join(",", Directory.GetFiles(archive).Select(Path.GetFileName).Where(name => name!.Length == 24).Order());
        // The archiver stores the segment just switched from in its own time.
        await Poll.UntilAsync(() => Segments() != "", TimeSpan.FromSeconds(30), () => "No segment was archived after the switch.");
        var segmentsBefore = Segments();

        await Poll.UntilAsync(() => !Directory.Exists(firstSnapshot), TimeSpan.FromSeconds(60),
            () => "The first base snapshot was not pruned once it left the history window.");
        Assert.NotEqual(segmentsBefore, Segments());
        Assert.DoesNotContain(segmentsBefore.Split(',')[0], Segments());

        var refused = await Assert.ThrowsAsync<ApiCallException>(() => server.SendAsync(HttpMethod.Post, $"projects/{id}/branches?branch_id=too-old",
            new { spec = new { source_branch_time = early.ToString("O"), no_expiry = true } }));
        Assert.Equal(400, refused.Status);

        // Widening the window keeps what is there from now on: the latest snapshot survives.
        await server.RunAsync(HttpMethod.Patch, $"projects/{id}?update_mask=spec.history_retention_duration", new { spec = new { history_retention_duration = "86400s" } });
        var now = DateTimeOffset.UtcNow;
        await server.RunAsync(HttpMethod.Post, $"projects/{id}/branches?branch_id=recent", new { spec = new { source_branch_time = now.ToString("O"), no_expiry = true } });
        Assert.Equal(1000L, await server.QueryAsync<long>(Primary($"projects/{id}/branches/recent"), "SELECT count(*) FROM t"));
    }

    [Fact]
    public async Task Killing_the_server_and_the_compute_during_writes_loses_no_history()
    {
        await using var server = await LocalServerProcess.StartAsync();
        await server.CreateProjectAsync("crashy");
        var production = "projects/crashy/branches/production";
        var uid = (await server.GetAsync(production))["uid"]!.GetValue<string>();
        var acknowledged = new List<(int Id, DateTimeOffset At)>();
        await using (var connection = await server.ConnectAsync(Primary(production)))
        {
            await using (var create = new NpgsqlCommand("CREATE TABLE events (id int)", connection)) await create.ExecuteNonQueryAsync();
            var writer = Task.Run(async () =>
            {
                try
                {
                    for (var i = 1; ; i++)
                    {
                        await using var insert = new NpgsqlCommand($"INSERT INTO events VALUES ({i})", connection);
                        await insert.ExecuteNonQueryAsync();
                        lock (acknowledged) acknowledged.Add((i, DateTimeOffset.UtcNow));
                    }
                }
                catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException) { }
            });
            await Task.Delay(300);
            await server.CrashAsync();
            await Task.Delay(300);
            KillPostmaster(Path.Combine(server.Root, "branches", uid, "pgdata"));
            await writer;
        }
        Assert.True(acknowledged.Count > 10, $"Only {acknowledged.Count} writes happened before the crash.");

        await server.RestartAsync();
        var (lastId, lastAt) = acknowledged[^1];
        await server.RunAsync(HttpMethod.Post, "projects/crashy/branches?branch_id=before-crash",
            new { spec = new { source_branch_time = lastAt.ToString("O"), no_expiry = true } });
        Assert.Equal(lastId, await server.QueryAsync<long>(Primary("projects/crashy/branches/before-crash"), "SELECT count(*) FROM events"));
        Assert.Equal(lastId, await server.QueryAsync<int>(Primary("projects/crashy/branches/before-crash"), "SELECT max(id) FROM events"));
    }

    /// <summary>A branch at a past moment is restored by its compute's first start, in the branch's own folder, from
    /// WAL linked from its source's archive: a server killed meanwhile rolls the create back and stops that
    /// postmaster, the source's archive is left as it was, and the same moment restores exactly afterwards.</summary>
    [Fact]
    public async Task A_server_killed_while_a_branch_at_a_past_time_restores_comes_back_without_it_and_the_moment_still_restores()
    {
        // No base snapshot but the project's first (the check held off for an hour), and 100 MB of WAL before the
        // moment: the restore replays all of it, long enough to be caught at it even on a busy machine.
        await using var server = await LocalServerProcess.StartAsync("--snapshot-check-interval", "3600");
        await server.CreateProjectAsync("restoring");
        var production = "projects/restoring/branches/production";
        var archive = Path.Combine(await BranchDirectoryAsync(server, production), "wal_archive");
        List<(DateTimeOffset Time, NpgsqlLogSequenceNumber Lsn)> marks;
        await using (var connection = await server.ConnectAsync(Primary(production)))
        {
            await using (var create = new NpgsqlCommand("CREATE TABLE orders (id int)", connection)) await create.ExecuteNonQueryAsync();
            await using (var scratch = new NpgsqlCommand("CREATE TABLE scratch AS SELECT repeat(md5(g::text), 30) FROM generate_series(1, 100000) g; DROP TABLE scratch", connection))
                await scratch.ExecuteNonQueryAsync();
            marks = await WriteRowsAsync(connection, "orders", 1, 2);
        }
        static string Digest(string file) => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(file)));
        // basic_archive copies into an archtemp.* file and renames it when complete: only complete files are kept.
        var archived = Directory.GetFiles(archive).Where(file => !Path.GetFileName(file).StartsWith("archtemp.", StringComparison.Ordinal))
            .ToDictionary(file => file, Digest);

        // Watched, and killed, from a thread of its own, started before the create is asked for: the restore's window
        // (its compute replaying) is half a second, and under load the thread pool held an await's continuation past
        // it (the create was done, READY, before the loop looked again).
        var branches = Path.Combine(server.Root, "branches");
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        var watcher = Task.Factory.StartNew(() =>
        {
            while (DateTime.UtcNow < deadline)
            {
                if (Directory.EnumerateDirectories(branches).Any(branch => !Path.GetFileName(branch).StartsWith(".tmp-", StringComparison.Ordinal) &&
                    File.Exists(Path.Combine(branch, "pgdata", "standby.signal"))))
                {
                    server.CrashAsync().GetAwaiter().GetResult();
                    return true;
                }
                Thread.Sleep(1);
            }
            return false;
        }, TaskCreationOptions.LongRunning);
        var interrupted = await server.SendAsync(HttpMethod.Post, "projects/restoring/branches?branch_id=interrupted",
            new { spec = new { source_branch_time = marks[0].Time.ToString("O"), no_expiry = true } });
        if (!await watcher)
            Assert.Fail($"The new branch's compute was never seen restoring; its create: {await server.GetAsync(interrupted["name"]!.GetValue<string>())}\n{server.Output}");
        await server.RestartAsync();

        var listed = (await server.GetAsync("projects/restoring/branches"))["branches"]!.AsArray().Select(b => b!["branch_id"]!.GetValue<string>()).ToList();
        var operation = await server.GetAsync(interrupted["name"]!.GetValue<string>());
        Assert.True(operation["done"]!.GetValue<bool>());
        Assert.Equal(operation["error"] is null, listed.Contains("interrupted"));
        // Nothing half-made is left on disk, and no file of the source's archive was written through a link.
        Assert.Equal(listed.Count, Directory.EnumerateDirectories(branches).Count());
        Assert.All(archived, file => Assert.Equal(file.Value, Digest(file.Key)));

        await server.RunAsync(HttpMethod.Post, "projects/restoring/branches?branch_id=after-crash",
            new { spec = new { source_branch_time = marks[0].Time.ToString("O"), no_expiry = true } });
        await using var restored = await server.ConnectAsync(Primary("projects/restoring/branches/after-crash"));
        await using var ids = new NpgsqlCommand("SELECT array_agg(id ORDER BY id) FROM orders", restored);
        Assert.Equal(new[] { 1 }, (int[])(await ids.ExecuteScalarAsync())!);
    }

    /// <summary>Where the machine mounts overlays (Linux as root, as CI runs), a branch at a past time is an overlay on
    /// the base snapshot it restores from: it holds on disk only what its restore and its own writes changed, its
    /// writes never reach the snapshot it shares with its source, it is mounted again after a crash or a stop of the
    /// server, and it goes with the branch.</summary>
    [Fact]
    public async Task A_branch_at_a_past_time_is_an_overlay_that_holds_only_what_it_writes_and_outlives_restarts()
    {
        // Only root mounts; elsewhere a restore copies its snapshot, which every other test here covers.
        if (!OperatingSystem.IsLinux() || !Lakebase.Local.Platform.Posix.IsRoot) return;
        // A base snapshot each second a WAL segment completes: one is begun after the load, and holds the whole table.
        await using var server = await LocalServerProcess.StartAsync("--overlays", "--base-snapshot-interval", "1");
        if (server.Info.CopyMode == "reflink") return;
        if (server.Info.CopyMode != "overlay")
        {
            // Root that may not mount (a container without CAP_SYS_ADMIN, a state root on overlayfs): the server says so.
            Assert.Contains("an overlay could not be mounted", server.Output);
            return;
        }
        await server.CreateProjectAsync("layered");
        var production = "projects/layered/branches/production";
        var productionDirectory = await BranchDirectoryAsync(server, production);
        List<(DateTimeOffset Time, NpgsqlLogSequenceNumber Lsn)> marks;
        await using (var connection = await server.ConnectAsync(Primary(production)))
        {
            // About 30 MB of data.
            await using (var create = new NpgsqlCommand("CREATE TABLE big AS SELECT g AS id, repeat(md5(g::text), 30) AS pad FROM generate_series(1, 30000) g; " +
                "CREATE TABLE orders (id int)", connection)) await create.ExecuteNonQueryAsync();
            var loaded = DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmssfffffff", System.Globalization.CultureInfo.InvariantCulture);
            // The load may end inside the segment that a snapshot begun during it ends in, and a snapshot is due only once
            // a segment completes after it: each switch to the next segment (after a transaction, so it is not a no-op)
            // completes one.
            await using var nextSegment = new NpgsqlCommand("SELECT txid_current(); SELECT pg_switch_wal()", connection);
            var deadline = DateTime.UtcNow.AddMinutes(2);
            while (!FinishedSnapshots(productionDirectory).Any(snapshot => string.CompareOrdinal(Path.GetFileName(snapshot), loaded) > 0))
            {
                Assert.True(DateTime.UtcNow < deadline, "No base snapshot was begun after the load.");
                await nextSegment.ExecuteNonQueryAsync();
                await Task.Delay(1000);
            }
            marks = await WriteRowsAsync(connection, "orders", 1, 2);
        }

        var past = "projects/layered/branches/past";
        await BranchAsync("layered", "past", new { source_branch_time = marks[0].Time.ToString("O"), no_expiry = true }, server);
        var data = Path.Combine(await BranchDirectoryAsync(server, past), "pgdata");
        Assert.Contains(data, Lakebase.Local.Platform.Mounts.MountPointsUnder(server.Root));
        static long RelationBytes(string directory) => new DirectoryInfo(Path.Combine(directory, "base")).EnumerateFiles("*", SearchOption.AllDirectories).Sum(file => file.Length);
        var upper = Path.Combine(Path.GetDirectoryName(data)!, "overlay", "upper");
        Assert.True(RelationBytes(upper) * 4 < RelationBytes(data), $"The branch holds {RelationBytes(upper)} of the {RelationBytes(data)} bytes of relations it shows.");

        // A write copies the table up; the snapshot under it stays as it was, so the moment restores as before.
        await server.ExecuteAsync(Primary(past), "UPDATE big SET pad = 'changed' WHERE id = 1");
        await BranchAsync("layered", "again", new { source_branch_time = marks[0].Time.ToString("O"), no_expiry = true }, server);
        Assert.Equal(await server.QueryAsync<string>(Primary(production), "SELECT pad FROM big WHERE id = 1"),
            await server.QueryAsync<string>(Primary("projects/layered/branches/again"), "SELECT pad FROM big WHERE id = 1"));

        // Through the proxy, as a client connects: the connection wakes the compute after an orderly stop.
        async Task<string?> ChangedPadAsync()
        {
            var host = (await server.GetAsync(Primary(past)))["status"]!["hosts"]!["host"]!.GetValue<string>();
            await using var connection = await new ProxyClient(server).OpenAsync(Primary(past), host);
            await using var query = new NpgsqlCommand("SELECT pad FROM big WHERE id = 1", connection);
            return (string?)await query.ExecuteScalarAsync();
        }
        await server.CrashAsync();
        await server.RestartAsync();
        Assert.Equal("changed", await ChangedPadAsync());
        await server.StopAsync();
        Assert.Empty(Lakebase.Local.Platform.Mounts.MountPointsUnder(server.Root));
        await server.RestartAsync();
        Assert.Equal("changed", await ChangedPadAsync());
        Assert.Equal(new[] { 1 }, await IdsAsync(past, "orders", server));

        await server.RunAsync(HttpMethod.Delete, $"{past}?purge=true");
        Assert.DoesNotContain(data, Lakebase.Local.Platform.Mounts.MountPointsUnder(server.Root));
        Assert.False(Directory.Exists(Path.GetDirectoryName(data)));
    }

    /// <summary>Files under <paramref name="directory"/> that have no other name (hard link) anywhere.</summary>
    private static async Task<string> FilesWithOneNameAsync(string directory)
    {
        using var find = Process.Start(new ProcessStartInfo("find", [directory, "-type", "f", "-links", "1", "-path", "*/pgdata/*"]) { RedirectStandardOutput = true })!;
        var output = await find.StandardOutput.ReadToEndAsync();
        await find.WaitForExitAsync();
        Assert.Equal(0, find.ExitCode);
        return output.Trim();
    }

    /// <summary>Sends a signal (STOP, CONT) to the checkpointer among a postmaster's children.</summary>
    private static void SignalCheckpointer(int postmaster, string signal)
    {
        using var pkill = Process.Start("pkill", [$"-{signal}", "-P", postmaster.ToString(), "-f", "checkpointer"])!;
        pkill.WaitForExit();
        Assert.Equal(0, pkill.ExitCode);
    }

    /// <summary>kill -9 of the postmaster and its children: what a crash of the compute looks like.</summary>
    private static void KillPostmaster(string dataDirectory)
    {
        var pid = int.Parse(File.ReadLines(Path.Combine(dataDirectory, "postmaster.pid")).First());
        using (var children = Process.Start("pkill", ["-KILL", "-P", pid.ToString()])) children.WaitForExit();
        Process.GetProcessById(pid).Kill();
    }
}
