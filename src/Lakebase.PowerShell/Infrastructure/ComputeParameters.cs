namespace Lakebase.PowerShell.Infrastructure;

/// <summary>The compute-size checks that are certain wherever they are given (CU ranges and suspend bounds differ
/// between regions and docs, so those are left to the server).</summary>
internal static class ComputeParameters
{
    public static void Check(double? minCu, double? maxCu, bool suspendTimeoutGiven, bool noSuspension)
    {
        if (minCu > maxCu) throw new ArgumentException($"-MinCu ({minCu}) must not exceed -MaxCu ({maxCu}).");
        if (suspendTimeoutGiven && noSuspension) throw new ArgumentException("Use either -SuspendTimeout or -NoSuspension, not both.");
    }
}
