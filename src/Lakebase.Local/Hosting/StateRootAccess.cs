using Lakebase.Local.Platform;
using Lakebase.Local.Storage;

namespace Lakebase.Local.Hosting;

/// <summary>
/// The state root holds every identity's token hashes, the signing key and the CA key: it is closed to other users
/// (0700; 0710 with the postgres account's group when running as root, so postgres can reach its data directories),
/// and each secret file is 0600. A secret file others can read was exposed already: the start stops and says which
/// file and what to do, rather than quietly fixing the mode.
/// </summary>
internal static class StateRootAccess
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Closes the root and its tls folder, checks the secret files, and creates state.db as 0600 so
    /// SQLite's -wal and -shm files (made with the database file's mode) are 0600 too.</summary>
    public static void Secure(StateLayout layout, ServiceAccount account)
    {
        if (OperatingSystem.IsWindows()) return;
        Directory.CreateDirectory(layout.Root);
        if (account.UserName is null)
        {
            File.SetUnixFileMode(layout.Root, OwnerOnly);
        }
        else
        {
            Posix.Chown(layout.Root, 0, account.Gid);
            File.SetUnixFileMode(layout.Root, OwnerOnly | UnixFileMode.GroupExecute);
        }
        Directory.CreateDirectory(layout.TlsDirectory);
        File.SetUnixFileMode(layout.TlsDirectory, OwnerOnly);

        foreach (var file in layout.SecretFiles.Where(File.Exists))
        {
            var mode = File.GetUnixFileMode(file);
            if ((mode & ~OwnerReadWrite) != 0)
                throw new StateRootException(
                    $"{file} has mode {Octal(mode)}, so other users can read it. It holds secrets and must be 0600 (owner only): " +
                    $"check who read it, then run chmod 600 '{file}'.");
        }
        if (!File.Exists(layout.StateDatabase)) OwnerOnlyFile.Write(layout.StateDatabase, []);
    }

    private static string Octal(UnixFileMode mode) => "0" + Convert.ToString((int)mode, 8);
}
