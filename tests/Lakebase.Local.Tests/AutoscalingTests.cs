using System.Text.Json.Nodes;
using Lakebase.Local.Postgres;
using Lakebase.Local.Compute;
using Npgsql;
using Xunit;
using QuerySessions = System.Collections.Generic.List<(Npgsql.NpgsqlConnection Connection, Npgsql.NpgsqlCommand Command, System.Threading.Tasks.Task Running)>;

namespace Lakebase.Local.Tests;

/// <summary>A server that samples load five times a second and shrinks a compute after a second of lower load.</summary>
public sealed class FastAutoscalingServer : IAsyncLifetime
{
    public LocalServerProcess Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await LocalServerProcess.StartAsync("--autoscale-interval", "0.2", "--scale-down-delay", "1");

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

public sealed class AutoscalingTests(FastAutoscalingServer shared) : IClassFixture<FastAutoscalingServer>
{
    private LocalServerProcess Server => shared.Server;
    private ProxyClient Client => new(shared.Server);

    [Fact]
    public async Task Concurrent_queries_grow_the_compute_up_to_its_maximum_and_it_shrinks_back_when_they_end()
    {
        var (endpoint, host) = await NewProjectFrom05To2CuAsync();
        var observed = new List<double>();
        Assert.Equal(0.5, await WaitForSizeAsync(endpoint, cu => cu == 0.5, observed));

        var sessions = await StartFourQueriesAsync(endpoint, host);
        Assert.Equal(2, await WaitForSizeAsync(endpoint, cu => cu == 2, observed));
        await WaitForWorkMemAsync(endpoint, cu: 2);

        await CancelAsync(sessions);
        Assert.Equal(0.5, await WaitForSizeAsync(endpoint, cu => cu == 0.5, observed));
        await WaitForWorkMemAsync(endpoint, cu: 0.5);
        Assert.All(observed, cu => Assert.InRange(cu, 0.5, 2));
    }

    /// <summary>A resize the file system refuses (the compute's settings file cannot be rewritten) leaves the compute
    /// at its size with a warning, and the server serving; once the file can be written, the compute grows.</summary>
    [Fact]
    public async Task A_resize_the_file_system_refuses_leaves_the_compute_at_its_size_and_the_server_serving()
    {
        var (endpoint, host) = await NewProjectFrom05To2CuAsync();
        var observed = new List<double>();
        Assert.Equal(0.5, await WaitForSizeAsync(endpoint, cu => cu == 0.5, observed));
        var endpointUid = (await Server.GetAsync(endpoint))["uid"]!.GetValue<string>();
        var (data, _) = await Server.PostmasterAsync(endpoint[..endpoint.IndexOf("/endpoints/", StringComparison.Ordinal)]);
        var settings = Path.Combine(data, "lakebase.conf");

        await Immutable.SetAsync(settings, true);
        QuerySessions sessions;
        try
        {
            sessions = await StartFourQueriesAsync(endpoint, host);
            await Poll.UntilAsync(() => Server.Output.Contains($"Could not sample or resize {endpointUid}", StringComparison.Ordinal), TimeSpan.FromSeconds(30),
                () => $"The refused resize was not reported. The server's output ends:\n{Server.Output[^Math.Min(2000, Server.Output.Length)..]}");
            // Below the 2 CU the queries ask for (a new compute's own start-up work may have grown it to 1 before the
            // file was made read-only).
            Assert.True(await WaitForSizeAsync(endpoint, _ => true, observed) < 2, $"The compute grew to 2 CU: {string.Join(", ", observed)}.");
        }
        finally
        {
            await Immutable.SetAsync(settings, false);
        }
        Assert.Equal(2, await WaitForSizeAsync(endpoint, cu => cu == 2, observed));
        await CancelAsync(sessions);
    }

    private Task<(string Endpoint, string Host)> NewProjectFrom05To2CuAsync() => Client.NewProjectAsync(new
    {
        default_endpoint_settings = new { autoscaling_limit_min_cu = 0.5, autoscaling_limit_max_cu = 2, suspend_timeout_duration = "86400s" },
    });

    /// <summary>Four queries running at once, which ask for 4 CU (an endpoint of at most 2 may grow to 2).</summary>
    private async Task<QuerySessions> StartFourQueriesAsync(string endpoint, string host)
    {
        var sessions = new QuerySessions();
        for (var i = 0; i < 4; i++)
        {
            var connection = await Client.OpenAsync(endpoint, host);
            var command = new NpgsqlCommand("SELECT pg_sleep(120)", connection) { CommandTimeout = 180 };
            sessions.Add((connection, command, command.ExecuteNonQueryAsync()));
        }
        return sessions;
    }

    private static async Task CancelAsync(QuerySessions sessions)
    {
        foreach (var (connection, command, running) in sessions)
        {
            // The cancel request goes through the proxy too; Npgsql reports it as a cancellation caused by 57014.
            command.Cancel();
            var cancelled = await Assert.ThrowsAsync<OperationCanceledException>(() => running);
            Assert.Equal("57014", Assert.IsType<PostgresException>(cancelled.InnerException).SqlState);
            await command.DisposeAsync();
            await connection.DisposeAsync();
        }
    }

    /// <summary>Waits until a new session sees the work_mem of a compute at <paramref name="cu"/> (of at most 2 CU):
    /// the size is reported once the reload is signalled, and postgres applies it a moment later.</summary>
    private async Task WaitForWorkMemAsync(string endpoint, double cu)
    {
        var expected = ComputeSize.Settings(cu, maxCu: 2, connectionsCu: 2)["work_mem"];
        var deadline = DateTime.UtcNow.AddSeconds(30);
        string? seen;
        while ((seen = await Server.QueryAsync<string>(endpoint, "SHOW work_mem")) != expected && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.Equal(expected, seen);
    }

    /// <summary>Polls Lakebase Local's compute report until the endpoint's current size satisfies the condition,
    /// recording every size it reports on the way.</summary>
    private async Task<double> WaitForSizeAsync(string endpoint, Func<double, bool> condition, List<double> observed)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var computes = (await Server.GetAsync("/api/2.0/lakebase-local/computes"))["computes"]!.AsArray();
            var compute = computes.Single(c => c!["endpoint"]!.GetValue<string>() == endpoint)!;
            if (compute["current_cu"] is JsonNode size)
            {
                observed.Add(size.GetValue<double>());
                if (condition(observed[^1])) return observed[^1];
            }
            Assert.True(DateTime.UtcNow < deadline, $"the compute's size never got there; it reported {string.Join(", ", observed)}");
            await Task.Delay(100);
        }
    }
}
