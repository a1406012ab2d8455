using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;
using Xunit;
using Xunit.Abstractions;

namespace Lakebase.Local.Tests.Security;

/// <summary>A server whose handshake timeout is seconds, and whose credentials can expire in a second.</summary>
public sealed class HostileClientServer : IAsyncLifetime
{
    public LocalServerProcess Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await LocalServerProcess.StartAsync("--handshake-timeout", "10", "--min-credential-ttl", "1");

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>Clients that stall, flood or send garbage before they authenticate cost the proxy bounded work, are cut
/// off, and never disturb a legitimate session.</summary>
public sealed class HostileClientTests(HostileClientServer shared, ITestOutputHelper output) : IClassFixture<HostileClientServer>
{
    private LocalServerProcess Server => shared.Server;
    private ProxyClient Client => new(shared.Server);
    private IPAddress Shared => IPAddress.Loopback;

    /// <summary>Fuzz cases per run: about 10,000 in CI; bench/Proxy-Fuzz.ps1 sets more.</summary>
    private static int FuzzCases => int.TryParse(Environment.GetEnvironmentVariable("LAKEBASE_FUZZ_CASES"), out var cases) ? cases : 10_000;

    /// <summary>Cases in flight at once: most of a case is waiting for the server to close, so a long run goes
    /// faster with more (LAKEBASE_FUZZ_PARALLEL; bench/Proxy-Fuzz.ps1 -Parallel).</summary>
    private static int FuzzParallel => int.TryParse(Environment.GetEnvironmentVariable("LAKEBASE_FUZZ_PARALLEL"), out var parallel) ? parallel : 16;

    private static int FuzzSeed => int.TryParse(Environment.GetEnvironmentVariable("LAKEBASE_FUZZ_SEED"), out var seed) ? seed : Environment.TickCount;

    /// <summary>What the server's descriptors point at (socket:[inode], a path, anon_inode:...). Assemblies are left
    /// out: the runtime opens one the first time it needs it (System.Diagnostics.StackTrace at the first exception it
    /// describes) and keeps it for the process's life, which is loading, not a leak.</summary>
    private HashSet<string> OpenDescriptors() =>
        Directory.GetFiles($"/proc/{Server.Info.Pid}/fd").Select(fd => new FileInfo(fd).LinkTarget).OfType<string>()
            .Where(target => !target.EndsWith(".dll", StringComparison.Ordinal)).ToHashSet();

    private static string Kind(string target) => target.StartsWith("socket:", StringComparison.Ordinal) ? "socket" : target;

    /// <summary>Polls until the server holds no more descriptors than <paramref name="baseline"/>; returns what it holds.</summary>
    private async Task<HashSet<string>> DescriptorsSettledAtAsync(int baseline)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        HashSet<string> open;
        while ((open = OpenDescriptors()).Count > baseline && DateTime.UtcNow < deadline) await Task.Delay(250);
        return open;
    }

    [Fact]
    public async Task Handshakes_beyond_the_per_source_cap_are_refused_at_once_and_a_freed_slot_serves_again()
    {
        var (endpoint, host) = await Client.NewProjectAsync();
        var source = IPAddress.Parse("127.77.0.1");
        var cap = new Proxy.SessionLimits().MaxHandshakesPerSource;
        var stalled = new List<Socket>();
        try
        {
            for (var i = 0; i < cap; i++) stalled.Add(await Wire.ConnectAsync(Shared, Server.Info.ProxyPort, source));
            using (var over = await Wire.ConnectAsync(Shared, Server.Info.ProxyPort, source))
            using (var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
            {
                var refusal = await Wire.ReadMessageAsync(new NetworkStream(over), deadline.Token);
                Assert.True(refusal is { Type: (byte)'E' }, "a handshake over the per-source cap was held instead of refused");
                Assert.Equal("53300", Wire.SqlState(refusal.Value.Body));
            }

            await using var legitimate = await Client.OpenAsync(endpoint, host);
            await using (var command = new NpgsqlCommand("SELECT 1", legitimate)) Assert.Equal(1, await command.ExecuteScalarAsync());
        }
        finally
        {
            foreach (var socket in stalled) socket.Dispose();
        }

        // The stalled connections' slots come back as the proxy sees them close.
        var until = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            using var again = await Wire.ConnectAsync(Shared, Server.Info.ProxyPort, source);
            var stream = new NetworkStream(again);
            await stream.WriteAsync(Wire.Request(Wire.SslRequestCode));
            var answer = new byte[1];
            if (await stream.ReadAsync(answer) == 1 && answer[0] == (byte)'S') break;
            Assert.True(DateTime.UtcNow < until, "the per-source slots never came back");
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task Five_hundred_slowloris_clients_leave_a_legitimate_client_its_session_and_are_cut_off_at_the_handshake_timeout()
    {
        var (endpoint, host) = await Client.NewProjectAsync();
        var token = await Client.TokenAsync(endpoint);
        var slow = new List<Socket>();
        using var trickling = new CancellationTokenSource();
        try
        {
            // Ten sources, fifty each: under the per-source cap, so every one is held open, as a slowloris wants.
            for (var i = 0; i < 500; i++)
                slow.Add(await Wire.ConnectAsync(IPAddress.Parse(host), 5432, IPAddress.Parse($"127.78.0.{1 + i % 10}")));
            var startup = Wire.Startup(("user", ProxyClient.User), ("database", "databricks_postgres"), ("application_name", new string('s', 200)));
            var trickle = Task.Run(async () =>
            {
                for (var offset = 0; offset < startup.Length && !trickling.IsCancellationRequested; offset++)
                {
                    foreach (var socket in slow)
                    {
                        try { await socket.SendAsync(startup.AsMemory(offset, 1)); }
                        catch (SocketException) { }
                    }
                    await Task.Delay(TimeSpan.FromSeconds(1));
                }
            });

            await using (var legitimate = Client.Connection(host, token))
            {
                await legitimate.OpenAsync();
                await using var command = new NpgsqlCommand("SELECT 42", legitimate);
                Assert.Equal(42, await command.ExecuteScalarAsync());
            }

            var closed = await Task.WhenAll(slow.Select(socket => Wire.ClosedByServerAsync(new NetworkStream(socket), TimeSpan.FromSeconds(120))));
            Assert.Equal(500, closed.Count(c => c));
            await trickling.CancelAsync();
            await trickle;
        }
        finally
        {
            foreach (var socket in slow) socket.Dispose();
        }
    }

    [Fact]
    public async Task Fuzzed_startup_and_authentication_leave_no_escaped_exception_no_leaked_descriptor_and_no_error_in_a_concurrent_session()
    {
        var (endpoint, host) = await Client.NewProjectAsync();
        var (other, _) = await Client.NewProjectAsync();
        var uid = (await Server.GetAsync(endpoint))["uid"]!.GetValue<string>();
        var token = await Client.TokenAsync(endpoint);
        var expired = await Client.TokenAsync(endpoint, ttl: "1s");
        var targets = new FuzzTargets(
            [new IPEndPoint(IPAddress.Parse(host), 5432), new IPEndPoint(Shared, Server.Info.ProxyPort)], uid, ProxyClient.User, token,
            ["not-a-token", expired, await Client.TokenAsync(other), "password", "endpoint=" + uid + ";" + token]);
        var seed = FuzzSeed;
        var fuzzer = new ProxyFuzzer(targets, seed);
        await Task.Delay(TimeSpan.FromSeconds(1.5));

        // Warm up (certificates, TLS, thread pool) with the legitimate session already running, so the baseline
        // holds what a running session holds (its compute's admin connections included).
        for (var i = 0; i < 200; i++) await fuzzer.RunAsync(-1 - i);
        using var fuzzing = new CancellationTokenSource();
        var session = new LegitimateSession(Client, endpoint, host);
        var running = session.RunAsync(fuzzing.Token);
        while (session.Queries < 20 && !running.IsCompleted) await Task.Delay(100);
        var baseline = OpenDescriptors();

        var cases = FuzzCases;
        var hung = 0;
        var stopwatch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, cases), new ParallelOptions { MaxDegreeOfParallelism = FuzzParallel }, async (index, _) =>
        {
            if (!await fuzzer.RunAsync(index)) Interlocked.Increment(ref hung);
        });
        stopwatch.Stop();
        var settled = await DescriptorsSettledAtAsync(baseline.Count);
        await fuzzing.CancelAsync();
        await running;
        var (queries, errors) = (session.Queries, session.Errors);
        var escaped = Server.Output.Split('\n').Count(line => line.Contains("failed unexpectedly", StringComparison.Ordinal));

        output.WriteLine($"fuzz: {cases} cases, seed {seed}, {stopwatch.Elapsed.TotalSeconds:N0} s ({cases / stopwatch.Elapsed.TotalSeconds:N0} cases/s)");
        output.WriteLine($"fuzz: server running {Server.IsRunning}, escaped exceptions {escaped}, hung cases {hung}");
        output.WriteLine($"fuzz: descriptors baseline {baseline.Count}, after {settled.Count} (leaked {Math.Max(0, settled.Count - baseline.Count)})");
        foreach (var opened in settled.Except(baseline).GroupBy(Kind)) output.WriteLine($"fuzz: new descriptors: {opened.Count()} {opened.Key}");
        output.WriteLine($"fuzz: concurrent session {queries} queries, {errors.Count} errors{(errors.Count > 0 ? ": " + errors[0] : "")}");
        Assert.True(Server.IsRunning, "the server died");
        Assert.Equal(0, escaped);
        Assert.Equal(0, hung);
        Assert.Empty(errors);
        Assert.True(queries > 0, "the concurrent session never ran");
        Assert.True(settled.Count <= baseline.Count, $"the server holds {settled.Count} descriptors, {baseline.Count} before the fuzz run");
    }
}

/// <summary>A legitimate client throughout a fuzz run: one long session querying, and a fresh login with a fresh
/// credential every tenth query; counts its queries and keeps the errors it sees.</summary>
internal sealed class LegitimateSession(ProxyClient client, string endpoint, string host)
{
    private int _queries;

    public int Queries => Volatile.Read(ref _queries);

    public List<string> Errors { get; } = [];

    public async Task RunAsync(CancellationToken stopping)
    {
        try
        {
            await using var longLived = client.Connection(host, await client.TokenAsync(endpoint));
            await longLived.OpenAsync();
            while (!stopping.IsCancellationRequested)
            {
                await using (var command = new NpgsqlCommand("SELECT 1", longLived)) await command.ExecuteScalarAsync();
                if (Interlocked.Increment(ref _queries) % 10 == 0)
                {
                    await using var fresh = client.Connection(host, await client.TokenAsync(endpoint));
                    await fresh.OpenAsync();
                    await using var command = new NpgsqlCommand("SELECT 1", fresh);
                    await command.ExecuteScalarAsync();
                }
                await Task.Delay(20);
            }
        }
        catch (Exception ex) when (ex is NpgsqlException or IOException or TimeoutException or HttpRequestException or ApiCallException)
        {
            Errors.Add(ex.Message);
        }
    }
}
