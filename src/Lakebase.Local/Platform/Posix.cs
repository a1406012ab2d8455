using System.Runtime.InteropServices;

namespace Lakebase.Local.Platform;

/// <summary>The few POSIX calls .NET does not expose: signals (Process.Kill is SIGKILL, which a postmaster must never
/// get), the effective uid, chown, syncfs, hard links and reflinks.</summary>
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

    [LibraryImport("libc", EntryPoint = "link", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int SysLink(string existing, string created);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static partial int SysIoctl(int fd, ulong request, int argument);

    [LibraryImport("libc", EntryPoint = "clonefile", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int SysCloneFile(string source, string target, uint flags);

    /// <summary>Linux's FICLONE, _IOW(0x94, 9, int): the target file shares the source's blocks until either is written.</summary>
    private const ulong Ficlone = 0x40049409;

    public static bool IsRoot => !OperatingSystem.IsWindows() && SysGetEuid() == 0;

    /// <summary>Sends a signal; false when the process does not exist.</summary>
    public static bool Signal(int pid, int signal) => SysKill(pid, signal) == 0;

    /// <summary>True while a process with this id exists (signal 0 checks without sending anything) and has not
    /// exited. A detached postmaster is reparented to init once pg_ctl exits; where init reaps slowly (containers whose
    /// PID 1 is not a real init), the exited postmaster lingers as a zombie for a second or more, and waiting for it
    /// to vanish made every wake right after a suspend that much slower.</summary>
    public static bool IsAlive(int pid) =>
        pid > 0 && (SysKill(pid, 0) == 0 || Marshal.GetLastPInvokeError() == 1 /* EPERM */) && !IsZombie(pid);

    /// <summary>Waits until none of <paramref name="pids"/> runs any more, or <paramref name="timeout"/> has passed.</summary>
    public static async Task WaitUntilExitedAsync(IReadOnlyCollection<int> pids, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (pids.Any(IsAlive) && DateTime.UtcNow < deadline) await Task.Delay(ExitPollInterval, cancellationToken).ConfigureAwait(false);
    }

    private static readonly TimeSpan ExitPollInterval = TimeSpan.FromMilliseconds(5);

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

    /// <summary>A second name for an existing file (link(2)); both must be on one file system. False when the file has
    /// as many names as the file system allows (EMLINK).</summary>
    public static bool TryHardLink(string existing, string created)
    {
        if (SysLink(existing, created) == 0) return true;
        var error = Marshal.GetLastPInvokeError();
        return error == 31 ? false : throw new IOException($"link {existing} to {created} failed (errno {error}).");
    }

    /// <summary>
    /// Makes <paramref name="target"/> (new) a copy-on-write clone of <paramref name="source"/>: FICLONE on Linux
    /// (XFS, btrfs, bcachefs), clonefile on macOS (APFS). False when the file system cannot, and then no target was
    /// left behind; any other failure throws.
    /// </summary>
    public static bool TryClone(string source, string target)
    {
        if (OperatingSystem.IsMacOS())
        {
            if (SysCloneFile(source, target, 0) == 0) return true;
            var error = Marshal.GetLastPInvokeError();
            return error is 45 /* ENOTSUP */ or 18 /* EXDEV */ ? false : throw new IOException($"clonefile {source} failed (errno {error}).");
        }
        if (!OperatingSystem.IsLinux()) return false;
        using var from = File.OpenHandle(source, FileMode.Open, FileAccess.Read);
        using (var to = File.OpenHandle(target, FileMode.CreateNew, FileAccess.Write))
        {
            if (SysIoctl((int)to.DangerousGetHandle(), Ficlone, (int)from.DangerousGetHandle()) == 0) return true;
            var error = Marshal.GetLastPInvokeError();
            // EOPNOTSUPP (ext4, tmpfs), EXDEV, EINVAL (unaligned or unsupported), ENOTTY (no such ioctl here).
            if (error is not (95 or 18 or 22 or 25)) throw new IOException($"FICLONE {source} failed (errno {error}).");
        }
        File.Delete(target);
        return false;
    }

    public static void Chown(string path, uint uid, uint gid)
    {
        if (SysChown(path, uid, gid) != 0)
            throw new IOException($"chown {path} failed (errno {Marshal.GetLastPInvokeError()}).");
    }
}
