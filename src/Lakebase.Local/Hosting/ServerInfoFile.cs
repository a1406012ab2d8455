using Lakebase.Contract.Local;
using Lakebase.Local.Platform;

namespace Lakebase.Local.Hosting;

/// <summary>server.json: how the module finds a running server. Written atomically once the server listens.</summary>
internal static class ServerInfoFile
{
    public static void Write(string stateRoot, LocalServerInfo info)
    {
        var path = LocalPaths.ServerInfoFile(stateRoot);
        var staging = path + ".tmp";
        OwnerOnlyFile.Write(staging, System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(info, Contract.Json.WireJson.Options));
        File.Move(staging, path, overwrite: true);
    }

    public static void Delete(string stateRoot) => File.Delete(LocalPaths.ServerInfoFile(stateRoot));
}
