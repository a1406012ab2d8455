namespace Lakebase.Local.Platform;

/// <summary>
/// What /proc says about other processes: their command line, working directory and parent. A pid read from a file
/// (postmaster.pid) is only a claim: after a reboot, a container restart or a copy of the file, that pid may be any
/// process, so it is checked here before it is signalled. Only Linux has /proc; elsewhere every claim is believed.
/// </summary>
internal static class ProcessTable
{
    public static bool IsSupported => OperatingSystem.IsLinux();

    /// <summary>True when <paramref name="pid"/> is a postgres postmaster serving <paramref name="dataDirectory"/>: its
    /// command line is postgres -D that directory, or its working directory (a postmaster chdirs into its data
    /// directory) is that directory.</summary>
    public static bool IsPostmasterOf(int pid, string dataDirectory)
    {
        if (!IsSupported) return true;
        var arguments = CommandLine(pid);
        if (arguments.Count == 0 || Path.GetFileName(arguments[0]) != "postgres") return false;
        var directory = Path.TrimEndingDirectorySeparator(Path.GetFullPath(dataDirectory));
        var index = arguments.IndexOf("-D");
        if (index >= 0 && index + 1 < arguments.Count && Path.TrimEndingDirectorySeparator(arguments[index + 1]) == directory) return true;
        return WorkingDirectory(pid) == directory;
    }

    /// <summary>Postgres processes (postmasters and their children, whose titles replace their argument vector, so
    /// the executable tells) whose working directory is <paramref name="dataDirectory"/>.</summary>
    public static IEnumerable<int> PostgresWorkingIn(string dataDirectory)
    {
        var directory = Path.TrimEndingDirectorySeparator(Path.GetFullPath(dataDirectory));
        return All().Where(pid => WorkingDirectory(pid) == directory && Path.GetFileName(Executable(pid)) == "postgres");
    }

    /// <summary>The argument vector, empty when the process is gone or is a kernel thread.</summary>
    public static List<string> CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries).ToList();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    public static string? WorkingDirectory(int pid)
    {
        try
        {
            return new DirectoryInfo($"/proc/{pid}/cwd").LinkTarget;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The path of the process's executable, null when it is gone or cannot be read.</summary>
    public static string? Executable(int pid)
    {
        try
        {
            return new FileInfo($"/proc/{pid}/exe").LinkTarget;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The parent pid, from /proc/{pid}/stat ("pid (comm) state ppid ..."; comm may hold spaces and ')').</summary>
    public static int ParentOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return fields.Length > 1 && int.TryParse(fields[1], out var parent) ? parent : 0;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    /// <summary>Every process id on the machine.</summary>
    public static IEnumerable<int> All() => IsSupported
        ? Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Select(name => int.TryParse(name, out var pid) ? pid : 0).Where(pid => pid > 0)
        : [];

    /// <summary>True when <paramref name="ancestor"/> is <paramref name="pid"/> or one of its ancestors.</summary>
    public static bool DescendsFrom(int pid, int ancestor)
    {
        for (var current = pid; current > 1; current = ParentOf(current))
        {
            if (current == ancestor) return true;
        }
        return false;
    }
}
