using Lakebase.Local.Platform;
using Lakebase.Local.Storage;

namespace Lakebase.Local.Compute;

/// <summary>
/// One running postmaster. Started through pg_ctl without -w (pg_ctl -w polls every 100 ms; we watch postmaster.pid
/// every few ms instead), so the postmaster is detached from this server, logs to its own file and survives a crash
/// of Lakebase Local, which adopts it again on restart.
/// </summary>
internal sealed class PostgresProcess
{
    public const string LogFileName = "postgres.log";
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(5);

    private PostgresProcess(string dataDirectory, int pid)
    {
        DataDirectory = dataDirectory;
        Pid = pid;
    }

    public string DataDirectory { get; }
    public int Pid { get; }
    public bool IsAlive => Posix.IsAlive(Pid);

    public static async Task<PostgresProcess> StartAsync(PostgresBinaries binaries, ServiceAccount account, string dataDirectory, string socketDirectory,
        TimeSpan timeout, CancellationToken cancellationToken)
    {
        RemoveStaleLockFiles(dataDirectory, socketDirectory);
        var logFile = Path.Combine(Path.GetDirectoryName(dataDirectory)!, LogFileName);
        var logOffset = File.Exists(logFile) ? new FileInfo(logFile).Length : 0;
        await CommandRunner.RunCheckedAsync(account.Wrap([binaries.Tool("pg_ctl"), "start", "-D", dataDirectory, "-l", logFile, "-W", "-s"]),
            cancellationToken).ConfigureAwait(false);

        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var (pid, status) = ReadPidFile(PidFile(dataDirectory));
            if (pid > 0 && status == "ready") return new PostgresProcess(dataDirectory, pid);
            var failure = ReadFailure(logFile, logOffset);
            if (failure is not null || (pid > 0 && !Posix.IsAlive(pid)))
                throw new InvalidOperationException($"PostgreSQL did not start: {failure ?? "the postmaster exited"} (log: {logFile}).");
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"PostgreSQL did not become ready within {timeout.TotalSeconds:0} s (log: {logFile}).");
            await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The postmaster already serving this data directory, left by an earlier run of the server.</summary>
    public static PostgresProcess? Adopt(string dataDirectory)
    {
        var (pid, status) = ReadPidFile(PidFile(dataDirectory));
        return pid > 0 && status == "ready" && Posix.IsAlive(pid) ? new PostgresProcess(dataDirectory, pid) : null;
    }

    /// <summary>Immediate shutdown of whatever postmaster serves the directory, in any state (a start that failed
    /// halfway); WAL makes it safe, as after a crash.</summary>
    public static async Task KillAsync(string dataDirectory)
    {
        var (pid, _) = ReadPidFile(PidFile(dataDirectory));
        if (pid <= 0 || !Posix.Signal(pid, Posix.SigQuit)) return;
        while (Posix.IsAlive(pid)) await Task.Delay(PollInterval).ConfigureAwait(false);
    }

    /// <summary>Fast shutdown (SIGINT): sessions are ended, a checkpoint is written, then the postmaster exits.</summary>
    public async Task StopAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (!Posix.Signal(Pid, Posix.SigInt)) return;
        var deadline = DateTime.UtcNow + timeout;
        while (Posix.IsAlive(Pid) || File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
        {
            if (DateTime.UtcNow > deadline)
            {
                // Immediate shutdown: crash-like, but WAL makes it safe; the next start runs recovery.
                Posix.Signal(Pid, Posix.SigQuit);
                deadline = DateTime.UtcNow + timeout;
            }
            await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A postmaster that crashed leaves its lock files behind, and its pid file still says "ready": the wait for
    /// readiness would take the dead postmaster's word for it. PostgreSQL ignores such files itself unless the dead
    /// process lingers as a zombie (a container whose init does not reap), so they are removed here first.
    /// </summary>
    private static void RemoveStaleLockFiles(string dataDirectory, string socketDirectory)
    {
        foreach (var lockFile in new[] { Path.Combine(dataDirectory, "postmaster.pid"), Path.Combine(socketDirectory, ".s.PGSQL.5432.lock") })
        {
            if (ReadPidFile(lockFile) is { Pid: > 0 } owner && !Posix.IsAlive(owner.Pid)) File.Delete(lockFile);
        }
    }

    /// <summary>postmaster.pid: line 1 is the pid, line 8 the status (starting, ready, stopping) since PostgreSQL 10.</summary>
    private static (int Pid, string? Status) ReadPidFile(string lockFile)
    {
        try
        {
            var lines = File.ReadAllLines(lockFile);
            var pid = lines.Length > 0 && int.TryParse(lines[0], out var parsed) ? parsed : 0;
            return (pid, lines.Length >= 8 ? lines[7].Trim() : null);
        }
        catch (IOException)
        {
            return (0, null);
        }
    }

    private static string PidFile(string dataDirectory) => Path.Combine(dataDirectory, "postmaster.pid");

    private static string? ReadFailure(string logFile, long offset)
    {
        if (!File.Exists(logFile)) return null;
        using var stream = new FileStream(logFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        if (stream.Length <= offset) return null;
        stream.Seek(offset, SeekOrigin.Begin);
        using var reader = new StreamReader(stream);
        var fatal = reader.ReadToEnd().Split('\n').FirstOrDefault(line => line.Contains("FATAL:") || line.Contains("PANIC:"));
        return fatal?.Trim();
    }
}
