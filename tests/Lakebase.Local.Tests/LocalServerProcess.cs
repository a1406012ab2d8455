using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Lakebase.Contract.Json;
using Lakebase.Contract.Local;
using Npgsql;
using Xunit;

namespace Lakebase.Local.Tests;

/// <summary>
/// A real Lakebase Local process on a free port with its own state root, driven over HTTP as a client would.
/// Disposing stops it by process id and stops any postmaster left under its root.
/// </summary>
public sealed class LocalServerProcess : IAsyncDisposable
{
    private Process _process;

    private string[] _arguments;

    private StringBuilder _log;

    private LocalServerProcess(string root, string[] arguments, Process process, StringBuilder log, LocalServerInfo info, string token)
    {
        _log = log;
        Root = root;
        _arguments = arguments;
        _process = process;
        Info = info;
        Http = NewClient(info.ApiUrl!, token);
    }

    public string Root { get; }
    public LocalServerInfo Info { get; private set; }
    public HttpClient Http { get; private set; }

    /// <summary>What the server has written to stdout and stderr so far.</summary>
    public string Output
    {
        get { lock (_log) return _log.ToString(); }
    }

    /// <summary>Whether the server process still runs.</summary>
    public bool IsRunning => !_process.HasExited;

    /// <summary>Starts a server on a new state root; the proxy's shared port is a free one.</summary>
    public static async Task<LocalServerProcess> StartAsync(params string[] arguments)
    {
        var root = NewRoot();
        var (process, log, info) = await LaunchAsync(root, arguments);
        return new LocalServerProcess(root, arguments, process, log, info, (await File.ReadAllTextAsync(info.AdminTokenFile!)).Trim());
    }

    /// <summary>Starts a server on a state root the test prepared (files planted to check how the server treats them).</summary>
    public static async Task<LocalServerProcess> StartInAsync(string root, params string[] arguments)
    {
        var (process, log, info) = await LaunchAsync(root, arguments);
        return new LocalServerProcess(root, arguments, process, log, info, (await File.ReadAllTextAsync(info.AdminTokenFile!)).Trim());
    }

    /// <summary>A state root under /tmp that the unprivileged postgres account can traverse.</summary>
    public static string NewRoot()
    {
        var root = Path.Combine(Path.GetTempPath(), "lbt-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(root);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(root, (UnixFileMode)0b111_101_101);
        return root;
    }

    /// <summary>SIGKILL: the server dies mid-flight, as in a crash; its postmasters keep running.</summary>
    public async Task CrashAsync()
    {
        _process.Kill(entireProcessTree: false);
        await _process.WaitForExitAsync();
    }

    /// <summary>An orderly stop, as Stop-LakebaseLocal asks for it.</summary>
    public async Task StopAsync()
    {
        if (_process.HasExited) return;
        await Http.PostAsync("/api/2.0/lakebase-local/shutdown", null);
        await _process.WaitForExitAsync();
    }

    /// <summary>Starts the server again on the same state root (after a crash or a stop), with the same arguments
    /// unless others are given.</summary>
    public async Task RestartAsync(string[]? arguments = null)
    {
        await StopAsync();
        _arguments = arguments ?? _arguments;
        Http.Dispose();
        (_process, _log, Info) = await LaunchAsync(Root, _arguments);
        Http = NewClient(Info.ApiUrl!, (await File.ReadAllTextAsync(Info.AdminTokenFile!)).Trim());
    }

    public async Task<JsonObject> GetAsync(string path) => await SendAsync(HttpMethod.Get, path, null);

    public async Task<JsonObject> SendAsync(HttpMethod method, string path, object? body)
    {
        using var response = await SendRawAsync(method, path, body);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new ApiCallException((int)response.StatusCode, JsonNode.Parse(text)!.AsObject());
        return text.Length == 0 ? [] : JsonNode.Parse(text)!.AsObject();
    }

    public async Task<HttpResponseMessage> SendRawAsync(HttpMethod method, string path, object? body)
    {
        var request = new HttpRequestMessage(method, path.StartsWith('/') ? path : "/api/2.0/postgres/" + path);
        if (body is not null)
        {
            var json = body as string ?? (body is JsonNode node ? node.ToJsonString() : JsonSerializer.Serialize(body, WireJson.Options));
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }
        return await Http.SendAsync(request);
    }

    /// <summary>Starts a long-running call and polls its operation until done; returns the response or throws its error.</summary>
    public async Task<JsonObject> RunAsync(HttpMethod method, string path, object? body = null)
    {
        var operation = await SendAsync(method, path, body);
        return await WaitAsync(operation);
    }

    public async Task<JsonObject> WaitAsync(JsonObject operation)
    {
        // A bound, not a measure: a first project on a fresh root runs initdb, which takes minutes on a busy 2-core machine.
        var deadline = DateTime.UtcNow.AddMinutes(5);
        while (operation["done"]?.GetValue<bool>() != true)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Operation {operation["name"]} did not finish.");
            await Task.Delay(50);
            operation = await GetAsync(operation["name"]!.GetValue<string>());
        }
        if (operation["error"] is JsonObject error) throw new ApiCallException(0, error);
        return operation["response"]!.AsObject();
    }

    /// <summary>An admin connection to a compute through its private socket: checks what really exists in PostgreSQL.</summary>
    public async Task<NpgsqlConnection> ConnectAsync(string endpointName, string database = "databricks_postgres")
    {
        var endpoint = await GetAsync(endpointName);
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder
        {
            Host = Path.Combine(Root, "run", endpoint["uid"]!.GetValue<string>()),
            Username = "lakebase_admin",
            Database = database,
            Pooling = false,
        }.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    public async Task<T?> QueryAsync<T>(string endpointName, string sql, string database = "databricks_postgres")
    {
        await using var connection = await ConnectAsync(endpointName, database);
        await using var command = new NpgsqlCommand(sql, connection);
        var value = await command.ExecuteScalarAsync();
        return value is DBNull or null ? default : (T)value;
    }

    public async Task ExecuteAsync(string endpointName, string sql, string database = "databricks_postgres")
    {
        await using var connection = await ConnectAsync(endpointName, database);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Whether Lakebase Local runs the endpoint's compute now (GET /api/2.0/lakebase-local/computes).</summary>
    public async Task<bool> IsComputeRunningAsync(string endpointName) =>
        (await GetAsync("/api/2.0/lakebase-local/computes"))["computes"]!.AsArray()
            .Single(compute => compute!["endpoint"]!.GetValue<string>() == endpointName)!["running"]!.GetValue<bool>();

    /// <summary>What the last start repaired (GET /api/2.0/lakebase-local/recovery).</summary>
    public async Task<List<string>> RepairsAsync() =>
        (await GetAsync("/api/2.0/lakebase-local/recovery"))["repairs"]!.AsArray().Select(repair => repair!.GetValue<string>()).ToList();

    /// <summary>The data directory of a branch and the pid its postmaster.pid names (0 when there is none).</summary>
    public async Task<(string DataDirectory, int Pid)> PostmasterAsync(string branchName)
    {
        var data = Path.Combine(Root, "branches", (await GetAsync(branchName))["uid"]!.GetValue<string>(), "pgdata");
        var pidFile = Path.Combine(data, "postmaster.pid");
        return (data, File.Exists(pidFile) && int.TryParse(File.ReadLines(pidFile).First(), out var pid) ? pid : 0);
    }

    /// <summary>Creates a project and waits for it.</summary>
    public Task<JsonObject> CreateProjectAsync(string projectId, object? spec = null) =>
        RunAsync(HttpMethod.Post, $"projects?project_id={projectId}", new { spec = spec ?? new { display_name = projectId } });

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try { await Http.PostAsync("/api/2.0/lakebase-local/shutdown", null); }
            catch (HttpRequestException) { }
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try { await _process.WaitForExitAsync(timeout.Token); }
            catch (OperationCanceledException) { _process.Kill(); }
        }
        Http.Dispose();
        StopStrayPostmasters(Root);
        // A crashed server leaves its branches' overlays mounted, as a crash would.
        Lakebase.Local.Platform.Mounts.DetachUnder(Root);
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
    }

    /// <summary>Postmasters outlive a crashed server by design; a test must not leave them behind.</summary>
    private static void StopStrayPostmasters(string root)
    {
        foreach (var pidFile in Directory.EnumerateFiles(root, "postmaster.pid", SearchOption.AllDirectories))
        {
            if (int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), out var pid))
            {
                try { Process.Start("kill", ["-INT", pid.ToString()])!.WaitForExit(); }
                catch (System.ComponentModel.Win32Exception) { }
                for (var i = 0; i < 200 && File.Exists(pidFile); i++) Thread.Sleep(25);
            }
        }
    }

    private static async Task<(Process, StringBuilder, LocalServerInfo)> LaunchAsync(string root, string[] arguments)
    {
        var serverInfo = LocalPaths.ServerInfoFile(root);
        File.Delete(serverInfo);
        var startInfo = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "Lakebase.Local.dll"), "--root", root, "--port", "0", "--proxy-port", "0" }.Concat(arguments))
            startInfo.ArgumentList.Add(argument);
        var process = Process.Start(startInfo)!;
        var log = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        // A bound, not a measure: a restart after a crash recovers every compute first, seconds each on a loaded machine.
        var deadline = DateTime.UtcNow.AddMinutes(5);
        while (!File.Exists(serverInfo))
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                // After an exit, the parameterless wait also waits for the output readers, so the log is complete.
                if (process.HasExited) process.WaitForExit();
                lock (log) throw new InvalidOperationException($"Lakebase Local did not start:\n{log}");
            }
            await Task.Delay(25);
        }
        return (process, log, JsonSerializer.Deserialize<LocalServerInfo>(await File.ReadAllTextAsync(serverInfo), WireJson.Options)!);
    }

    private static HttpClient NewClient(string apiUrl, string token)
    {
        var client = new HttpClient { BaseAddress = new Uri(apiUrl), Timeout = TimeSpan.FromMinutes(2) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }
}

/// <summary>An error answer: the HTTP status (0 for a failed operation) and the error body.</summary>
public sealed class ApiCallException(int status, JsonObject error) : Exception($"{status} {error["error_code"]}: {error["message"]}")
{
    public int Status { get; } = status;
    public string? ErrorCode { get; } = error["error_code"]?.GetValue<string>();
    public string? ErrorMessage { get; } = error["message"]?.GetValue<string>();
    public JsonObject Error { get; } = error;
}

/// <summary>One server shared by the tests of a class; each test uses its own project.</summary>
public sealed class SharedServer : IAsyncLifetime
{
    public LocalServerProcess Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await LocalServerProcess.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();

    public static string NewId(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..8]}";
}
