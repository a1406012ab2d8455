using System.Globalization;
using System.Text.Json.Nodes;
using Npgsql;
using Xunit;
using Xunit.Abstractions;

namespace Lakebase.Local.Tests;

/// <summary>
/// The chaos harness: cycles of mixed operations (branches from the head and from the past, roles, databases, read
/// replicas, committed inserts, suspends), each cut by a kill -9 of Lakebase Local, of a compute or of both at a random
/// moment, then a restart and a check of the invariants. LAKEBASE_CHAOS_CYCLES sets the number of cycles (5 by
/// default, what CI runs), LAKEBASE_CHAOS_SEED the random seed; bench/Chaos.ps1 runs it long and prints the figures.
/// </summary>
public sealed class ChaosTests(ITestOutputHelper output)
{
    private const string Ledger = "CREATE TABLE IF NOT EXISTS ledger (id bigserial PRIMARY KEY, cycle int NOT NULL)";

    [Fact]
    public async Task Kills_at_random_moments_lose_no_committed_row_and_leave_no_disagreement_or_orphan()
    {
        var cycles = int.Parse(Environment.GetEnvironmentVariable("LAKEBASE_CHAOS_CYCLES") ?? "5", CultureInfo.InvariantCulture);
        var seed = int.Parse(Environment.GetEnvironmentVariable("LAKEBASE_CHAOS_SEED") ?? Environment.TickCount.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        var random = new Random(seed);
        var figures = new ChaosFigures { Seed = seed };
        await using var server = await LocalServerProcess.StartAsync("--min-suspend-timeout", "1");
        var project = SharedServer.NewId("chaos");
        await server.CreateProjectAsync(project, new { default_endpoint_settings = new { suspend_timeout_duration = "30s" } });
        var production = $"projects/{project}/branches/production";
        await using (var setup = await OpenAsync(server, production))
        await using (var create = new NpgsqlCommand(Ledger, setup))
            await create.ExecuteNonQueryAsync();
        var owner = await OwnerRoleIdAsync(server, production);
        // Rows each branch must hold at least: what was committed to its source before it was asked for.
        var committed = new Dictionary<string, long> { [production] = 0 };
        var pastPoints = new List<(DateTimeOffset Time, long Rows)>();

        for (var cycle = 1; cycle <= cycles; cycle++)
        {
            var operations = new List<(string Resource, JsonObject Operation, bool Delete)>();
            var violationsBefore = figures.Violations.Count;
            committed[production] += await InsertAsync(server, production, cycle, random.Next(1, 50));
            pastPoints.Add((DateTimeOffset.UtcNow, committed[production]));
            await Task.Delay(20);

            var branchId = $"c{cycle}";
            var fromPast = random.Next(3) == 0 && pastPoints.Count > 1;
            var past = pastPoints[random.Next(pastPoints.Count - 1)];
            var branchSpec = fromPast
                ? new JsonObject { ["no_expiry"] = true, ["source_branch_time"] = past.Time.ToString("O", CultureInfo.InvariantCulture) }
                : new JsonObject { ["no_expiry"] = true };
            var expectedInBranch = fromPast ? past.Rows : committed[production];
            await TryStartAsync(operations, server, $"projects/{project}/branches/{branchId}", false,
                () => server.SendAsync(HttpMethod.Post, $"projects/{project}/branches?branch_id={branchId}", new JsonObject { ["spec"] = branchSpec }));
            await TryStartAsync(operations, server, $"{production}/roles/role-{cycle}", false,
                () => server.SendAsync(HttpMethod.Post, $"{production}/roles?role_id=role-{cycle}", new { spec = new { postgres_role = $"r{cycle}" } }));
            await TryStartAsync(operations, server, $"{production}/databases/db-{cycle}", false,
                () => server.SendAsync(HttpMethod.Post, $"{production}/databases?database_id=db-{cycle}",
                    new { spec = new { postgres_database = $"d{cycle}", role = $"{production}/roles/{owner}" } }));
            if (cycle > 1)
            {
                await TryStartAsync(operations, server, $"{production}/roles/role-{cycle - 1}", true,
                    () => server.SendAsync(HttpMethod.Delete, $"{production}/roles/role-{cycle - 1}", null));
            }
            if (cycle > 2)
            {
                await TryStartAsync(operations, server, $"projects/{project}/branches/c{cycle - 2}", true,
                    () => server.SendAsync(HttpMethod.Delete, $"projects/{project}/branches/c{cycle - 2}?purge=true", null));
            }
            if (random.Next(2) == 0)
            {
                await TryStartAsync(operations, server, $"{production}/endpoints/ro{cycle}", false,
                    () => server.SendAsync(HttpMethod.Post, $"{production}/endpoints?endpoint_id=ro{cycle}", new { spec = new { endpoint_type = "ENDPOINT_TYPE_READ_ONLY" } }));
            }

            await Task.Delay(random.Next(0, 1500));
            var victim = random.Next(3);
            if (victim is 1 or 2) figures.ComputeKills += await KillComputeAsync(server, production) ? 1 : 0;
            if (victim is 0 or 2)
            {
                await server.CrashAsync();
                figures.ServerKills++;
                await server.RestartAsync();
            }

            foreach (var (resource, operation, delete) in operations)
                figures.Violations.AddRange(await SettledClearlyAsync(server, resource, operation, delete));
            if (await BranchStateAsync(server, $"projects/{project}/branches/{branchId}") == "READY")
                committed[$"projects/{project}/branches/{branchId}"] = expectedInBranch;
            foreach (var gone in committed.Keys.Where(branch => branch != production).ToList())
            {
                if (await BranchStateAsync(server, gone) is null) committed.Remove(gone);
            }

            figures.Cycles++;
            figures.CommittedRows = committed[production];
            foreach (var (branch, rows) in committed)
            {
                await using var connection = await OpenAsync(server, branch);
                await using var count = new NpgsqlCommand("SELECT count(*) FROM ledger", connection);
                var held = (long)(await count.ExecuteScalarAsync())!;
                if (held < rows)
                {
                    figures.LostRows += rows - held;
                    figures.Violations.Add($"cycle {cycle}: {branch} holds {held} rows, {rows} were committed");
                }
                figures.Violations.AddRange(await DisagreementsAsync(server, connection, branch));
            }
            var orphans = await OrphansAsync(server, await KnownDataDirectoriesAsync(server, project));
            figures.Orphans += orphans.Count;
            figures.Violations.AddRange(orphans.Select(orphan => $"cycle {cycle}: orphan process {orphan}"));
            output.WriteLine($"cycle {cycle}: victim {(victim switch { 0 => "server", 1 => "compute", _ => "both" })}, {operations.Count} operations, " +
                $"{figures.Violations.Count} violations so far" + string.Concat(figures.Violations.Skip(violationsBefore).Select(v => "\n  " + v)));
        }

        output.WriteLine(figures.ToString());
        if (Environment.GetEnvironmentVariable("LAKEBASE_CHAOS_REPORT") is { Length: > 0 } reportFile) await File.WriteAllTextAsync(reportFile, figures.ToString());
        Assert.Empty(figures.Violations);
        Assert.Equal(0, figures.LostRows);
        Assert.Equal(0, figures.Orphans);
    }

    private sealed class ChaosFigures
    {
        public int Seed { get; init; }
        public int Cycles { get; set; }
        public int ServerKills { get; set; }
        public int ComputeKills { get; set; }
        public long CommittedRows { get; set; }
        public long LostRows { get; set; }
        public int Orphans { get; set; }
        public List<string> Violations { get; } = [];

        public override string ToString() =>
            $"chaos: seed {Seed}, {Cycles} cycles, {ServerKills} server kills, {ComputeKills} compute kills, {CommittedRows} rows committed, " +
            $"{LostRows} lost, {Violations.Count} invariant violations, {Orphans} orphan processes" +
            string.Concat(Violations.Select(violation => "\n  " + violation));
    }

    private static async Task<string> OwnerRoleIdAsync(LocalServerProcess server, string branch) =>
        (await server.GetAsync($"{branch}/roles"))["roles"]!.AsArray()
            .First(role => role!["status"]!["postgres_role"]!.GetValue<string>() == ProxyClient.User)!["role_id"]!.GetValue<string>();

    /// <summary>Sends a request that starts an operation; a 409 (another operation in flight) or 400 is a fine answer too.</summary>
    private static async Task TryStartAsync(List<(string, JsonObject, bool)> operations, LocalServerProcess server, string resource, bool delete, Func<Task<JsonObject>> send)
    {
        try
        {
            operations.Add((resource, await send(), delete));
        }
        catch (ApiCallException ex) when (ex.Status is 400 or 404 or 409)
        {
        }
    }

    /// <summary>The operation ends, and the resource is as its outcome says: made (and ready) or absent for a create,
    /// absent or still whole for a delete.</summary>
    private static async Task<List<string>> SettledClearlyAsync(LocalServerProcess server, string resource, JsonObject operation, bool delete)
    {
        var problems = new List<string>();
        bool succeeded;
        try
        {
            await server.WaitAsync(operation);
            succeeded = true;
        }
        catch (ApiCallException)
        {
            succeeded = false;
        }
        catch (TimeoutException)
        {
            return [$"{operation["name"]} on {resource} never finished"];
        }
        JsonObject? current;
        try { current = await server.GetAsync(resource); }
        catch (ApiCallException ex) when (ex.Status == 404) { current = null; }
        var exists = current is not null && current["status"]?["delete_time"] is null;
        if (delete && succeeded && exists) problems.Add($"{resource} was deleted but is still listed");
        if (!delete && succeeded && !exists) problems.Add($"{resource} was created but is not listed");
        if (!delete && !succeeded && exists) problems.Add($"{resource} failed to be created but is listed");
        if (exists && current!["status"]?["current_state"]?.GetValue<string>() is "INIT") problems.Add($"{resource} is listed but still INIT");
        return problems;
    }

    private static async Task<string?> BranchStateAsync(LocalServerProcess server, string branch)
    {
        try { return (await server.GetAsync(branch))["status"]!["current_state"]!.GetValue<string>(); }
        catch (ApiCallException ex) when (ex.Status == 404) { return null; }
    }

    /// <summary>A connection through the proxy, as a client makes one: it wakes a suspended compute.</summary>
    private static async Task<NpgsqlConnection> OpenAsync(LocalServerProcess server, string branch)
    {
        var endpoint = $"{branch}/endpoints/primary";
        var host = (await server.GetAsync(endpoint))["status"]!["hosts"]!["host"]!.GetValue<string>();
        return await new ProxyClient(server).OpenAsync(endpoint, host);
    }

    private static async Task<long> InsertAsync(LocalServerProcess server, string branch, int cycle, int rows)
    {
        await using var connection = await OpenAsync(server, branch);
        await using var insert = new NpgsqlCommand("INSERT INTO ledger (cycle) SELECT $1 FROM generate_series(1, $2)", connection)
        {
            Parameters = { new() { Value = cycle }, new() { Value = rows } },
        };
        await insert.ExecuteNonQueryAsync();
        return rows;
    }

    /// <summary>kill -9 of the branch's postmaster; false when it was not running.</summary>
    private static async Task<bool> KillComputeAsync(LocalServerProcess server, string branch)
    {
        var (_, pid) = await server.PostmasterAsync(branch);
        if (pid <= 0 || !Directory.Exists($"/proc/{pid}")) return false;
        using var kill = System.Diagnostics.Process.Start("kill", ["-KILL", pid.ToString(CultureInfo.InvariantCulture)])!;
        await kill.WaitForExitAsync();
        return kill.ExitCode == 0;
    }

    /// <summary>Roles and databases the API lists against those PostgreSQL has, leaving out the cluster's own.</summary>
    private static async Task<List<string>> DisagreementsAsync(LocalServerProcess server, NpgsqlConnection connection, string branch)
    {
        var listedRoles = (await server.GetAsync($"{branch}/roles"))["roles"]!.AsArray().Select(r => r!["status"]!["postgres_role"]!.GetValue<string>()).ToHashSet();
        var listedDatabases = (await server.GetAsync($"{branch}/databases"))["databases"]!.AsArray()
            .Select(d => d!["status"]!["postgres_database"]!.GetValue<string>()).ToHashSet();
        var roles = await NamesAsync(connection, "SELECT rolname FROM pg_roles WHERE rolname NOT LIKE 'pg\\_%' AND rolname NOT IN ('lakebase_admin', 'databricks_superuser')");
        var databases = await NamesAsync(connection, "SELECT datname FROM pg_database WHERE datname NOT IN ('postgres', 'template0', 'template1')");
        var problems = new List<string>();
        if (!roles.SetEquals(listedRoles)) problems.Add($"{branch}: API roles [{string.Join(", ", listedRoles.Order())}], PostgreSQL [{string.Join(", ", roles.Order())}]");
        if (!databases.SetEquals(listedDatabases))
            problems.Add($"{branch}: API databases [{string.Join(", ", listedDatabases.Order())}], PostgreSQL [{string.Join(", ", databases.Order())}]");
        return problems;
    }

    private static async Task<HashSet<string>> NamesAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var names = new HashSet<string>();
        while (await reader.ReadAsync()) names.Add(reader.GetString(0));
        return names;
    }

    /// <summary>The data directories of every listed branch and read-only endpoint: the only ones a postmaster may serve.</summary>
    private static async Task<HashSet<string>> KnownDataDirectoriesAsync(LocalServerProcess server, string project)
    {
        var known = new HashSet<string>();
        foreach (var branch in (await server.GetAsync($"projects/{project}/branches"))["branches"]!.AsArray())
        {
            known.Add(Path.Combine(server.Root, "branches", branch!["uid"]!.GetValue<string>(), "pgdata"));
            foreach (var endpoint in (await server.GetAsync($"{branch["name"]}/endpoints"))["endpoints"]!.AsArray())
                known.Add(Path.Combine(server.Root, "computes", endpoint!["uid"]!.GetValue<string>(), "pgdata"));
        }
        return known;
    }

    /// <summary>Processes a killed or stopped postmaster left that still run after <see cref="OrphanGrace"/>. A
    /// postmaster killed by the harness leaves its children to finish what they are in (a standby's restore_command
    /// copying a segment) and exit when they see it gone: only what outlives that is left behind.</summary>
    private static async Task<List<string>> OrphansAsync(LocalServerProcess server, HashSet<string> known)
    {
        var deadline = DateTime.UtcNow + OrphanGrace;
        var orphans = Orphans(server, known);
        while (orphans.Count > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(500);
            orphans = Orphans(server, known).Intersect(orphans).ToList();
        }
        return orphans;
    }

    private static readonly TimeSpan OrphanGrace = TimeSpan.FromSeconds(30);

    /// <summary>Postmasters under the server's root serving a data directory nothing lists, and any other process
    /// working there that no postmaster started (a cp, a restore).</summary>
    private static List<string> Orphans(LocalServerProcess server, HashSet<string> known)
    {
        var orphans = new List<string>();
        var root = server.Root + "/";
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid)) continue;
            string[] arguments;
            try { arguments = File.ReadAllText(Path.Combine(directory, "cmdline")).Split('\0', StringSplitOptions.RemoveEmptyEntries); }
            catch (IOException) { continue; }
            if (!arguments.Any(argument => argument.Contains(root, StringComparison.Ordinal)) || pid == server.Info.Pid) continue;
            var data = Array.IndexOf(arguments, "-D") is var index and >= 0 && index + 1 < arguments.Length ? arguments[index + 1] : null;
            var isPostmaster = arguments.Length > 0 && Path.GetFileName(arguments[0]) == "postgres";
            if (isPostmaster && data is not null && known.Contains(data)) continue;
            if (!isPostmaster && IsChildOfKnownPostmaster(pid, known)) continue;
            orphans.Add($"{pid}: {string.Join(' ', arguments)}");
        }
        return orphans;
    }

    /// <summary>A standby's restore_command or an archiver's copy runs under its postmaster.</summary>
    private static bool IsChildOfKnownPostmaster(int pid, HashSet<string> known)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var parent = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
            var arguments = File.ReadAllText($"/proc/{parent}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries);
            var index = Array.IndexOf(arguments, "-D");
            return index >= 0 && index + 1 < arguments.Length && known.Contains(arguments[index + 1]) || parent > 1 && IsChildOfKnownPostmaster(parent, known);
        }
        catch (Exception ex) when (ex is IOException or FormatException)
        {
            return false;
        }
    }
}
