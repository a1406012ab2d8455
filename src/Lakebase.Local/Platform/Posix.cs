using System.Runtime.InteropServices;

namespace Lakebase.Local.Platform;

/// <summary>The few POSIX calls .NET does not expose: signals (Process.Kill is SIGKILL, which a postmaster must never
/// get), the effective uid and chown.</summary>
internal static partial class Posix
{
    public const int SigInt = 2;
    public const int SigQuit = 3;
    public const int SigTerm = 15;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SysKill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint SysGetEuid();

    [LibraryImport("libc", EntryPoint = "chown", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int SysChown(string path, uint owner, uint group);

    public static bool IsRoot => !OperatingSystem.IsWindows() && SysGetEuid() == 0;

    /// <summary>Sends a signal; false when the process does not exist.</summary>
    public static bool Signal(int pid, int signal) => SysKill(pid, signal) == 0;

    /// <summary>True while a process with this id exists (signal 0 checks without sending anything) and is not a
    /// zombie: in containers whose init does not reap promptly, a killed postmaster lingers as one.</summary>
    public static bool IsAlive(int pid) =>
        pid > 0 && (SysKill(pid, 0) == 0 || Marshal.GetLastPInvokeError() == 1 /* EPERM */) && !IsZombie(pid);

    /// <summary>/proc/{pid}/stat is "pid (comm) state ..."; the comm may contain spaces, so read after the last ')'.</summary>
    private static bool IsZombie(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat.AsSpan(stat.LastIndexOf(')') + 1).TrimStart().StartsWith("Z");
        }
        catch (IOException)
        {
            return false; // no /proc (macOS) or the process just went away
        }
    }

    public static void Chown(string path, uint uid, uint gid)
    {
        if (SysChown(path, uid, gid) != 0)
            throw new IOException($"chown {path} failed (errno {Marshal.GetLastPInvokeError()}).");
    }
}
