using System.Text;
using Lakebase.Local.Platform;

namespace Lakebase.Local.Compute;

/// <summary>
/// One endpoint's PgBouncer (Debian's pgbouncer package, which .ci/bootstrap installs), run under the same unprivileged
/// account as its compute and daemonized, as postmasters are. It lives as long as its compute runs: stopped first when
/// the compute stops or suspends (so its clients are closed, as a compute's own sessions are), started again by the
/// next pooled connection. Its configuration is owner-only and holds only values Lakebase Local made.
/// </summary>
internal sealed class PgBouncerProcess
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(5);

    private PgBouncerProcess(PoolerConfiguration configuration, int pid)
    {
        Configuration = configuration;
        Pid = pid;
    }

    public PoolerConfiguration Configuration { get; }
    public int Pid { get; }
    public bool IsAlive => Posix.IsAlive(Pid) && IsPgBouncerOf(Pid, Configuration);

    /// <summary>Where the pgbouncer executable is: Debian's place, else the PATH; null when it is not installed.</summary>
    public static string? Executable { get; } = new[] { "/usr/sbin", "/usr/local/sbin", "/opt/homebrew/bin", "/usr/local/bin" }
        .Concat((Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        .Select(directory => Path.Combine(directory, "pgbouncer"))
        .FirstOrDefault(File.Exists);

    /// <summary>Writes the configuration and starts PgBouncer; returns once its socket accepts connections. A start
    /// that fails takes down what it launched.</summary>
    public static async Task<PgBouncerProcess> StartAsync(ServiceAccount account, PoolerConfiguration configuration, CancellationToken cancellationToken)
    {
        var executable = Executable ?? throw new InvalidOperationException("PgBouncer is not installed (run .ci/bootstrap, or install the pgbouncer package).");
        var text = configuration.Render();
        account.CreateOwnedDirectory(configuration.Directory);
        // What a PgBouncer killed with the previous server left: it would take the pid file or socket for a live one.
        foreach (var stale in new[] { configuration.PidFile, configuration.SocketFile, configuration.SocketFile + ".lock" }) File.Delete(stale);
        OwnerOnlyFile.Write(configuration.ConfigurationFile, Encoding.UTF8.GetBytes(text));
        if (account.UserName is not null) Posix.Chown(configuration.ConfigurationFile, account.Uid, account.Gid);
        try
        {
            await CommandRunner.RunCheckedAsync(account.Wrap([executable, "-d", "-q", configuration.ConfigurationFile]), cancellationToken).ConfigureAwait(false);
            return await WaitReadyAsync(configuration, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            if (ReadPid(configuration) is { } pid && IsPgBouncerOf(pid, configuration)) await StopAsync(pid).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Immediate shutdown (SIGTERM): its clients' connections are closed and its server connections end.</summary>
    public Task StopAsync() => IsAlive ? StopAsync(Pid) : Task.CompletedTask;

    private static async Task StopAsync(int pid)
    {
        Posix.Signal(pid, Posix.SigTerm);
        var deadline = DateTime.UtcNow + StopTimeout;
        while (Posix.IsAlive(pid))
        {
            if (DateTime.UtcNow > deadline) Posix.Signal(pid, Posix.SigKill);
            await Task.Delay(PollInterval).ConfigureAwait(false);
        }
    }

    /// <summary>Polls for the pid file and the socket; fails when the daemon exited (its log says why) or at the timeout.</summary>
    private static async Task<PgBouncerProcess> WaitReadyAsync(PoolerConfiguration configuration, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            var pid = ReadPid(configuration);
            if (pid is { } running && File.Exists(configuration.SocketFile) && IsPgBouncerOf(running, configuration))
                return new PgBouncerProcess(configuration, running);
            if ((pid is { } exited && !Posix.IsAlive(exited)) || DateTime.UtcNow > deadline)
                throw new InvalidOperationException($"PgBouncer did not start: {LastLogLine(configuration) ?? "no reason logged"} (log: {configuration.LogFile}).");
            await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A pid file is only a claim: the process must be pgbouncer running this configuration.</summary>
    private static bool IsPgBouncerOf(int pid, PoolerConfiguration configuration)
    {
        if (!ProcessTable.IsSupported) return true;
        var arguments = ProcessTable.CommandLine(pid);
        return arguments.Count > 0 && Path.GetFileName(arguments[0]) == "pgbouncer" && arguments.Contains(configuration.ConfigurationFile);
    }

    private static int? ReadPid(PoolerConfiguration configuration)
    {
        try
        {
            return int.TryParse(File.ReadAllText(configuration.PidFile).Trim(), out var pid) && pid > 0 ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static string? LastLogLine(PoolerConfiguration configuration)
    {
        try
        {
            using var stream = new FileStream(configuration.LogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            return new StreamReader(stream).ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault()?.Trim();
        }
        catch (IOException)
        {
            return null;
        }
    }
}
