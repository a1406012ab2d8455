using System.Runtime.Versioning;

namespace Lakebase.Contract.Local;

/// <summary>Where Lakebase Local runs: it drives PostgreSQL with POSIX signals and copies data directories with cp,
/// so Linux and macOS. Shared by the server, which refuses to start elsewhere, and the module, which says so first.</summary>
public static class LocalPlatform
{
    [SupportedOSPlatformGuard("linux")]
    [SupportedOSPlatformGuard("macos")]
    public static bool IsSupported => OperatingSystem.IsLinux() || OperatingSystem.IsMacOS();

    public const string NotSupportedMessage =
        "Lakebase Local runs on Linux and macOS. On Windows, run it inside WSL 2, or connect to a Databricks workspace with Connect-Lakebase.";
}
