using Lakebase.Contract.Local;

namespace Lakebase.Local.Hosting;

/// <summary>server.json: how the module finds a running server. Written atomically once the server listens.</summary>
internal static class ServerInfoFile
{
    public static void Write(string stateRoot, LocalServerInfo info)
    {
        var path = LocalPaths.ServerInfoFile(stateRoot);
        var staging = path + ".tmp";
        File.WriteAllText(staging, System.Text.Json.JsonSerializer.Serialize(info, Contract.Json.WireJson.Options));
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(staging, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(staging, path, overwrite: true);
    }

    public static void Delete(string stateRoot) => File.Delete(LocalPaths.ServerInfoFile(stateRoot));
}
