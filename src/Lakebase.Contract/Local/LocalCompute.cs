namespace Lakebase.Contract.Local;

/// <summary>
/// Lakebase Local's own view of one compute (GET /api/2.0/lakebase-local/computes). The postgres API reports an
/// endpoint's autoscaling limits but has no field for the size it runs at, so the size the autoscaler picked within
/// them, and the load it picked it from, are reported here, under Lakebase Local's own prefix.
/// </summary>
public sealed class LocalCompute
{
    /// <summary>The endpoint's resource name.</summary>
    public string? Endpoint { get; set; }
    public string? Uid { get; set; }
    public bool Running { get; set; }
    public double? AutoscalingLimitMinCu { get; set; }
    public double? AutoscalingLimitMaxCu { get; set; }
    /// <summary>The size the compute runs at now; unset while it is not running.</summary>
    public double? CurrentCu { get; set; }
    public LocalComputeLoad? Load { get; set; }
}

/// <summary>The load the autoscaler last measured: queries running and CPU cores the compute kept busy.</summary>
public sealed class LocalComputeLoad
{
    public int ActiveQueries { get; set; }
    public double BusyCores { get; set; }
}

public sealed class LocalComputeList
{
    public List<LocalCompute> Computes { get; set; } = [];
}
