namespace Lakebase.PowerShell.Loading;

/// <summary>Where the module's parts are installed: Lakebase Local ships under local/ next to the cmdlet assembly.</summary>
internal static class ModuleLayout
{
    public static string ModuleDirectory { get; } = Path.GetDirectoryName(typeof(ModuleLayout).Assembly.Location)!;

    public static string LocalServerPath => Path.Combine(ModuleDirectory, "local", "Lakebase.Local.dll");
}
