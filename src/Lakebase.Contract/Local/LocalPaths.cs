namespace Lakebase.Contract.Local;

/// <summary>Where Lakebase Local keeps its state: shared by the server and the module so both agree without configuration.</summary>
public static class LocalPaths
{
    public const string StateRootVariable = "LAKEBASE_LOCAL_ROOT";

    /// <summary>
    /// $LAKEBASE_LOCAL_ROOT, else /var/lib/lakebase-local for root (the unprivileged postgres account must reach the
    /// data directories, and root's home is private), else the per-user data directory.
    /// </summary>
    public static string DefaultStateRoot()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(StateRootVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment)) return Path.GetFullPath(fromEnvironment);
        if (!OperatingSystem.IsWindows() && Environment.UserName == "root") return "/var/lib/lakebase-local";
        var dataHome = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create);
        return Path.Combine(dataHome, "lakebase-local");
    }

    public static string ServerInfoFile(string stateRoot) => Path.Combine(stateRoot, LocalServerInfo.FileName);
}
