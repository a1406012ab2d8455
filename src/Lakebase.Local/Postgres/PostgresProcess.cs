using Lakebase.Contract.Local;
using Lakebase.Local.Platform;

namespace Lakebase.Local.Postgres;

/// <summary>
/// One running postmaster. Started through pg_ctl without -w (pg_ctl -w polls every 100 ms; we watch postmaster.pid
/// every few ms instead), so the postmaster is detached from this server, logs to its own file and survives a crash
/// of Lakebase Local, which adopts it again on restart.
/// </summary>
internal sealed class PostgresProcess
{
    public const string LogFileName = "postgres.log";
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan KillTimeout = TimeSpan.FromSeconds(30);

    private PostgresProcess(string dataDirectory, int pid)
    {
        DataDirectory = dataDirectory;
        Pid = pid;
    }

    public string DataDirectory { get; }
    public int Pid { get; }
    public bool IsAlive => Posix.IsAlive(Pid);

    /// <summary>Starts a postmaster and waits until it serves queries. A start that fails, times out or is cancelled
    /// takes down the postmaster it launched, so no untracked postgres is left running.</summary>
    public static async Task<PostgresProcess> StartAsync(PostgresBinaries binaries, ServiceAccount account, string dataDirectory, string socketDirectory,
        TimeSpan timeout, CancellationToken cancellationToken)
    {
        await StopLeftBehindChildrenAsync(dataDirectory, cancellationToken).ConfigureAwait(false);
        RemoveStaleLockFiles(dataDirectory, socketDirectory);
        var logFile = Path.Combine(Path.GetDirectoryName(dataDirectory)!, LogFileName);
        var logOffset = File.Exists(logFile) ? new FileInfo(logFile).Length : 0;
        try
        {
            await CommandRunner.RunCheckedAsync(account.Wrap([binaries.Tool("pg_ctl"), "start", "-D", dataDirectory, "-l", logFile, "-W", "-s"]),
                cancellationToken).ConfigureAwait(false);
            return await WaitReadyAsync(dataDirectory, logFile, logOffset, timeout, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await KillAsync(dataDirectory).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The postmaster already serving this data directory, left by an earlier run of the server: its pid
    /// file names a live process that really is that directory's postmaster (a copied or stale pid file names some
    /// other process). It may still be starting, in crash recovery; <see cref="WaitUntilReadyAsync"/> waits for it.</summary>
    public static PostgresProcess? Adopt(string dataDirectory)
    {
        var (pid, _) = ReadPidFile(PidFile(dataDirectory));
        return pid > 0 && Posix.IsAlive(pid) && ProcessTable.IsPostmasterOf(pid, dataDirectory) ? new PostgresProcess(dataDirectory, pid) : null;
    }

    /// <summary>Returns once the postmaster accepts connections: at once when its pid file says so, else (crash
    /// recovery, adopted while starting) when it does.</summary>
    public Task WaitUntilReadyAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        ReadPidFile(PidFile(DataDirectory)) is { Status: "ready" }
            ? Task.CompletedTask
            : WaitReadyAsync(DataDirectory, Path.Combine(Path.GetDirectoryName(DataDirectory)!, LogFileName), null, timeout, cancellationToken);

    /// <summary>Immediate shutdown of the postmaster serving the directory, in any state (a start that failed
    /// halfway); WAL makes it safe, as after a crash. A pid file naming any other process is left alone.</summary>
    public static async Task KillAsync(string dataDirectory)
    {
        if (Adopt(dataDirectory) is not { } process || !Posix.Signal(process.Pid, Posix.SigQuit)) return;
        await Posix.WaitUntilExitedAsync([process.Pid], KillTimeout, CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>Fast shutdown (SIGINT): sessions are ended, a checkpoint is written, then the postmaster exits. After
    /// <paramref name="timeout"/> it gets an immediate shutdown (SIGQUIT), and when that does not end it either the
    /// stop fails instead of waiting forever. A pid file the dead postmaster left behind does not hold the wait.</summary>
    public async Task StopAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (!Posix.Signal(Pid, Posix.SigInt)) return;
        var deadline = DateTime.UtcNow + timeout;
        var escalated = false;
        while (Posix.IsAlive(Pid))
        {
            if (DateTime.UtcNow > deadline)
            {
                if (escalated) throw new TimeoutException($"The postmaster {Pid} of {DataDirectory} did not stop after SIGINT and SIGQUIT.");
                // Immediate shutdown: crash-like, but WAL makes it safe; the next start runs recovery.
                Posix.Signal(Pid, Posix.SigQuit);
                escalated = true;
                deadline = DateTime.UtcNow + timeout;
            }
            await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Polls postmaster.pid until it says ready, failing on a postmaster that exits (with the last FATAL or
    /// PANIC line logged since <paramref name="logOffset"/> as the reason), on such a line before any postmaster
    /// runs, or at the timeout. While a postmaster runs its log's FATAL lines can be clients' it turned away
    /// ("the database system is starting up"), so they do not fail the start.</summary>
    private static async Task<PostgresProcess> WaitReadyAsync(string dataDirectory, string logFile, long? logOffset, TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var (pid, status) = ReadPidFile(PidFile(dataDirectory));
            // Not "standby": PostgreSQL writes it on reaching consistency even with hot_standby off (a restore not yet promoted).
            if (pid > 0 && status == "ready") return new PostgresProcess(dataDirectory, pid);
            var running = pid > 0 && Posix.IsAlive(pid);
            var failure = logOffset is { } offset && !running ? ReadFailure(logFile, offset) : null;
            if (failure is not null || (pid > 0 && !running) || (logOffset is null && pid <= 0))
                throw new InvalidOperationException($"PostgreSQL did not start: {failure ?? "the postmaster exited"} (log: {logFile}).");
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"PostgreSQL did not become ready within {timeout.TotalSeconds:0} s (log: {logFile}).");
            await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A postmaster that crashed leaves its lock files behind, and its pid file still says "ready": the wait for
    /// readiness would take the dead postmaster's word for it. PostgreSQL ignores such files itself unless the pid is
    /// taken by a live process (a zombie where init does not reap, any process after a reboot), so files that do not
    /// name this directory's live postmaster are removed here first.
    /// </summary>
    private static void RemoveStaleLockFiles(string dataDirectory, string socketDirectory)
    {
        foreach (var lockFile in new[] { Path.Combine(dataDirectory, "postmaster.pid"), Path.Combine(socketDirectory, ".s.PGSQL.5432.lock") })
        {
            if (ReadPidFile(lockFile) is { Pid: > 0 } owner && !(Posix.IsAlive(owner.Pid) && ProcessTable.IsPostmasterOf(owner.Pid, dataDirectory)))
                File.Delete(lockFile);
        }
    }

    /// <summary>
    /// A postmaster killed with -9 leaves its children running until each next waits and sees it gone; a backend busy
    /// in a query may take minutes. While any is attached to the old shared memory PostgreSQL refuses to start on the
    /// directory ("pre-existing shared memory block is still in use"), so after a postmaster that did not exit cleanly
    /// (its pid file is left, naming no live postmaster of the directory) the postgres processes still working in the
    /// directory get SIGKILL, as their postmaster would have sent, and are waited for.
    /// </summary>
    private static async Task StopLeftBehindChildrenAsync(string dataDirectory, CancellationToken cancellationToken)
    {
        if (!File.Exists(PidFile(dataDirectory)) || Adopt(dataDirectory) is not null) return;
        var leftBehind = ProcessTable.PostgresWorkingIn(dataDirectory).ToList();
        foreach (var pid in leftBehind) Posix.Signal(pid, Posix.SigKill);
        await Posix.WaitUntilExitedAsync(leftBehind, KillTimeout, cancellationToken).ConfigureAwait(false);
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
        var fatal = reader.ReadToEnd().Split('\n').LastOrDefault(line => line.Contains("FATAL:") || line.Contains("PANIC:"));
        return fatal?.Trim();
    }
}
