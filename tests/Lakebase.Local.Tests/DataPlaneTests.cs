using System.Diagnostics;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Npgsql;
using Xunit;

namespace Lakebase.Local.Tests;

/// <summary>A server whose limits let tests see suspension and credential expiry in seconds.</summary>
public sealed class FastLimitsServer : IAsyncLifetime
{
    public LocalServerProcess Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await LocalServerProcess.StartAsync("--min-suspend-timeout", "1", "--min-credential-ttl", "1");

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

public sealed class DataPlaneTests(FastLimitsServer shared) : IClassFixture<FastLimitsServer>
{
    private LocalServerProcess Server => shared.Server;
    private ProxyClient Client => new(shared.Server);
    private const string User = ProxyClient.User;

    private Task<(string Endpoint, string Host)> NewProjectAsync(string suspendTimeout = "86400s") =>
        Client.NewProjectAsync(new { default_endpoint_settings = new { suspend_timeout_duration = suspendTimeout } });

    private Task<string> TokenAsync(string endpoint, string ttl = "3600s") => Client.TokenAsync(endpoint, ttl);

    private NpgsqlConnection Connection(string host, string password) => Client.Connection(host, password);

    private async Task WaitUntilSuspendedAsync(string endpoint)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await Server.GetAsync(endpoint))["status"]!["current_state"]!.GetValue<string>() != "IDLE")
        {
            Assert.True(DateTime.UtcNow < deadline, "the endpoint never suspended");
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task A_credential_opens_its_endpoint_over_verified_TLS_as_the_callers_role()
    {
        var (endpoint, host) = await NewProjectAsync();
        var credential = await Server.SendAsync(HttpMethod.Post, "credentials", new JsonObject { ["endpoint"] = endpoint });
        var expires = DateTimeOffset.Parse(credential["expire_time"]!.GetValue<string>());
        Assert.InRange(expires - DateTimeOffset.UtcNow, TimeSpan.FromMinutes(59), TimeSpan.FromMinutes(61));

        await using var connection = Connection(host, credential["token"]!.GetValue<string>());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT current_user, ssl FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) WHERE pid = pg_backend_pid()", connection);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(User, reader.GetString(0));
        // TLS ends at the proxy; the hop to postgres is a private Unix socket.
        Assert.False(reader.GetBoolean(1));
    }

    [Fact]
    public async Task Wrong_expired_and_other_endpoint_tokens_are_refused_with_28P01()
    {
        var (endpoint, host) = await NewProjectAsync();
        var (otherEndpoint, _) = await NewProjectAsync();

        var expired = await TokenAsync(endpoint, ttl: "1s");
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        foreach (var password in new[] { "not-a-token", await TokenAsync(otherEndpoint), expired })
        {
            await using var connection = Connection(host, password);
            var error = await Assert.ThrowsAsync<PostgresException>(() => connection.OpenAsync());
            Assert.Equal("28P01", error.SqlState);
        }
    }

    [Fact]
    public async Task A_suspended_endpoint_wakes_on_connect_and_the_query_succeeds()
    {
        var (endpoint, host) = await NewProjectAsync(suspendTimeout: "1s");
        var token = await TokenAsync(endpoint);
        await WaitUntilSuspendedAsync(endpoint);

        await using var connection = Connection(host, token);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT 41 + 1", connection);
        Assert.Equal(42, await command.ExecuteScalarAsync());
        Assert.Equal("ACTIVE", (await Server.GetAsync(endpoint))["status"]!["current_state"]!.GetValue<string>());
    }

    /// <summary>The fence a compute commits as it stops is noted in its branch's folder; where the file system refuses
    /// the note, the compute stops without one (as it does when it cannot commit one), and the server goes on.</summary>
    [Fact]
    public async Task A_compute_whose_stop_cannot_note_its_fence_is_suspended_and_the_server_keeps_serving()
    {
        var (endpoint, host) = await NewProjectAsync(suspendTimeout: "3s");
        var token = await TokenAsync(endpoint);
        var (data, _) = await Server.PostmasterAsync(endpoint[..endpoint.IndexOf("/endpoints/", StringComparison.Ordinal)]);
        var branchDirectory = Path.GetDirectoryName(data)!;
        await Immutable.SetAsync(branchDirectory, true);
        try
        {
            await WaitUntilSuspendedAsync(endpoint);
            await Poll.UntilAsync(() => !File.Exists(Path.Combine(data, "postmaster.pid")), TimeSpan.FromSeconds(30),
                () => "The compute reads IDLE but its postmaster still runs.");
        }
        finally
        {
            await Immutable.SetAsync(branchDirectory, false);
        }

        await using var connection = Connection(host, token);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT 41 + 1", connection);
        Assert.Equal(42, await command.ExecuteScalarAsync());
    }

    /// <summary>A compute that cannot start refuses the session with 57P03 and says so, without the server's own
    /// paths (its data directory, its log), which the server logs for its operator; once fixed, it starts again.</summary>
    [Fact]
    public async Task A_compute_that_cannot_start_refuses_the_session_without_naming_the_servers_files()
    {
        var (endpoint, host) = await NewProjectAsync(suspendTimeout: "1s");
        var token = await TokenAsync(endpoint);
        await WaitUntilSuspendedAsync(endpoint);
        var (data, _) = await Server.PostmasterAsync(endpoint[..endpoint.IndexOf("/endpoints/", StringComparison.Ordinal)]);
        var autoConf = Path.Combine(data, "postgresql.auto.conf");
        var settings = await File.ReadAllTextAsync(autoConf);
        await File.WriteAllTextAsync(autoConf, settings + "work_mem = = broken\n");

        await using (var refused = Connection(host, token))
        {
            var error = await Assert.ThrowsAsync<PostgresException>(() => refused.OpenAsync());
            Assert.Equal("57P03", error.SqlState);
            Assert.Contains("could not start", error.MessageText);
            Assert.DoesNotContain(Server.Root, error.MessageText);
        }

        await File.WriteAllTextAsync(autoConf, settings);
        await using var connection = Connection(host, token);
        await connection.OpenAsync();
    }

    [Fact]
    public async Task A_disabled_endpoint_refuses_connections()
    {
        var (endpoint, host) = await NewProjectAsync();
        await Server.RunAsync(HttpMethod.Patch, $"{endpoint}?update_mask=spec.disabled", new { spec = new { disabled = true } });

        await using var connection = Connection(host, await TokenAsync(endpoint));
        var error = await Assert.ThrowsAsync<PostgresException>(() => connection.OpenAsync());
        Assert.Equal("08004", error.SqlState);
        Assert.Equal("IDLE", (await Server.GetAsync(endpoint))["status"]!["current_state"]!.GetValue<string>());
    }

    [Fact]
    public async Task Compute_limits_change_the_real_memory_settings()
    {
        var (endpoint, host) = await NewProjectAsync();
        var token = await TokenAsync(endpoint);
        async Task<(string SharedBuffers, string WorkMem)> SettingsAsync()
        {
            await using var connection = Connection(host, token);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT current_setting('shared_buffers'), current_setting('work_mem')", connection);
            await using var reader = await command.ExecuteReaderAsync();
            await reader.ReadAsync();
            return (reader.GetString(0), reader.GetString(1));
        }
        var small = await SettingsAsync();
        await Server.RunAsync(HttpMethod.Patch, $"{endpoint}?update_mask=spec.autoscaling_limit_min_cu,spec.autoscaling_limit_max_cu",
            new { spec = new { autoscaling_limit_min_cu = 4, autoscaling_limit_max_cu = 8 } });
        var large = await SettingsAsync();
        Assert.NotEqual(small.SharedBuffers, large.SharedBuffers);
        Assert.NotEqual(small.WorkMem, large.WorkMem);
    }

    [Fact]
    public async Task Malformed_and_abandoned_handshakes_do_not_disturb_other_sessions()
    {
        var (endpoint, host) = await NewProjectAsync();
        var token = await TokenAsync(endpoint);
        await using var healthy = Connection(host, token);
        await healthy.OpenAsync();

        foreach (var garbage in new[] { new byte[] { 0, 0, 0, 4 }, new byte[] { 0x7f, 0xff, 0xff, 0xff, 0, 3, 0, 0 }, "GET / HTTP/1.1\r\n\r\n"u8.ToArray(), new byte[3] })
        {
            using var socket = new TcpClient();
            await socket.ConnectAsync(host, 5432);
            var stream = socket.GetStream();
            await stream.WriteAsync(garbage);
            socket.Client.Shutdown(SocketShutdown.Send);
            var buffer = new byte[256];
            try { while (await stream.ReadAsync(buffer) > 0) { } }
            catch (IOException) { }
        }
        using var silent = new TcpClient();
        await silent.ConnectAsync(host, 5432);

        await using var command = new NpgsqlCommand("SELECT 1", healthy);
        Assert.Equal(1, await command.ExecuteScalarAsync());
        await using var another = Connection(host, token);
        await another.OpenAsync();
    }

    [Fact]
    public async Task The_shared_port_routes_by_endpoint_id_in_options_and_passes_the_other_options_on()
    {
        var (endpoint, _) = await NewProjectAsync();
        var uid = (await Server.GetAsync(endpoint))["uid"]!.GetValue<string>();
        foreach (var options in new[] { $"endpoint={uid}", $"-c endpoint={uid} -c search_path=from_options" })
        {
            await using var connection = Client.Connection("127.0.0.1", await TokenAsync(endpoint), port: Server.Info.ProxyPort, options: options);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT current_database() || ' ' || current_setting('search_path')", connection);
            Assert.Equal(options.Contains("search_path") ? "databricks_postgres from_options" : "databricks_postgres \"$user\", public",
                await command.ExecuteScalarAsync());
        }
    }

    [Fact]
    public async Task A_native_password_role_logs_in_with_its_password_only_while_the_project_enables_native_login()
    {
        var (endpoint, host) = await Client.NewProjectAsync(new { enable_pg_native_login = true });
        var project = endpoint[..endpoint.IndexOf("/branches/", StringComparison.Ordinal)];
        await Server.RunAsync(HttpMethod.Post, $"{project}/branches/production/roles?role_id=app-user",
            new { spec = new { postgres_role = "app_user", auth_method = "PG_PASSWORD_SCRAM_SHA_256" } });
        // As Lakebase's docs have it: the project owner sets the role's password in SQL.
        await using (var owner = await Client.OpenAsync(endpoint, host))
        await using (var setPassword = new NpgsqlCommand("SET ROLE databricks_superuser; ALTER ROLE app_user PASSWORD 'correct horse battery'", owner))
            await setPassword.ExecuteNonQueryAsync();

        await using (var native = Client.Connection(host, "correct horse battery", user: "app_user"))
        {
            await native.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT current_user", native);
            Assert.Equal("app_user", await command.ExecuteScalarAsync());
        }
        await using (var wrong = Client.Connection(host, "wrong horse battery", user: "app_user"))
            Assert.Equal("28P01", (await Assert.ThrowsAsync<PostgresException>(() => wrong.OpenAsync())).SqlState);

        await Server.RunAsync(HttpMethod.Patch, $"{project}?update_mask=spec.enable_pg_native_login", new { spec = new { enable_pg_native_login = false } });
        await using var refused = Client.Connection(host, "correct horse battery", user: "app_user");
        Assert.Equal("28P01", (await Assert.ThrowsAsync<PostgresException>(() => refused.OpenAsync())).SqlState);
    }

    /// <summary>A branch made from a protected branch gets new passwords for its native-password roles (lakebase-semantics
    /// §4.1 and §4.4): production's passwords do not open a development copy of it, whose owner sets new ones; a branch
    /// of an unprotected branch keeps its source's.</summary>
    [Fact]
    public async Task A_branch_of_a_protected_branch_does_not_take_its_native_passwords_along()
    {
        var (project, endpoint, host) = await Client.NewProtectedProjectAsync("app_user", "production secret 1");

        var (dev, devHost) = await BranchAsync(project, "dev", "production");
        Assert.Equal("28P01", await Client.LoginErrorAsync(devHost, "app_user", "production secret 1"));
        Assert.Null(await Client.LoginErrorAsync(host, "app_user", "production secret 1"));
        await Client.SetPasswordAsync(dev, devHost, "app_user", "dev secret 2");
        Assert.Null(await Client.LoginErrorAsync(devHost, "app_user", "dev secret 2"));

        var (_, featureHost) = await BranchAsync(project, "feature", "dev");
        Assert.Null(await Client.LoginErrorAsync(featureHost, "app_user", "dev secret 2"));
    }

    /// <summary>A reset of a child of a protected branch (lakebase-semantics §4.2) keeps the passwords the child's roles
    /// had and gives the roles new to it new ones: the parent's passwords reach it neither way.</summary>
    [Fact]
    public async Task Resetting_a_child_of_a_protected_branch_keeps_its_own_passwords_and_takes_none_of_its_parents()
    {
        var (project, endpoint, host) = await Client.NewProtectedProjectAsync("app_user", "production secret 1");
        var (dev, devHost) = await BranchAsync(project, "dev", "production");
        await Client.SetPasswordAsync(dev, devHost, "app_user", "dev secret 2");
        await Client.AddPasswordRoleAsync(project, "production", "reporter");
        await Client.SetPasswordAsync(endpoint, host, "reporter", "production secret 3");

        await Server.RunAsync(HttpMethod.Post, $"/api/2.0/lakebase-local/{project}/branches/dev/reset", new JsonObject());

        Assert.Null(await Client.LoginErrorAsync(devHost, "app_user", "dev secret 2"));
        Assert.Equal("28P01", await Client.LoginErrorAsync(devHost, "app_user", "production secret 1"));
        Assert.Equal("28P01", await Client.LoginErrorAsync(devHost, "reporter", "production secret 3"));
        Assert.Null(await Client.LoginErrorAsync(host, "reporter", "production secret 3"));
    }

    /// <summary>A reset of a child of a protected branch that fails once the child has its parent's copy (here its
    /// compute cannot start) leaves the child RESETTING, taking no sessions; a second reset finishes it, with new
    /// passwords for its roles: its own were lost with the failed reset, and its parent's it never takes.</summary>
    [Fact]
    public async Task A_failed_reset_of_a_child_of_a_protected_branch_is_finished_by_the_next_reset_without_its_parents_passwords()
    {
        var (project, _, _) = await Client.NewProtectedProjectAsync("app_user", "production secret 1");
        var (dev, devHost) = await BranchAsync(project, "dev", "production");
        await Client.SetPasswordAsync(dev, devHost, "app_user", "dev secret 2");
        var production = (await Server.GetAsync($"{project}/branches/production"))["uid"]!.GetValue<string>();
        var autoConf = Path.Combine(Server.Root, "branches", production, "pgdata", "postgresql.auto.conf");
        var settings = await File.ReadAllTextAsync(autoConf);
        // The running parent does not read it again; the copy the reset makes of it cannot start with it.
        await File.WriteAllTextAsync(autoConf, settings + "work_mem = = broken\n");
        var reset = $"/api/2.0/lakebase-local/{project}/branches/dev/reset";

        await Assert.ThrowsAsync<ApiCallException>(() => Server.RunAsync(HttpMethod.Post, reset, new JsonObject()));
        Assert.Equal("RESETTING", (await Server.GetAsync($"{project}/branches/dev"))["status"]!["current_state"]!.GetValue<string>());
        Assert.Equal("57P03", await Client.LoginErrorAsync(devHost, "app_user", "production secret 1"));

        await File.WriteAllTextAsync(autoConf, settings);
        // Its data is its parent's copy now, nothing of its own to keep under another name.
        var preserving = await Assert.ThrowsAsync<ApiCallException>(() => Server.SendAsync(HttpMethod.Post, reset, new JsonObject { ["preserve_under_name"] = "old-dev" }));
        Assert.Equal(400, preserving.Status);
        await Server.RunAsync(HttpMethod.Post, reset, new JsonObject());

        Assert.Equal("READY", (await Server.GetAsync($"{project}/branches/dev"))["status"]!["current_state"]!.GetValue<string>());
        Assert.Equal("28P01", await Client.LoginErrorAsync(devHost, "app_user", "production secret 1"));
        Assert.Equal("28P01", await Client.LoginErrorAsync(devHost, "app_user", "dev secret 2"));
    }

    private async Task<(string Endpoint, string Host)> BranchAsync(string project, string branchId, string source)
    {
        await Server.RunAsync(HttpMethod.Post, $"{project}/branches?branch_id={branchId}", new { spec = new { source_branch = $"{project}/branches/{source}", no_expiry = true } });
        var endpoint = $"{project}/branches/{branchId}/endpoints/primary";
        return (endpoint, (await Server.GetAsync(endpoint))["status"]!["hosts"]!["host"]!.GetValue<string>());
    }

    /// <summary>A branch still being made takes no session: until its create is done, its endpoint refuses every
    /// connection with 57P03 (cannot connect now) and says why, so nothing half-made is reached (a restore that has
    /// promoted but is not recorded yet, a copy of a protected branch that still has its source's passwords); then it
    /// serves the moment it was made at.</summary>
    [Fact]
    public async Task An_endpoint_of_a_branch_still_being_created_refuses_sessions_until_it_is_ready()
    {
        var (endpoint, _) = await Client.NewProjectAsync();
        var project = endpoint[..endpoint.IndexOf("/branches/", StringComparison.Ordinal)];
        await using (var owner = await Server.ConnectAsync(endpoint))
        {
            await using var create = new NpgsqlCommand("CREATE TABLE orders (id int); INSERT INTO orders VALUES (1)", owner);
            await create.ExecuteNonQueryAsync();
        }
        var moment = DateTimeOffset.UtcNow;
        await Task.Delay(50);
        await using (var owner = await Server.ConnectAsync(endpoint))
        {
            // About 150 MB of WAL after the moment, so the restore takes long enough to be asked during it.
            await using var burst = new NpgsqlCommand("INSERT INTO orders VALUES (2); CREATE TABLE scratch AS SELECT repeat(md5(g::text), 30) " +
                "FROM generate_series(1, 150000) g; DROP TABLE scratch", owner);
            await burst.ExecuteNonQueryAsync();
        }
        await Server.SendAsync(HttpMethod.Post, $"{project}/branches?branch_id=past", new { spec = new { source_branch_time = moment.ToString("O"), no_expiry = true } });
        var past = $"{project}/branches/past/endpoints/primary";
        var uid = (await Server.GetAsync(past))["uid"]!.GetValue<string>();
        var token = await TokenAsync(past);

        // Through the proxy's shared port, which routes by endpoint id from the moment the endpoint is recorded.
        var refusals = 0;
        while (true)
        {
            await using var connection = Client.Connection("127.0.0.1", token, port: Server.Info.ProxyPort, options: $"endpoint={uid}");
            try
            {
                await connection.OpenAsync();
            }
            catch (PostgresException refused)
            {
                Assert.Equal("57P03", refused.SqlState);
                Assert.Contains("still being created", refused.MessageText);
                refusals++;
                await Task.Delay(5);
                continue;
            }
            Assert.Equal("READY", (await Server.GetAsync($"{project}/branches/past"))["status"]!["current_state"]!.GetValue<string>());
            await using var count = new NpgsqlCommand("SELECT count(*) FROM orders", connection);
            Assert.Equal(1L, await count.ExecuteScalarAsync());
            break;
        }
        Assert.True(refusals > 0, "No connection was tried while the branch was being created.");
    }

    [Fact]
    public async Task Psql_connects_to_the_endpoint_host_with_the_token_as_password()
    {
        var (endpoint, host) = await NewProjectAsync();
        var psql = new ProcessStartInfo("psql") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { $"host={host} user={User} dbname=databricks_postgres sslmode=require", "-At", "-c", "SELECT 'hello from ' || current_user" })
            psql.ArgumentList.Add(argument);
        psql.Environment["PGPASSWORD"] = await TokenAsync(endpoint);
        using var process = Process.Start(psql)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, error);
        Assert.Equal($"hello from {User}", output.Trim());
    }
}
