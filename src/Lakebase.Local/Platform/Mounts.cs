using System.Runtime.InteropServices;
using System.Text;

namespace Lakebase.Local.Platform;

/// <summary>Overlay mounts on Linux, which only root may make: mount(2), umount2(2), and the mount points of this
/// process's mount namespace as /proc/self/mountinfo lists them.</summary>
internal static partial class Mounts
{
    [LibraryImport("libc", EntryPoint = "mount", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int SysMount(string source, string target, string fileSystemType, ulong flags, string data);

    [LibraryImport("libc", EntryPoint = "umount2", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int SysUmount2(string target, int flags);

    /// <summary>umount2's MNT_DETACH: the mount leaves the tree at once, and goes when nothing uses it any more.</summary>
    private const int MntDetach = 2;

    /// <summary>Characters the kernel's option parser gives a meaning to (overlay's lowerdir takes ':' between
    /// layers), which a layer's path must therefore not hold.</summary>
    public static bool IsPlainOption(string path) => path.IndexOfAny([',', ':', '\\', '=']) < 0;

    /// <summary>Mounts at <paramref name="target"/> an overlay of <paramref name="upper"/> (where writes go, a file
    /// copied up on its first write) over <paramref name="lower"/> (only read). index=off: a file with several names in
    /// the lower layer (a hard link into a base snapshot) is copied up on its own.</summary>
    public static void MountOverlay(string lower, string upper, string work, string target)
    {
        foreach (var path in new[] { lower, upper, work })
            if (!IsPlainOption(path)) throw new ArgumentException($"An overlay layer's path may not hold ',', ':', '\\' or '=': {path}");
        if (SysMount("overlay", target, "overlay", 0, $"lowerdir={lower},upperdir={upper},workdir={work},index=off") != 0)
            throw new IOException($"mount of an overlay on {target} failed (errno {Marshal.GetLastPInvokeError()}).");
    }

    /// <summary>Unmounts <paramref name="target"/>; false when something still uses it (EBUSY), or it is not mounted.</summary>
    public static bool TryUnmount(string target) => SysUmount2(target, 0) == 0;

    /// <summary>Takes every mount at or under <paramref name="path"/> out of the tree (the deepest first) before its
    /// folder is removed or moved: a process still dying in one keeps it until it exits, and no removal reaches into a
    /// mounted layer through the mount.</summary>
    public static void DetachUnder(string path)
    {
        foreach (var mountPoint in MountPointsUnder(path).OrderByDescending(point => point.Length))
        {
            if (SysUmount2(mountPoint, MntDetach) != 0)
                throw new IOException($"umount of {mountPoint} failed (errno {Marshal.GetLastPInvokeError()}).");
        }
    }

    public static bool IsMountPoint(string path) => MountPointsUnder(path).Contains(Path.TrimEndingDirectorySeparator(Path.GetFullPath(path)));

    /// <summary>Mount points at or under <paramref name="path"/>; none outside Linux.</summary>
    public static IReadOnlyList<string> MountPointsUnder(string path)
    {
        if (!OperatingSystem.IsLinux()) return [];
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        // mountinfo: "id parent major:minor root mount-point options ...", with space, tab, newline and backslash in
        // a path written as octal escapes.
        return File.ReadLines("/proc/self/mountinfo").Select(line => Unescape(line.Split(' ')[4]))
            .Where(point => point == root || point.StartsWith(root + "/", StringComparison.Ordinal))
            .ToList();
    }

    private static string Unescape(string field)
    {
        if (!field.Contains('\\')) return field;
        var bytes = new List<byte>();
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length)
            {
                bytes.Add(Convert.ToByte(field.Substring(i + 1, 3), 8));
                i += 3;
            }
            else bytes.AddRange(Encoding.UTF8.GetBytes(field[i].ToString()));
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }
}
