using Lakebase.Local.Postgres;

namespace Lakebase.Local.Compute;

/// <summary>What a compute was doing over the last sampling interval: queries running at the sample (client backends
/// in state active), and the CPU its whole process tree used, in cores (1.0 = one core kept busy).</summary>
internal sealed record ComputeLoad(int ActiveQueries, double BusyCores)
{
    /// <summary>
    /// The size this load asks for: a CU per query running, or per CPU core the compute kept busy (over 90 %, so a
    /// saturated core asks for more), whichever is higher; rounded up to a half CU and kept within [min, max].
    /// </summary>
    public double Goal(double minCu, double maxCu)
    {
        var demand = Math.Max(ActiveQueries, BusyCores / 0.9);
        return Math.Clamp(Math.Ceiling(demand / ComputeSize.Step) * ComputeSize.Step, minCu, maxCu);
    }
}
