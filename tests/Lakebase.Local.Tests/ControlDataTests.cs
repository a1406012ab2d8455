using Lakebase.Local.Storage;
using Npgsql;
using Xunit;

namespace Lakebase.Local.Tests;

/// <summary>What Lakebase Local reads and cleans itself, without pg_controldata or pg_archivecleanup.</summary>
public sealed class ControlDataTests(SharedServer shared) : IClassFixture<SharedServer>
{
    [Fact]
    public async Task The_control_file_says_what_PostgreSQL_reports_for_its_last_checkpoint()
    {
        var id = SharedServer.NewId("cd");
        await shared.Server.CreateProjectAsync(id);
        var branch = $"projects/{id}/branches/production";
        await using var connection = await shared.Server.ConnectAsync($"{branch}/endpoints/primary");
        await using (var checkpoint = new NpgsqlCommand("CREATE TABLE t AS SELECT 1; SELECT pg_switch_wal(); CHECKPOINT", connection))
            await checkpoint.ExecuteNonQueryAsync();
        await using var reported = new NpgsqlCommand("SELECT checkpoint_lsn::text, timeline_id, redo_wal_file, pg_control_last_modified " +
            "FROM pg_control_checkpoint(), pg_control_system()", connection);
        await using var reader = await reported.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());

        var uid = (await shared.Server.GetAsync(branch))["uid"]!.GetValue<string>();
        var control = ControlData.Read(Path.Combine(shared.Server.Root, "branches", uid, "pgdata"));

        // A running cluster's control file says it is in production, so a copy of it needs all its WAL.
        Assert.Equal((reader.GetInt32(1), reader.GetString(0), reader.GetString(2), false),
            (control.Timeline, control.CheckpointLsn, control.FirstWalFile, control.ShutDown));
        Assert.Equal(reader.GetFieldValue<DateTimeOffset>(3), control.UpdateTime);
    }

    [Fact]
    public void Archive_cleanup_removes_segments_before_the_first_kept_of_any_timeline_and_keeps_timeline_histories()
    {
        var archive = Directory.CreateTempSubdirectory("lakebase-archive-").FullName;
        try
        {
            string[] older = ["000000010000000000000003", "000000020000000000000004", "000000010000000000000004.partial", "000000010000000000000004.00000028.backup"];
            string[] kept = ["000000020000000000000005", "000000010000000000000006", "00000002.history", "000000020000000000000005.00000060.backup"];
            foreach (var name in older.Concat(kept)) File.WriteAllText(Path.Combine(archive, name), "");

            BranchHistory.RemoveArchivedWalBefore(archive, "000000020000000000000005");

            Assert.Equal(kept.Order(StringComparer.Ordinal), Directory.EnumerateFiles(archive).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        }
        finally
        {
            Directory.Delete(archive, recursive: true);
        }
    }
}
