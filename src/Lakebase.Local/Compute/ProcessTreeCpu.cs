using System.Globalization;

namespace Lakebase.Local.Compute;

/// <summary>
/// CPU time used by a postmaster and everything it started, from /proc (Linux only; elsewhere there is no reading and
/// load comes from running queries alone). Backends come and go between samples: the postmaster's cutime/cstime keep
/// the time of children it has reaped, so the total only grows.
/// </summary>
internal static class ProcessTreeCpu
{
    /// <summary>Clock ticks per second of /proc's times; 100 on every Linux configuration in use.</summary>
    private const double TicksPerSecond = 100;

    public static TimeSpan? Total(int postmasterPid)
    {
        if (!OperatingSystem.IsLinux() || Read(postmasterPid) is not { } postmaster) return null;
        var ticks = postmaster.OwnTicks + postmaster.ReapedChildrenTicks;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == postmasterPid) continue;
            if (Read(pid) is { } child && child.ParentPid == postmasterPid) ticks += child.OwnTicks;
        }
        return TimeSpan.FromSeconds(ticks / TicksPerSecond);
    }

    private sealed record Stat(int ParentPid, long OwnTicks, long ReapedChildrenTicks);

    /// <summary>/proc/{pid}/stat after the ")" that closes the command name: state, ppid, ... utime (14th field),
    /// stime, cutime, cstime.</summary>
    private static Stat? Read(int pid)
    {
        string text;
        try { text = File.ReadAllText($"/proc/{pid}/stat"); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        long Field(int number) => long.Parse(fields[number - 3], CultureInfo.InvariantCulture);
        return new Stat((int)Field(4), Field(14) + Field(15), Field(16) + Field(17));
    }
}
