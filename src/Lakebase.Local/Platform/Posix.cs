using System.Runtime.InteropServices;

namespace Lakebase.Local.Platform;

/// <summary>The few POSIX calls .NET does not expose: signals (Process.Kill is SIGKILL, which a postmaster must never
/// get), the effective uid, chown and syncfs.</summary>
internal static partial class Posix
{
    public const int SigInt = 2;
    public const int SigQuit = 3;
    public const int SigKill = 9;
    public const int SigTerm = 15;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SysKill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int SysOpen(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int SysClose(int fd);

    [LibraryImport("libc", EntryPoint = "syncfs", SetLastError = true)]
    private static partial int SysSyncFs(int fd);

    [LibraryImport("libc", EntryPoint = "sync")]
    private static partial void SysSync();

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint SysGetEuid();

    [LibraryImport("libc", EntryPoint = "chown", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int SysChown(string path, uint owner, uint group);

    public static bool IsRoot => !OperatingSystem.IsWindows() && SysGetEuid() == 0;

    /// <summary>Sends a signal; false when the process does not exist.</summary>
    public static bool Signal(int pid, int signal) => SysKill(pid, signal) == 0;

    /// <summary>True while a process with this id exists (signal 0 checks without sending anything) and has not
    /// exited. A detached postmaster is reparented to init once pg_ctl exits; where init reaps slowly (containers whose
    /// PID 1 is not a real init), the exited postmaster lingers as a zombie for a second or more, and waiting for it
    /// to vanish made every wake right after a suspend that much slower.</summary>
    public static bool IsAlive(int pid) =>
        pid > 0 && (SysKill(pid, 0) == 0 || Marshal.GetLastPInvokeError() == 1 /* EPERM */) && !IsZombie(pid);

    /// <summary>/proc/{pid}/stat is "pid (comm) state ..."; comm may contain spaces and parentheses, so the state is
    /// the first field after the last ')'. Only Linux has /proc; elsewhere nothing is treated as a zombie.</summary>
    private static bool IsZombie(int pid)
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var end = stat.LastIndexOf(')');
            return end >= 0 && end + 2 < stat.Length && stat[end + 2] == 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>
    /// Makes everything written under <paramref name="path"/> durable, file data, new directory entries and renames
    /// alike: syncfs on Linux (one call for a whole copied cluster, where an fsync per file and per parent would be
    /// thousands), sync elsewhere. Call it before recording that the data exists.
    /// </summary>
    public static void SyncFileSystem(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            SysSync();
            return;
        }
        var fd = SysOpen(path, 0 /* O_RDONLY */);
        if (fd < 0) throw new IOException($"open {path} failed (errno {Marshal.GetLastPInvokeError()}).");
        try
        {
            if (SysSyncFs(fd) != 0) throw new IOException($"syncfs {path} failed (errno {Marshal.GetLastPInvokeError()}).");
        }
        finally
        {
            SysClose(fd);
        }
    }

    public static void Chown(string path, uint uid, uint gid)
    {
        if (SysChown(path, uid, gid) != 0)
            throw new IOException($"chown {path} failed (errno {Marshal.GetLastPInvokeError()}).");
    }
}
