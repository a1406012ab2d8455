namespace Lakebase.Local.Platform;

/// <summary>
/// The account postgres runs under. PostgreSQL refuses to run as root, so when Lakebase Local runs as root every
/// postgres process and every file it owns belongs to an unprivileged account (postgres, created by the Debian
/// package, or lakebase-local, created on demand); otherwise it is the current user and nothing is wrapped.
/// </summary>
internal sealed class ServiceAccount
{
    private ServiceAccount(string? userName, uint uid, uint gid)
    {
        UserName = userName;
        Uid = uid;
        Gid = gid;
    }

    /// <summary>Null when no switch is needed (not root).</summary>
    public string? UserName { get; }
    public uint Uid { get; }
    public uint Gid { get; }

    public static async Task<ServiceAccount> ResolveAsync(CancellationToken cancellationToken)
    {
        if (!Posix.IsRoot) return new ServiceAccount(null, 0, 0);
        foreach (var candidate in new[] { "postgres", "lakebase-local" })
        {
            var uid = await CommandRunner.RunAsync(["id", "-u", candidate], cancellationToken).ConfigureAwait(false);
            if (!uid.Succeeded) continue;
            var gid = await CommandRunner.RunCheckedAsync(["id", "-g", candidate], cancellationToken).ConfigureAwait(false);
            return new ServiceAccount(candidate, uint.Parse(uid.StandardOutput.Trim()), uint.Parse(gid.StandardOutput.Trim()));
        }
        await CommandRunner.RunCheckedAsync(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "lakebase-local"], cancellationToken)
            .ConfigureAwait(false);
        return await ResolveAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The command line that runs <paramref name="command"/> as this account.</summary>
    public IReadOnlyList<string> Wrap(IReadOnlyList<string> command) => UserName is null
        ? command
        : ["setpriv", $"--reuid={Uid}", $"--regid={Gid}", "--clear-groups", "--", .. command];

    /// <summary>Writes a file PostgreSQL will read or remove (backup_label, recovery.signal), owned by this account.</summary>
    public async Task WriteOwnedFileAsync(string path, string content, CancellationToken cancellationToken)
    {
        await File.WriteAllTextAsync(path, content, cancellationToken).ConfigureAwait(false);
        if (UserName is not null) Posix.Chown(path, Uid, Gid);
    }

    /// <summary>Creates a directory owned by this account (mode 0700 unless told otherwise).</summary>
    public void CreateOwnedDirectory(string path, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute)
    {
        Directory.CreateDirectory(path);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, mode);
        if (UserName is not null) Posix.Chown(path, Uid, Gid);
    }
}
