using System.Diagnostics;
using System.Text.Json;
using Lakebase.Contract.Json;
using Lakebase.Contract.Local;

namespace Lakebase.Client.Local;

/// <summary>How to start Lakebase Local.</summary>
public sealed record LocalServerStartOptions
{
    /// <summary>Null: $LAKEBASE_LOCAL_ROOT or the per-user default.</summary>
    public string? StateRoot { get; init; }
    /// <summary>0 picks a free port.</summary>
    public int Port { get; init; } = 8470;
    /// <summary>Lakebase.Local.dll (the module ships it under local/).</summary>
    public required string ServerPath { get; init; }
    /// <summary>Folder holding {major}/bin/postgres (the server's --pg-root); null for /usr/lib/postgresql.</summary>
    public string? PostgresRoot { get; init; }
    /// <summary>A PostgreSQL bin folder such as /usr/lib/postgresql/16/bin; its grandparent becomes --pg-root
    /// (ignored when <see cref="PostgresRoot"/> is set).</summary>
    public string? PostgresBinDirectory { get; init; }
    /// <summary>The majors to make available before the server starts (downloading missing ones unless offline);
    /// null starts the server with whatever is installed.</summary>
    public PostgresProvisioning? Postgres { get; init; }
    /// <summary>Branches at a past time as overlays on their base snapshot where the server can mount them (its
    /// --overlays).</summary>
    public bool Overlays { get; init; }
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>Finds, starts and stops the Lakebase Local server on this machine through its server.json.</summary>
public static class LocalServer
{
    private static readonly HttpClient Probe = new() { Timeout = TimeSpan.FromSeconds(5) };

    public static string ResolveRoot(string? stateRoot) => stateRoot is null ? LocalPaths.DefaultStateRoot() : Path.GetFullPath(stateRoot);

    /// <summary>The running server of a state root, or null when none answers.</summary>
    public static async Task<LocalServerInfo?> FindRunningAsync(string? stateRoot, CancellationToken cancellationToken = default)
    {
        var file = LocalPaths.ServerInfoFile(ResolveRoot(stateRoot));
        if (!File.Exists(file)) return null;
        LocalServerInfo? info;
        try
        {
            info = JsonSerializer.Deserialize<LocalServerInfo>(await File.ReadAllTextAsync(file, cancellationToken).ConfigureAwait(false), WireJson.Options);
        }
        catch (Exception ex) when (ex is JsonException or IOException)
        {
            return null;
        }
        if (info?.ApiUrl is null || !IsAlive(info.Pid)) return null;
        try
        {
            using var response = await Probe.GetAsync(info.ApiUrl + "/api/2.0/lakebase-local/health", cancellationToken).ConfigureAwait(false);
            return response.IsSuccessStatusCode ? info : null;
        }
        catch (HttpRequestException)
        {
            return null;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null; // the probe's own timeout: not answering
        }
    }

    /// <summary>Starts the server detached (it outlives this process), logging to {root}/server.log, and waits until it
    /// answers; first installs the PostgreSQL majors <see cref="LocalServerStartOptions.Postgres"/> names when missing.</summary>
    public static async Task<LocalServerInfo> StartAsync(LocalServerStartOptions options, IProgress<PostgresInstallProgress>? postgresProgress = null,
        CancellationToken cancellationToken = default)
    {
        if (!LocalPlatform.IsSupported) throw new PlatformNotSupportedException(LocalPlatform.NotSupportedMessage);
        var root = ResolveRoot(options.StateRoot);
        if (await FindRunningAsync(root, cancellationToken).ConfigureAwait(false) is { } running) return running;
        if (!File.Exists(options.ServerPath)) throw new FileNotFoundException($"Lakebase Local is not at {options.ServerPath}.", options.ServerPath);
        if (options.Postgres is { } postgres)
            await PostgresPackages.EnsureAsync(PostgresRootOf(options), postgres, postgresProgress, cancellationToken).ConfigureAwait(false);
        Directory.CreateDirectory(root);
        File.SetUnixFileMode(root, (UnixFileMode)0b111_101_101);
        var log = Path.Combine(root, "server.log");

        var arguments = new List<string> { options.ServerPath, "--root", root, "--port", options.Port.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        if (PostgresRootOf(options) is { } postgresRoot) arguments.AddRange(["--pg-root", postgresRoot]);
        if (options.Overlays) arguments.Add("--overlays");
        // A shell detaches the server from this process's lifetime and sends its output to the log file, and prints
        // the server's pid so an early exit is noticed at once instead of after the whole start timeout.
        var startInfo = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardOutput = true };
        startInfo.ArgumentList.Add("-c");
        startInfo.ArgumentList.Add("nohup \"$0\" \"$@\" >>\"$LAKEBASE_LOG\" 2>&1 </dev/null & echo $!");
        startInfo.ArgumentList.Add(DotnetHost());
        foreach (var argument in arguments) startInfo.ArgumentList.Add(argument);
        startInfo.Environment["LAKEBASE_LOG"] = log;
        using var shell = Process.Start(startInfo)!;
        var printed = await shell.StandardOutput.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        await shell.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        int? launchedPid = int.TryParse(printed.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var shellPid)
            ? shellPid
            : null;

        var deadline = DateTime.UtcNow + options.StartTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await FindRunningAsync(root, cancellationToken).ConfigureAwait(false) is { } info) return info;
            if (launchedPid is { } pid && !IsAlive(pid))
                throw new InvalidOperationException($"Lakebase Local exited during start. Last lines of {log}:{Environment.NewLine}{await TailAsync(log, cancellationToken).ConfigureAwait(false)}");
            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
        throw new TimeoutException(
            $"Lakebase Local did not start within {options.StartTimeout.TotalSeconds:0} s. Last lines of {log}:{Environment.NewLine}{await TailAsync(log, cancellationToken).ConfigureAwait(false)}");
    }

    /// <summary>Asks the server to shut down (it stops its computes first) and waits for its process to end.</summary>
    public static async Task StopAsync(LocalServerInfo server, CancellationToken cancellationToken = default)
    {
        using (var request = new HttpRequestMessage(HttpMethod.Post, server.ApiUrl + "/api/2.0/lakebase-local/shutdown"))
        {
            request.Headers.Authorization = new("Bearer", ReadToken(server));
            try { (await Probe.SendAsync(request, cancellationToken).ConfigureAwait(false)).Dispose(); }
            catch (HttpRequestException) { }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested) { }
        }
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (IsAlive(server.Pid) && DateTime.UtcNow < deadline) await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        if (!IsAlive(server.Pid)) return;
        try
        {
            using var process = Process.GetProcessById(server.Pid);
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            // exited meanwhile
        }
    }

    /// <summary>A config for the server's local user (admin token) that trusts its CA.</summary>
    public static LakebaseConfig CreateConfig(LocalServerInfo server) => new()
    {
        Host = server.ApiUrl,
        Token = ReadToken(server),
        AuthType = "pat",
        LocalCaCertificateFile = server.CaCertificateFile ?? Path.Combine(server.StateRoot ?? "", "tls", "ca.pem"),
    };

    private static string ReadToken(LocalServerInfo server) =>
        File.ReadAllText(server.AdminTokenFile ?? throw new InvalidOperationException("server.json names no admin token file.")).Trim();

    internal static string? PostgresRootOf(LocalServerStartOptions options)
    {
        if (options.PostgresRoot is not null) return Path.GetFullPath(options.PostgresRoot);
        if (options.PostgresBinDirectory is null) return null;
        // {root}/{major}/bin → {root}
        var bin = new DirectoryInfo(Path.GetFullPath(options.PostgresBinDirectory).TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar));
        return bin.Parent?.Parent?.FullName ?? bin.FullName;
    }

    private static async Task<string> TailAsync(string log, CancellationToken cancellationToken)
    {
        if (!File.Exists(log)) return "(no log)";
        var lines = await File.ReadAllLinesAsync(log, cancellationToken).ConfigureAwait(false);
        return string.Join(Environment.NewLine, lines.TakeLast(20));
    }


    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>The dotnet host running us (pwsh as a .NET tool runs under it too), else dotnet from PATH.</summary>
    private static string DotnetHost()
    {
        var current = Environment.ProcessPath;
        return current is not null && Path.GetFileNameWithoutExtension(current) == "dotnet" ? current : "dotnet";
    }
}
