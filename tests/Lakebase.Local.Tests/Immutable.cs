using System.Diagnostics;
using Xunit;

namespace Lakebase.Local.Tests;

/// <summary>ext4's immutable attribute: a file no one, root included, may change or delete, and a folder no one may
/// add to or remove from; as a file system that refuses a write would behave.</summary>
internal static class Immutable
{
    public static async Task SetAsync(string path, bool immutable)
    {
        using var chattr = Process.Start("chattr", [immutable ? "+i" : "-i", path]);
        await chattr.WaitForExitAsync();
        Assert.True(chattr.ExitCode == 0, $"chattr {(immutable ? "+i" : "-i")} {path} failed.");
    }
}
