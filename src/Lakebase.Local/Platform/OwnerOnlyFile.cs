namespace Lakebase.Local.Platform;

/// <summary>Secrets on disk (admin token, signing key, CA key, server.json): readable by their owner only.</summary>
internal static class OwnerOnlyFile
{
    /// <summary>Writes the file with mode 0600 from its creation, so it is never readable by others even briefly.</summary>
    public static void Write(string path, ReadOnlySpan<byte> contents)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        // An existing file would keep its old mode: replace it rather than overwrite it.
        File.Delete(path);
        using var file = new FileStream(path, options);
        file.Write(contents);
    }
}

/// <summary>The state root or a secret in it is not safe to start on; the message says why and what to do.</summary>
internal sealed class StateRootException(string message) : Exception(message);
