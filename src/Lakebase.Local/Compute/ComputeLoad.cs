namespace Lakebase.Local.Compute;

/// <summary>What a compute was doing over the last sampling interval: queries running at the sample (client backends
/// in state active), and the CPU its whole process tree used, in cores (1.0 = one core kept busy).</summary>
internal sealed record ComputeLoad(int ActiveQueries, double BusyCores);
